"""Gaussian and Laplacian image pyramids, as ProGAN's sliced Wasserstein metric builds them.

The filter is the 5-tap binomial ``[1, 4, 6, 4, 1] / 16`` in each direction
with mirrored borders (OpenCV's ``pyrDown``/``pyrUp``, which ProGAN's
``metrics/sliced_wasserstein.py`` matches with ``scipy.ndimage.convolve``);
it is separable, so it runs as two 1-D passes here.

Arrays are ``float32 (N, C, H, W)`` with H and W divisible by
``2 ** (levels - 1)``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_TAPS = np.float32([1, 4, 6, 4, 1]) / 16.0


def _blur(batch: np.ndarray, gain: float = 1.0) -> np.ndarray:
    out = ndimage.correlate1d(batch, _TAPS * gain, axis=2, mode="mirror")
    return ndimage.correlate1d(out, _TAPS * gain, axis=3, mode="mirror")


def pyr_down(batch: np.ndarray) -> np.ndarray:
    """Blur, then keep every second row and column: ``(N, C, H, W)`` -> ``(N, C, H/2, W/2)``."""
    return _blur(batch)[:, :, ::2, ::2]


def pyr_up(batch: np.ndarray) -> np.ndarray:
    """Insert zeros between samples and blur with gain 4: ``(N, C, H, W)`` -> ``(N, C, 2H, 2W)``."""
    n, c, h, w = batch.shape
    out = np.zeros((n, c, h * 2, w * 2), batch.dtype)
    out[:, :, ::2, ::2] = batch
    return _blur(out, 2.0)        # 2 x 2 = ProGAN's gain of 4 on the 2-D filter


def laplacian_pyramid(batch: np.ndarray, levels: int) -> list[np.ndarray]:
    """``levels`` arrays, finest first: band-pass levels, then the low-pass residual.

    Parameters
    ----------
    batch : ndarray, (N, C, H, W)
        Any real values (ProGAN feeds 0-255).
    levels : int
        At least 1; level ``k`` has side ``H / 2**k``.
    """
    if levels < 1:
        raise ValueError("a pyramid has at least one level")
    if batch.shape[2] % (1 << (levels - 1)) or batch.shape[3] % (1 << (levels - 1)):
        raise ValueError(f"{batch.shape[2]}x{batch.shape[3]} px cannot be halved {levels - 1} times")
    pyramid = [np.asarray(batch, np.float32)]
    for _ in range(1, levels):
        pyramid.append(pyr_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - pyr_up(pyramid[-1])
    return pyramid


def swd_resolutions(side: int, smallest: int = 16) -> list[int]:
    """ProGAN's levels for ``side`` px images: ``side, side/2, ...`` down to ``smallest``."""
    found = []
    while side >= smallest:
        found.append(side)
        side //= 2
    return found
