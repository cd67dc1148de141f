"""The mask's outline for the marching ants, traced at the screen's resolution.

Tracing a 24-megapixel mask at full size on every change would cost more
than a frame; the ants only need the outline as fine as the screen shows
it. So :func:`mask_outline` reads only the part of the mask in view (plus a
margin, so no false edge runs along the border of the view), shrinks it by
the zoom's power of two, and traces that: the work follows the number of
screen pixels, not the photo's size.

A thin scratch must not vanish at a low zoom: the mask is thresholded at
full size first and a reduced pixel counts as selected when any pixel under
it is.
"""

from __future__ import annotations

import math

import numpy as np

from .display import compare_scalar
from .rect import Rect

THRESHOLD = 128                 # the outline of "at least half selected", as Photoshop's ants


def reduction_for_scale(scale: float) -> int:
    """The power-of-two reduction whose pixels are about one screen pixel at ``scale`` (1 when zoomed in)."""
    if scale >= 1.0:
        return 1
    return 1 << max(0, int(math.floor(math.log2(1.0 / scale) + 1e-9)))


def outline_area(view: Rect, factor: int, size: tuple[int, int], quantum: int = 256) -> Rect:
    """The image rectangle to trace for ``view``: grown by a margin, snapped to a coarse grid
    (so a small pan reuses the last trace) and clipped to ``size``."""
    q = quantum * factor
    grown = view.grown(4 * factor)
    return Rect(grown.x0 // q * q, grown.y0 // q * q, -(-grown.x1 // q) * q, -(-grown.y1 // q) * q).clip(*size)


def mask_outline(mask: np.ndarray, area: Rect, factor: int = 1) -> list[np.ndarray]:
    """Closed outlines of the selected part (>= :data:`THRESHOLD`) of ``mask`` inside ``area``.

    Parameters
    ----------
    mask : numpy.ndarray
        ``uint8 (H, W)``.
    area : Rect
        The image pixels to trace (inside the mask).
    factor : int
        Reduction before tracing (a power of two from :func:`reduction_for_scale`).

    Returns
    -------
    list of numpy.ndarray
        ``float32 (N, 2)`` polygons in image coordinates (x, y), on the
        boundary pixels' centres at the reduced size.
    """
    import cv2

    if area.empty:
        return []
    binary = compare_scalar(mask[area.slices], THRESHOLD - 1, cv2.CMP_GT)
    if factor > 1:
        h, w = binary.shape
        small = cv2.resize(binary, (-(-w // factor), -(-h // factor)), interpolation=cv2.INTER_AREA)
        binary = compare_scalar(small, 0, cv2.CMP_GT)
    contours, _ = cv2.findContours(binary, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    origin = np.array([area.x0, area.y0], np.float32)
    return [(c.reshape(-1, 2).astype(np.float32) + 0.5) * factor + origin for c in contours]


__all__ = ["THRESHOLD", "mask_outline", "outline_area", "reduction_for_scale"]
