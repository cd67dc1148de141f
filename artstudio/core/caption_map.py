"""A map from sentence embeddings to one model's latents, learned from the user's captions.

Given N captioned pictures, each with its caption's embedding ``e`` (E
values, the sentence model's) and the picture's latent ``z`` (D values, from
the model's encoder or a projection), :func:`fit_caption_map` fits ridge
regression ``z ~ mean_z + (e - mean_e) W`` with an unpenalised intercept. N is
small (tens) and E is 384, so the problem is solved through the SVD of the
centred embeddings, and the ridge strength is the one of
:data:`RIDGE_GRID` (scaled to the data) with the least *leave-one-out*
error, which ridge gives in closed form: the LOO residual of picture i is
``r_i / (1 - H_ii)`` with ``H`` the hat matrix ``11ᵀ/N + U diag(s²/(s²+α)) Uᵀ``.
That error is reported next to the LOO error of the simplest guess, the
mean latent of the other pictures, so a map that learned nothing says so
(relative improvement near or below 0).

A map is saved as ``NAME.captions.npz`` in the models folder (:func:`map_path`):
float32 arrays and a small JSON header stored as bytes, read back without
unpickling, every size bounded before use. It records the model's hash: a
map of other weights is refused rather than silently mis-applied.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FORMAT", "MIN_CAPTIONS", "CaptionMap", "CaptionMapError", "fit_caption_map",
           "load_caption_map", "loo_errors", "map_path", "save_caption_map"]

FORMAT = "artstudio-caption-map"
FORMAT_VERSION = 1
MIN_CAPTIONS = 8                   # below this, leave-one-out says little and the map less
RIDGE_GRID = np.logspace(-4, 2, 13)   # times the largest squared singular value
MAX_FILE_BYTES = 64 << 20
MAX_EMBED_DIM = 4096
MAX_LATENT_DIM = 1 << 16
MAX_HEADER_BYTES = 16 << 10
_ARRAYS = ("weights", "embed_mean", "latent_mean")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class CaptionMapError(Exception):
    """One line for the user: too few captions, or a map file that cannot be used."""


@dataclass(frozen=True, eq=False)
class CaptionMap:
    """A fitted map (see the module docstring).

    Attributes
    ----------
    model, model_hash : str
        The generator whose latents it predicts.
    weights : numpy.ndarray
        ``float32 (E, D)``.
    embed_mean, latent_mean : numpy.ndarray
        ``float32 (E,)`` and ``float32 (D,)``.
    alpha : float
        The ridge strength chosen.
    loo_error, baseline_error : float
        Leave-one-out mean squared error per latent value, of the map and of
        predicting the mean latent.
    count : int
        How many captioned pictures it was fitted on.
    """

    model: str
    model_hash: str
    weights: np.ndarray
    embed_mean: np.ndarray
    latent_mean: np.ndarray
    alpha: float
    loo_error: float
    baseline_error: float
    count: int

    @property
    def improvement(self) -> float:
        """``1 - loo_error / baseline_error``: 0.6 is 60 % less error than the mean latent; <= 0 is none."""
        return 1.0 - self.loo_error / self.baseline_error if self.baseline_error > 0 else 0.0

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        """Latents for ``float32 (N, E)`` (or ``(E,)``) embeddings: ``float32 (N, D)`` (or ``(D,)``)."""
        e = np.asarray(embeddings, np.float32)
        if e.shape[-1] != self.embed_mean.size:
            raise CaptionMapError(f"This captions map reads embeddings of {self.embed_mean.size} values, "
                                  f"not {e.shape[-1]}.")
        return ((e - self.embed_mean) @ self.weights + self.latent_mean).astype(np.float32)

    def report(self) -> str:
        """One line: the LOO errors and what the map gains over the mean latent."""
        return (f"leave-one-out error {self.loo_error:.3g} per latent value vs {self.baseline_error:.3g} "
                f"for the mean latent ({self.improvement:+.0%}; {self.count} captioned pictures)")


def _centred_svd(embeddings: np.ndarray, latents: np.ndarray):
    x = np.asarray(embeddings, np.float64)
    y = np.asarray(latents, np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("embeddings (N, E) and latents (N, D) must be finite and have the same N")
    mean_x, mean_y = x.mean(0), y.mean(0)
    u, s, vt = np.linalg.svd(x - mean_x, full_matrices=False)
    return u, s, vt, mean_x, mean_y, y - mean_y


def loo_errors(embeddings: np.ndarray, latents: np.ndarray,
               alphas: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Leave-one-out mean squared error per latent value of ridge at each strength, exactly.

    Returns
    -------
    (alphas, errors, baseline)
        The absolute strengths tried (``float64 (A,)``), their LOO errors
        (``(A,)``) and the LOO error of predicting the mean of the others.
    """
    u, s, _, _, _, yc = _centred_svd(embeddings, latents)
    n = len(yc)
    if n < 3:
        raise CaptionMapError("Leave-one-out needs at least 3 captioned pictures.")
    scale = float(s[0] ** 2) if s.size and s[0] > 0 else 1.0
    alphas = scale * (RIDGE_GRID if alphas is None else np.asarray(alphas, np.float64))
    projected = u.T @ yc                                        # (r, D)
    errors = []
    for alpha in alphas:
        shrink = s ** 2 / (s ** 2 + alpha)
        fitted = u @ (shrink[:, None] * projected)
        leverage = 1.0 / n + (u ** 2) @ shrink
        residual = (yc - fitted) / np.maximum(1.0 - leverage, 1e-9)[:, None]
        errors.append(float(np.mean(residual ** 2)))
    baseline = float(np.mean((yc * (n / (n - 1))) ** 2))
    return alphas, np.asarray(errors), baseline


