"""Stylising big photos at a small working size, and luminance-only transfer.

The optimised modes work at <= 1-2 MP. What they change is carried back to
the photo's own resolution as a *residual*: ``full + enlarge(stylised_small
- small)``. The photo keeps its own fine detail (a 24 MP face stays sharp
under the new colours and brush marks), and a 24 MP photo costs about what
its working size costs plus two resizes.

Luminance-only transfer ("preserve colours", Gatys et al. 2016): the style
acts on the Y of YCrCb alone; the photo's Cr and Cb are kept.
"""

from __future__ import annotations

import cv2
import numpy as np


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` at ``(height, width)``: area filter to shrink, bicubic to enlarge; channels kept."""
    h, w = size
    if image.shape[:2] == (h, w):
        return image
    shrinking = h * w < image.shape[0] * image.shape[1]
    out = cv2.resize(np.ascontiguousarray(image), (w, h),
                     interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    return out.reshape(h, w, *image.shape[2:])


def working_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    """``(h, w)`` with the long side at most ``long_side`` (never enlarged), aspect kept."""
    scale = min(1.0, long_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def to_float(image: np.ndarray) -> np.ndarray:
    """``uint8 (H, W, 3)`` -> ``float32`` in [0, 1]."""
    return image[..., :3].astype(np.float32) / 255.0


def luminance(rgb: np.ndarray) -> np.ndarray:
    """``float32 (H, W, 1)``: Y (BT.601) of ``float32`` RGB in [0, 1]."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YCrCb)[..., :1]


def match_luminance(style_y: np.ndarray, content_y: np.ndarray) -> np.ndarray:
    """The style's luminance with the content's mean and spread (so only its texture is transferred)."""
    spread = content_y.std() / max(float(style_y.std()), 1e-6)
    return np.clip((style_y - style_y.mean()) * spread + content_y.mean(), 0, 1).astype(np.float32)


def carry_residual(full: np.ndarray, small: np.ndarray, stylised: np.ndarray, strength: float = 1.0,
                   luminance_only: bool = False) -> np.ndarray:
    """The photo ``full`` with ``strength`` of what stylisation did to its small copy.

    Parameters
    ----------
    full : numpy.ndarray
        ``uint8 (H, W, 3)``: the photo at its own size.
    small : numpy.ndarray
        ``float32 (h, w, C)`` in [0, 1]: what the optimiser started from
        (RGB, or Y when ``luminance_only``), at any size up to ``full``'s.
    stylised : numpy.ndarray
        ``float32``, the same shape as ``small``: the optimiser's result.
    strength : float
        0 keeps the photo, 1 takes the whole change.

    Returns
    -------
    numpy.ndarray
        ``uint8 (H, W, 3)``.
    """
    h, w = full.shape[:2]
    residual = resize((stylised - small) * np.float32(strength * 255.0), (h, w))
    if residual.ndim == 2:
        residual = residual[..., None]
    if not luminance_only:
        return np.clip(full[..., :3].astype(np.float32) + residual, 0, 255).round().astype(np.uint8)
    ycc = cv2.cvtColor(to_float(full), cv2.COLOR_RGB2YCrCb)
    ycc[..., 0] = np.clip(ycc[..., 0] + residual[..., 0] / 255.0, 0, 1)
    rgb = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)
    return np.clip(rgb * 255.0, 0, 255).round().astype(np.uint8)
