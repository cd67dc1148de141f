"""Where the explorer stands in a model's latent space, its history, and files.

A :class:`LatentState` is a small immutable value (a few KB), so undo/redo
simply keeps whole states. A state saves as ``NAME.npz`` (the latent, read
back without unpickling) beside ``NAME.json`` (model, hash, seed, truncation,
named edits, origin); :mod:`artstudio.core.recipe` stores the same fields in a PNG.

A state's ``origin`` says what its latent can honestly be reproduced from:
``"seed"`` (``sample_latent(seed)``, then bred, crossed or nudged) or
``"projection"`` (fitted to a picture: no seed makes it, so the seed is None
and only the stored latent reproduces the image).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .latent import apply_edits, truncate

__all__ = [
    "FORMAT", "ORIGINS", "LatentFileError", "LatentHistory", "LatentState",
    "load_latent", "save_latent", "state_from_metadata", "state_metadata",
]

FORMAT = "artstudio-latent"
FORMAT_VERSION = 1
ORIGINS = ("seed", "projection")   # where a latent came from (see the module docstring)
MAX_CAPTION = 500


class LatentFileError(Exception):
    """One-line, user-facing message about a latent or recipe file."""


@dataclass(frozen=True, eq=False)
class LatentState:
    """One point of the explorer, before the model renders it.

    Attributes
    ----------
    model : str
        Registry name, e.g. ``"dcgan-faces"``.
    model_hash : str
        ``LatentGenerator.model_hash``: edits only mean the same thing for
        the same weights.
    seed : int or None
        The seed ``latent`` was sampled from (kept after breeding, for the
        record; the latent is what counts). None when ``origin`` is
        ``"projection"``: no seed reproduces a projected latent.
    latent : numpy.ndarray
        ``float32 (D,)``, the base latent before edits and truncation; stored
        read-only.
    truncation : float
        In (0, 1]; 1 is off.
    edits : tuple of (int, float)
        Direction index -> sigma, sorted by index, no zero sigmas.
    names : tuple of (int, str)
        Direction index -> user-given name, sorted by index.
    origin : str
        One of :data:`ORIGINS`; ``"projection"`` forces ``seed`` to None.
    caption : str
        What a caption-conditioned model is asked to draw ("" for other
        models); one line of at most :data:`MAX_CAPTION` characters.
    """

    model: str
    model_hash: str
    seed: int | None
    latent: np.ndarray
    truncation: float = 1.0
    edits: tuple[tuple[int, float], ...] = ()
    names: tuple[tuple[int, str], ...] = field(default=())
    origin: str = "seed"
    caption: str = ""

    def __post_init__(self) -> None:
        latent = np.array(self.latent, dtype=np.float32, copy=True)
        if latent.ndim != 1 or latent.size == 0:
            raise ValueError(f"latent must be a non-empty (D,) array, not shape {latent.shape}")
        if not np.isfinite(latent).all():
            raise ValueError("latent must be finite")
        latent.flags.writeable = False
        truncation = float(self.truncation)
        if not 0.0 < truncation <= 1.0:
            raise ValueError(f"truncation must be in (0, 1], not {truncation}")
        edits = {int(i): float(s) for i, s in _pairs(self.edits)}
        names = {int(i): str(n).strip() for i, n in _pairs(self.names)}
        if any(i < 0 for i in (*edits, *names)) or not all(map(np.isfinite, edits.values())):
            raise ValueError("edit indices must be >= 0 and sigmas finite")
        origin = str(self.origin)
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
        if origin == "seed" and self.seed is None:
            raise ValueError("a state sampled from a seed needs that seed")
        set_ = object.__setattr__
        set_(self, "model", str(self.model))
        set_(self, "model_hash", str(self.model_hash))
        set_(self, "origin", origin)
        set_(self, "seed", int(self.seed) if origin == "seed" else None)
        set_(self, "latent", latent)
        set_(self, "truncation", truncation)
        set_(self, "edits", tuple(sorted((i, s) for i, s in edits.items() if s != 0.0)))
        set_(self, "names", tuple(sorted((i, n) for i, n in names.items() if n)))
        caption = " ".join(str(self.caption or "").split())
        if len(caption) > MAX_CAPTION or not caption.isprintable():
            raise ValueError(f"a caption is one line of at most {MAX_CAPTION} printable characters")
        set_(self, "caption", caption)

    def __eq__(self, other) -> bool:
        if not isinstance(other, LatentState):
            return NotImplemented
        return (self.model, self.model_hash, self.seed, self.truncation, self.edits, self.names,
                self.origin) == (other.model, other.model_hash, other.seed, other.truncation, other.edits,
                                 other.names, other.origin) and self.caption == other.caption \
            and np.array_equal(self.latent, other.latent)

    def __hash__(self) -> int:
        return hash((self.model, self.seed, self.edits, self.latent.tobytes()))

    @property
    def dim(self) -> int:
        """Latent size D."""
        return self.latent.shape[0]

    @property
    def source(self) -> str:
        """Where the latent came from, for labels and file names: ``"seed 42"`` or ``"projected"``."""
        return f"seed {self.seed}" if self.origin == "seed" else "projected"

    def edit(self, index: int) -> float:
        """Sigma along direction ``index`` (0.0 when not edited)."""
        return dict(self.edits).get(int(index), 0.0)

    def name(self, index: int) -> str | None:
        """The user's name for direction ``index``, or None."""
        return dict(self.names).get(int(index))

    def with_edit(self, index: int, sigma: float) -> "LatentState":
        """A copy with direction ``index`` set to ``sigma`` (0 removes it)."""
        return replace(self, edits={**dict(self.edits), int(index): float(sigma)}.items())

    def with_name(self, index: int, name: str) -> "LatentState":
        """A copy with direction ``index`` named ``name`` ("" removes it)."""
        return replace(self, names={**dict(self.names), int(index): name}.items())

    def effective(self, vectors) -> np.ndarray:
        """The latent to render: ``truncate(apply_edits(latent, vectors, edits), truncation)``.

        Parameters
        ----------
        vectors : array_like or None
            Direction vectors (K, D); may be None when there are no edits.

        Returns
        -------
        numpy.ndarray
            ``float32 (D,)``, writeable.
        """
        return truncate(apply_edits(self.latent, vectors, self.edits), self.truncation)


