"""Moving through a generator's latent space: sampling, slerp, edits, breeding.

Latents are ``float32 (D,)`` vectors drawn from a standard normal; batches are
``float32 (N, D)``. A 512-D Gaussian latent has a norm of about sqrt(512) and
almost never lies near the origin, so a straight line between two latents
(lerp) passes through a region the generator never saw in training (the norm
dips by ~30% half way). Every path here therefore moves on the sphere:
:func:`slerp` for interpolation, a cos/sin mix with fresh noise for mutation.
Arithmetic is done in float64 and the result rounded once to float32.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = [
    "CROSSOVER_MODES", "apply_edits", "breed", "crossover", "interpolation_path",
    "mutate", "sample_latent", "slerp", "truncate",
]

CROSSOVER_MODES: tuple[str, ...] = ("slerp", "mix")
# Salts for the noise of breeding and the mask of crossover, so that they
# never replay sample_latent(seed): breeding a seed's latent with the same
# seed would otherwise mix it with itself.
_BREED_SALT, _MIX_SALT = 0xB12EED, 0x3171
# Below this angle (radians) two directions count as parallel and slerp's
# sin(omega) denominator loses precision; lerp is then exact enough.
_PARALLEL = 1e-6


def sample_latent(dim: int, seed: int) -> np.ndarray:
    """The latent for a seed: ``np.random.default_rng(seed).standard_normal``.

    Parameters
    ----------
    dim : int
        Latent size D (positive).
    seed : int
        Any non-negative integer; the same seed always gives the same latent.

    Returns
    -------
    numpy.ndarray
        ``float32 (D,)``, standard normal.
    """
    if int(dim) < 1:
        raise ValueError(f"latent size must be positive, not {dim}")
    if int(seed) < 0:
        raise ValueError(f"seed must not be negative, not {seed}")
    rng = np.random.default_rng(int(seed))
    return rng.standard_normal(int(dim)).astype(np.float32)


def slerp(a, b, t: float) -> np.ndarray:
    """Spherical interpolation from ``a`` (t=0) to ``b`` (t=1).

    The direction turns at constant angular speed along the great circle and
    the norm goes linearly from ``|a|`` to ``|b|``, so two Gaussian latents
    (whose norms are nearly equal) are joined by latents of the same norm.
    Falls back to lerp when ``a`` and ``b`` are parallel or one is zero.

    Parameters
    ----------
    a, b : array_like
        Latents of shape (D,).
    t : float
        Position along the path; 0 returns ``a`` and 1 returns ``b`` exactly.
        Values outside [0, 1] extrapolate along the same circle.

    Returns
    -------
    numpy.ndarray
        ``float32 (D,)``.
    """
    a, b = _pair(a, b)
    return _slerp_many(a, b, np.array([float(t)]))[0]


def truncate(z, psi: float) -> np.ndarray:
    """Pull a latent towards the mean (the origin): ``z * psi``.

    Parameters
    ----------
    z : array_like
        Latent (D,) or batch (N, D).
    psi : float
        Truncation in (0, 1]; 1 leaves ``z`` unchanged, lower values give
        tamer, more typical images.

    Returns
    -------
    numpy.ndarray
        ``float32``, same shape as ``z``.
    """
    psi = float(psi)
    if not 0.0 < psi <= 1.0:
        raise ValueError(f"truncation must be in (0, 1], not {psi}")
    z = np.asarray(z, np.float32)
    return z.copy() if psi == 1.0 else (z * np.float32(psi)).astype(np.float32)


def apply_edits(z, vectors, edits: Mapping[int, float] | Iterable[tuple[int, float]]) -> np.ndarray:
    """Move a latent along named directions: ``z + sum(sigma * vectors[i])``.

    Parameters
    ----------
    z : array_like
        Latent (D,).
    vectors : array_like or None
        Unit directions (K, D), e.g. ``Directions.vectors``. As ``z`` is
        standard normal, its coordinate along a unit vector has standard
        deviation 1, so ``sigma`` is in standard deviations. May be None when
        ``edits`` is empty.
    edits : mapping or iterable of (int, float)
        Direction index -> sigma. Zero sigmas are skipped.

    Returns
    -------
    numpy.ndarray
        ``float32 (D,)``; a copy of ``z`` when there are no edits.

    Raises
    ------
    ValueError
        If an index is outside ``vectors`` or the sizes do not match.
    """
    z = np.asarray(z, np.float32)
    edits = {int(i): float(s) for i, s in (edits.items() if isinstance(edits, Mapping) else edits)}
    edits = {i: s for i, s in edits.items() if s != 0.0}
    if not edits:
        return z.copy()
    if vectors is None:
        raise ValueError("edits need the model's direction vectors")
    vectors = np.asarray(vectors, np.float32)
    if vectors.ndim != 2 or vectors.shape[1] != z.shape[-1]:
        raise ValueError(f"direction vectors {vectors.shape} do not fit a latent of size {z.shape[-1]}")
    out = z.astype(np.float64)
    for index, sigma in sorted(edits.items()):
        if not 0 <= index < len(vectors):
            raise ValueError(f"direction {index} does not exist; there are {len(vectors)} (0-{len(vectors) - 1})")
        out += sigma * vectors[index].astype(np.float64)
    return out.astype(np.float32)


def mutate(z, strength: float, rng) -> np.ndarray:
    """A random neighbour: ``cos(s*pi/2) * z + sin(s*pi/2) * noise``.

    Because cos^2 + sin^2 = 1, a standard normal ``z`` gives a standard
    normal child, so mutated latents keep the norm statistics of samples.

    Parameters
    ----------
    z : array_like
        Latent (D,) or batch (N, D).
    strength : float
        In [0, 1]: 0 returns ``z`` exactly, 1 returns fresh noise,
        independent of ``z``.
    rng : numpy.random.Generator or int
        Source of the noise (an int is used as a seed).

    Returns
    -------
    numpy.ndarray
        ``float32``, same shape as ``z``.
    """
    z = np.asarray(z, np.float32)
    noise = np.random.default_rng(rng).standard_normal(z.shape)
    return _mix(z, noise, strength)


def breed(z, count: int, strength: float, seed: int) -> np.ndarray:
    """``count`` children of ``z``, each :func:`mutate`-d with its own noise.

    Parameters
    ----------
    z : array_like
        Parent latent (D,).
    count : int
        Number of children (e.g. 12 for a 4x3 grid).
    strength : float
        Mutation strength in [0, 1], as for :func:`mutate`.
    seed : int
        The same seed gives the same children; the first ``n`` children do
        not depend on ``count``.

    Returns
    -------
    numpy.ndarray
        ``float32 (count, D)``.
    """
    z = np.asarray(z, np.float32)
    if z.ndim != 1:
        raise ValueError(f"breed needs one latent (D,), not shape {z.shape}")
    if int(count) < 1:
        raise ValueError(f"count must be positive, not {count}")
    rng = np.random.default_rng([_BREED_SALT, int(seed)])
    noise = rng.standard_normal((int(count), z.shape[0]))
    return _mix(z[None, :], noise, strength)


def crossover(a, b, blend: float, mode: str = "slerp", seed: int = 0) -> np.ndarray:
    """A child of two latents.

    Parameters
    ----------
    a, b : array_like
        Parent latents (D,).
    blend : float
        In [0, 1]: 0 gives ``a``, 1 gives ``b``.
    mode : {"slerp", "mix"}
        ``"slerp"``: the point ``blend`` of the way along :func:`slerp`.
        ``"mix"``: each component is taken whole from ``a`` or ``b``, from
        ``b`` with probability ``blend`` (a mask drawn from ``seed``).
    seed : int
        Seeds the mask of ``"mix"``; ignored by ``"slerp"``.

    Returns
    -------
    numpy.ndarray
        ``float32 (D,)``.
    """
    a, b = _pair(a, b)
    blend = float(blend)
    if not 0.0 <= blend <= 1.0:
        raise ValueError(f"blend must be in [0, 1], not {blend}")
    if mode == "slerp":
        return slerp(a, b, blend)
    if mode == "mix":
        take_b = np.random.default_rng([_MIX_SALT, int(seed)]).random(a.shape[0]) < blend
        return np.where(take_b, b, a).astype(np.float32)
    raise ValueError(f"unknown crossover mode {mode!r}; use one of {', '.join(CROSSOVER_MODES)}")


def interpolation_path(keys, frames: int, loop: bool) -> np.ndarray:
    """Frames that slerp through keyframes in order.

    The frames are shared among the segments as evenly as possible (counts
    differ by at most one) and each segment starts exactly on its key.
    Without ``loop`` the last frame is the last key. With ``loop`` a last
    segment runs from the last key back towards the first, stopping one step
    short of it, so that a looping animation wraps round without a
    repeated frame.

    Parameters
    ----------
    keys : array_like
        Keyframe latents (K, D), K >= 1.
    frames : int
        Number of frames; at least K.
    loop : bool
        Whether the path closes back to the first key.

    Returns
    -------
    numpy.ndarray
        ``float32 (frames, D)``.
    """
    keys = np.asarray(keys, np.float32)
    if keys.ndim != 2 or len(keys) == 0:
        raise ValueError(f"keys must be a non-empty (K, D) array, not shape {keys.shape}")
    frames, count = int(frames), len(keys)
    if frames < count:
        raise ValueError(f"{count} keyframes need at least {count} frames, not {frames}")
    if count == 1:
        return np.repeat(keys, frames, axis=0)
    starts = list(range(count)) if loop else list(range(count - 1))
    budget = frames if loop else frames - 1
    share, extra = divmod(budget, len(starts))
    parts = []
    for s, start in enumerate(starts):
        n = share + (1 if s < extra else 0)
        a, b = keys[start], keys[(start + 1) % count]
        parts.append(_slerp_many(a, b, np.arange(n) / n))
    if not loop:
        parts.append(keys[-1:].copy())
    return np.concatenate(parts).astype(np.float32)


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"need two latents of the same size (D,), not {a.shape} and {b.shape}")
    return a, b


def _slerp_many(a: np.ndarray, b: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """(len(ts), D) float32; rows at t == 0 and t == 1 are exact copies."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    na, nb = float(np.linalg.norm(a64)), float(np.linalg.norm(b64))
    t = ts[:, None]
    if na == 0.0 or nb == 0.0:
        out = (1.0 - t) * a64 + t * b64
    else:
        ua, ub = a64 / na, b64 / nb
        omega = math.acos(min(1.0, max(-1.0, float(ua @ ub))))
        if omega < _PARALLEL or math.pi - omega < _PARALLEL:
            out = (1.0 - t) * a64 + t * b64
        else:
            direction = (np.sin((1.0 - t) * omega) * ua + np.sin(t * omega) * ub) / math.sin(omega)
            out = ((1.0 - t) * na + t * nb) * direction
    out = out.astype(np.float32)
    out[ts == 0.0] = a
    out[ts == 1.0] = b
    return out


def _mix(z: np.ndarray, noise: np.ndarray, strength: float) -> np.ndarray:
    strength = float(strength)
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"mutation strength must be in [0, 1], not {strength}")
    if strength == 0.0:
        return np.broadcast_to(z, noise.shape).astype(np.float32)
    if strength == 1.0:
        return noise.astype(np.float32)
    angle = strength * math.pi / 2
    return (math.cos(angle) * z.astype(np.float64) + math.sin(angle) * noise).astype(np.float32)
