"""Gradient-domain (Poisson) blending on small rectangular crops.

A healing dab keeps the *gradients* of the pixels it copies and takes its
*level* from where it lands: inside a rectangle the result ``f`` solves
``laplacian(f) = laplacian(source)`` with ``f = destination`` on the
rectangle's one-pixel border (Pérez et al. 2003, "Poisson image editing").
Writing ``f = source + h`` turns this into Laplace's equation for the
correction ``h`` with ``h = destination - source`` on the border: ``h`` is
smooth, so the source's texture (its high frequencies) is kept exactly and
only a low-frequency ramp is added. On a rectangle the discrete Laplacian is
diagonalised by the type-I discrete sine transform, so the solve is exact and
costs O(n log n) in the crop's pixels, whatever the size of the photo.
A large crop solves the smooth correction on a half-size grid instead
(:func:`poisson_blend`): within a level of the exact solve, three times faster.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["fast_side", "harmonic_fill", "poisson_blend"]


def fast_side(n: int) -> int:
    """The smallest crop side ``>= n`` whose solve is fast.

    :func:`harmonic_fill` on a side ``n`` runs FFTs of length ``2 (n - 1)``;
    where ``n - 1`` has a large prime factor they are several times slower
    (side 150 costs 5x side 151), so a dab's box is grown to the next side
    with ``n - 1`` made of 2, 3 and 5 only.
    """
    m = max(int(n), 3)
    while True:
        k = m - 1
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
        m += 1


def harmonic_fill(border: np.ndarray) -> np.ndarray:
    """The harmonic function inside a rectangle with the given border values.

    Parameters
    ----------
    border : numpy.ndarray
        ``float32 (H, W)`` or ``(H, W, C)``; only its one-pixel outer ring is read.

    Returns
    -------
    numpy.ndarray
        ``float32``, same shape: the ring as given, the interior solving the
        5-point discrete Laplace equation exactly (up to float rounding).
    """
    from scipy.fft import dstn, idstn   # scipy comes with scikit-image; only a healing dab needs it

    values = np.asarray(border, np.float32)
    out = values.copy()
    h, w = values.shape[:2]
    if h < 3 or w < 3:
        return out
    # Channels first, so the transforms run over contiguous planes (measured side by side with the
    # interleaved layout on a quiet machine: the same speed, 2.4 ms for a 321 px box; a first
    # measurement under load that suggested 2x was noise).
    ring = np.moveaxis(values, -1, 0) if values.ndim == 3 else values
    # The known ring moves to the right-hand side of L u = rhs (u zero on the ring).
    rhs = np.zeros(ring.shape[:-2] + (h - 2, w - 2), np.float32)
    rhs[..., 0, :] -= ring[..., 0, 1:-1]
    rhs[..., -1, :] -= ring[..., -1, 1:-1]
    rhs[..., :, 0] -= ring[..., 1:-1, 0]
    rhs[..., :, -1] -= ring[..., 1:-1, -1]
    spectrum = dstn(rhs, type=1, axes=(-2, -1), overwrite_x=True)
    spectrum *= _inverse_eigenvalues(h, w)
    solved = idstn(spectrum, type=1, axes=(-2, -1), overwrite_x=True)
    out[1:-1, 1:-1] = np.moveaxis(solved, 0, -1) if values.ndim == 3 else solved
    return out


@lru_cache(maxsize=32)
def _inverse_eigenvalues(h: int, w: int) -> np.ndarray:
    """1 / the eigenvalues of the 5-point Laplacian on an ``(h-2, w-2)`` interior (a brush has few box sizes)."""
    j = np.arange(1, h - 1, dtype=np.float64)[:, None]
    k = np.arange(1, w - 1, dtype=np.float64)[None, :]
    eig = 2.0 * np.cos(np.pi * j / (h - 1)) + 2.0 * np.cos(np.pi * k / (w - 1)) - 4.0
    inverse = (1.0 / eig).astype(np.float32)
    inverse.setflags(write=False)
    return inverse


# Crops with both sides above this solve the correction on a half-size grid (see poisson_blend).
COARSE_SIDE = 224


def poisson_blend(source: np.ndarray, destination: np.ndarray, coarse: bool = True) -> np.ndarray:
    """``source``'s gradients with ``destination``'s values on the crop's border.

    The correction is harmonic, so smooth inside: on a crop with both sides
    over :data:`COARSE_SIDE` px (a brush over ~200 px) it is solved on a
    half-size grid from the ring's averages and upsampled. That took a 385 px
    box's blend from 4.8 to 1.5 ms; on textured crops it differs from the
    exact solve by 0.05 levels on average and 1 at most more than ~6 px
    from the box's edge (the difference is as smooth as the correction: the
    source's texture is kept exactly), but up to 10 levels right at the edge:
    a caller whose blend reaches the edge passes ``coarse=False``.

    Parameters
    ----------
    source, destination : numpy.ndarray
        ``(H, W, C)`` (any numeric dtype, e.g. uint8 RGB crops of the same shape).

    Returns
    -------
    numpy.ndarray
        ``float32 (H, W, C)``, unclipped: equal to ``destination`` on the
        border ring and to ``source`` plus a smooth correction inside.
    """
    src = np.asarray(source, np.float32)
    dst = np.asarray(destination, np.float32)
    if src.ndim == 2:
        return poisson_blend(src[..., None], dst[..., None], coarse)[..., 0]
    if not coarse or min(src.shape[:2]) <= COARSE_SIDE:
        return src + harmonic_fill(dst - src)
    # Only the ring of ``dst - src`` is read: a 300 px dab's box is 300 000 values, its ring 3600.
    ring = [dst[0] - src[0], dst[-1] - src[-1], dst[:, 0] - src[:, 0], dst[:, -1] - src[:, -1]]
    correction = _coarse_harmonic(ring, src.shape)
    correction += src
    return correction


def _coarse_harmonic(ring: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """:func:`harmonic_fill` inside a ``shape`` (``(H, W, C)``) rectangle whose ring is
    ``[top, bottom, left, right]`` (``float32 (W, C)``, ``(W, C)``, ``(H, C)``, ``(H, C)``),
    solved at half size: the ring averaged in pairs along each side, the solution upsampled,
    the ring kept as given."""
    import cv2

    h, w, channels = shape
    sh, sw = (h + 1) // 2, (w + 1) // 2

    def side(values: np.ndarray, length: int) -> np.ndarray:
        return cv2.resize(values[None], (length, 1), interpolation=cv2.INTER_AREA).reshape(length, -1)

    top, bottom, left, right = ring
    small = np.zeros((sh, sw, channels), np.float32)
    small[0], small[-1] = side(top, sw), side(bottom, sw)
    small[:, 0], small[:, -1] = side(left, sh), side(right, sh)
    out = cv2.resize(harmonic_fill(small), (w, h), interpolation=cv2.INTER_LINEAR).reshape(shape)
    out[0], out[-1], out[:, 0], out[:, -1] = top, bottom, left, right
    return out