def fit_caption_map(embeddings: np.ndarray, latents: np.ndarray, model: str, model_hash: str) -> CaptionMap:
    """Ridge from embeddings to latents, its strength chosen by leave-one-out error.

    Parameters
    ----------
    embeddings : numpy.ndarray
        ``float32 (N, E)``, one row per captioned picture.
    latents : numpy.ndarray
        ``float32 (N, D)``, the pictures' latents.
    model, model_hash : str
        Recorded in the map.

    Raises
    ------
    CaptionMapError
        When N < :data:`MIN_CAPTIONS` (the message says how many are needed).
    """
    n = len(embeddings)
    if n < MIN_CAPTIONS:
        raise CaptionMapError(f"Learning from captions needs at least {MIN_CAPTIONS} captioned pictures "
                              f"(a .txt caption beside each); found {n}.")
    alphas, errors, baseline = loo_errors(embeddings, latents)
    best = int(np.argmin(errors))
    u, s, vt, mean_x, mean_y, yc = _centred_svd(embeddings, latents)
    weights = vt.T @ ((s / (s ** 2 + alphas[best]))[:, None] * (u.T @ yc))     # (E, D)
    return CaptionMap(str(model), str(model_hash), weights.astype(np.float32), mean_x.astype(np.float32),
                      mean_y.astype(np.float32), float(alphas[best]), float(errors[best]), baseline, n)


def map_path(folder, model: str) -> Path:
    """Where the captions map of ``model`` lives in the models ``folder``: ``NAME.captions.npz``."""
    stem = model if _SAFE_NAME.match(model) else \
        f"{re.sub(r'[^A-Za-z0-9._-]', '_', model)[:40]}-{hashlib.sha256(model.encode()).hexdigest()[:12]}"
    return Path(folder) / f"{stem}.captions.npz"


def save_caption_map(path, cmap: CaptionMap) -> Path:
    """Write ``cmap`` to ``path`` atomically (the folder is created); :class:`CaptionMapError` if it cannot."""
    from .atomic import atomic_write
    from .decode import ImageError

    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": cmap.model,
              "model_hash": cmap.model_hash, "alpha": cmap.alpha, "loo_error": cmap.loo_error,
              "baseline_error": cmap.baseline_error, "count": cmap.count}
    arrays = {name: np.ascontiguousarray(getattr(cmap, name), np.float32) for name in _ARRAYS}
    arrays["header"] = np.frombuffer(json.dumps(header, allow_nan=False).encode("utf-8"), np.uint8)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, lambda fh: np.savez(fh, **arrays))
    except ImageError as error:
        raise CaptionMapError(str(error)) from None
    except OSError as error:
        raise CaptionMapError(f"Cannot save '{path.name}': {error.strerror or error}.") from None


def load_caption_map(path, model_hash: str | None = None) -> CaptionMap:
    """Read a map written by :func:`save_caption_map`, checking every size before reading it.

    Raises
    ------
    CaptionMapError
        Naming the file: missing, damaged, too large, or (with ``model_hash``)
        fitted to other weights of the model.
    """
    path = Path(path)
    damaged = CaptionMapError(f"Cannot read the captions map '{path.name}': it is damaged; "
                              "learn from your captions again.")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise damaged
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
        expected = {f"{name}.npy" for name in (*_ARRAYS, "header")}
        if set(sizes) != expected or sum(sizes.values()) > MAX_FILE_BYTES * 2 \
                or sizes["header.npy"] > MAX_HEADER_BYTES:
            raise damaged
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in (*_ARRAYS, "header")}
        if arrays["header"].dtype != np.uint8 or arrays["header"].ndim != 1:
            raise damaged
        header = json.loads(arrays["header"].tobytes().decode("utf-8"))
    except FileNotFoundError:
        raise CaptionMapError(f"No captions map at '{path.name}'.") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError, RecursionError):
        raise damaged from None
    return _checked(arrays, header, path.name, model_hash, damaged)


def _checked(arrays: dict, header, name: str, model_hash: str | None, damaged: Exception) -> CaptionMap:
    weights, embed_mean, latent_mean = (arrays[k] for k in _ARRAYS)
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("format_version") != 1:
        raise damaged
    if weights.dtype != np.float32 or weights.ndim != 2 or embed_mean.shape != (weights.shape[0],) \
            or latent_mean.shape != (weights.shape[1],) or not 0 < weights.shape[0] <= MAX_EMBED_DIM \
            or not 0 < weights.shape[1] <= MAX_LATENT_DIM \
            or not all(np.isfinite(a).all() for a in (weights, embed_mean, latent_mean)):
        raise damaged
    try:
        numbers = [float(header[k]) for k in ("alpha", "loo_error", "baseline_error")]
        count, model, saved_hash = int(header["count"]), str(header["model"]), str(header["model_hash"])
    except (KeyError, TypeError, ValueError):
        raise damaged from None
    if not all(np.isfinite(numbers)) or not 0 < count <= 10**7:
        raise damaged
    if model_hash is not None and saved_hash != model_hash:
        raise CaptionMapError(f"The captions map '{name}' was learned for other weights of {model}; "
                              "learn from your captions again.")
    return CaptionMap(model, saved_hash, weights, embed_mean.astype(np.float32), latent_mean.astype(np.float32),
                      *numbers, count)