class LatentHistory:
    """Undo/redo of whole :class:`LatentState` values.

    Parameters
    ----------
    limit : int, optional
        States kept; the oldest are forgotten beyond it.
    """

    def __init__(self, limit: int = 500) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        self._limit = int(limit)
        self._states: list[LatentState] = []
        self._index = -1

    def push(self, state: LatentState) -> None:
        """Make ``state`` current; clears redo. A state equal to the current
        one is ignored, so repeated identical pushes cost no undo steps."""
        if self.current is not None and self.current == state:
            return
        del self._states[self._index + 1:]
        self._states.append(state)
        if len(self._states) > self._limit:
            del self._states[: len(self._states) - self._limit]
        self._index = len(self._states) - 1

    def undo(self) -> LatentState | None:
        """Step back; returns the new current state, or None at the start."""
        if not self.can_undo:
            return None
        self._index -= 1
        return self._states[self._index]

    def redo(self) -> LatentState | None:
        """Step forward again; returns the new current state, or None."""
        if not self.can_redo:
            return None
        self._index += 1
        return self._states[self._index]

    def clear(self) -> None:
        """Forget everything (e.g. when another model is chosen)."""
        self._states.clear()
        self._index = -1

    @property
    def current(self) -> LatentState | None:
        return self._states[self._index] if self._states else None

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._states) - 1

    def __len__(self) -> int:
        return len(self._states)


def state_metadata(state: LatentState, app_version: str) -> dict:
    """The JSON-ready fields of a state, without the latent itself.

    ``"seed"`` is null (None) for a projected state, and ``"origin"`` says
    why; files without ``"origin"`` (older versions) are seed states.
    """
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "app_version": str(app_version),
        "model": state.model, "model_hash": state.model_hash, "seed": state.seed, "origin": state.origin,
        "latent_dim": state.dim, "truncation": state.truncation,
        "edits": [[i, s] for i, s in state.edits], "names": [[i, n] for i, n in state.names],
    }
    if state.caption:         # only caption-conditioned models have one; older readers ignore it
        meta["caption"] = state.caption
    return meta


def state_from_metadata(meta, latent, source: str, expected_dim: int | None = None) -> LatentState:
    """Rebuild a state from :func:`state_metadata` fields and a latent.

    Raises
    ------
    LatentFileError
        Naming ``source``, if a field is missing or wrong, or the latent is
        not ``expected_dim`` long.
    """
    try:
        if not isinstance(meta, dict):
            raise TypeError("not a JSON object")
        latent = np.asarray(latent)
        if latent.dtype.kind not in "fiu":
            raise TypeError("the latent is not a list of numbers")
        origin = _text(meta.get("origin", "seed"))
        state = LatentState(
            model=_text(meta["model"]), model_hash=_text(meta.get("model_hash", "")),
            seed=_integer(meta["seed"]) if origin == "seed" else None, latent=latent,
            truncation=float(meta.get("truncation", 1.0)),
            edits=tuple((_integer(i), float(s)) for i, s in meta.get("edits", ())),
            names=tuple((_integer(i), _text(n)) for i, n in meta.get("names", ())), origin=origin,
            caption=_text(meta.get("caption", "")))
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"'{exc.args[0]}' is missing" if isinstance(exc, KeyError) else str(exc).rstrip(".")
        raise LatentFileError(f"Cannot read '{source}': the latent data is damaged ({detail}).") from None
    if expected_dim is not None and state.dim != int(expected_dim):
        raise LatentFileError(f"Cannot use '{source}': its latent has {state.dim} values but the model "
                              f"expects {int(expected_dim)}.")
    return state


def save_latent(path, state: LatentState, *, app_version: str | None = None) -> Path:
    """Write ``state`` as ``path`` (.npz, the latent) and a .json beside it.

    Parameters
    ----------
    path : str or os.PathLike
        Target; ``.npz`` is appended when the name does not end with it.
    state : LatentState
    app_version : str, optional
        Recorded in the JSON; defaults to ArtStudio's version.

    Returns
    -------
    pathlib.Path
        The .npz written (the JSON is ``path.with_suffix(".json")``).

    Raises
    ------
    LatentFileError
        If the files cannot be written; existing files are left untouched.
    """
    if app_version is None:
        from .. import __version__ as app_version
    path = Path(path)
    if path.suffix.lower() != ".npz":
        path = path.with_name(path.name + ".npz")
    folder = path.parent
    if not folder.is_dir():
        raise LatentFileError(f"Cannot save '{path.name}': the folder '{folder}' does not exist.")
    meta = json.dumps(state_metadata(state, app_version), indent=1, allow_nan=False)
    temps: list[Path] = []
    try:
        npz_tmp, json_tmp = _temp(path, temps), _temp(path.with_suffix(".json"), temps)
        with open(npz_tmp, "wb") as fh:
            np.savez(fh, latent=np.asarray(state.latent, np.float32))
        json_tmp.write_text(meta + "\n", encoding="utf-8")
        os.replace(json_tmp, path.with_suffix(".json"))
        os.replace(npz_tmp, path)
        temps.clear()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise LatentFileError(f"Cannot save '{path.name}': {reason.rstrip('.')}.") from None
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def load_latent(path, expected_dim: int | None = None) -> LatentState:
    """Read a state written by :func:`save_latent`.

    Parameters
    ----------
    path : str or os.PathLike
        The .npz (its .json must be beside it).
    expected_dim : int, optional
        The current model's latent size; another size is refused.

    Raises
    ------
    LatentFileError
        Naming the file: missing, damaged npz or JSON, or a wrong size.
    """
    path = Path(path)
    sidecar = path.with_suffix(".json")
    for item in (path, sidecar):
        if not item.is_file():
            raise LatentFileError(f"File not found: '{item.name}'" + (
                "" if item == path else f" (it holds the details of '{path.name}')."))
    try:
        with np.load(path, allow_pickle=False) as data:
            latent = data["latent"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        raise LatentFileError(f"Cannot read '{path.name}': the file is damaged or not a saved latent.") from None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise LatentFileError(f"Cannot read '{sidecar.name}': the file is damaged or not JSON.") from None
    return state_from_metadata(meta, latent, path.name, expected_dim)


def _pairs(value) -> Iterable[tuple]:
    return value.items() if isinstance(value, dict) else value


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    return value


def _integer(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, not {value!r}")
    return value


def _temp(target: Path, temps: list[Path]) -> Path:
    candidate = target.parent / f".{target.name[:100]}.{secrets.token_hex(4)}.tmp"
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    os.close(fd)
    temps.append(candidate)
    return candidate
