"""Whole-mask operations. Masks are ``uint8 (H, W)``: 0 = keep, 255 = fill."""

from __future__ import annotations

import numpy as np


def invert(mask: np.ndarray) -> np.ndarray:
    return 255 - mask


def binarize(mask: np.ndarray) -> np.ndarray:
    """Any painted pixel, however soft, counts as part of the hole."""
    return np.where(mask > 0, np.uint8(255), np.uint8(0))


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Grow (``pixels > 0``) or shrink (``pixels < 0``) by a round structuring element.

    Soft edges are kept: growing is a max filter, shrinking a min filter.
    """
    import cv2

    if pixels == 0:
        return mask.copy()
    n = abs(int(pixels))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * n + 1, 2 * n + 1))
    op = cv2.dilate if pixels > 0 else cv2.erode
    # Border value: the outside of the image neither grows nor eats the mask.
    return op(mask, kernel, borderType=cv2.BORDER_REPLICATE)


def coverage(mask: np.ndarray) -> float:
    """Fraction of pixels in the hole, for status messages."""
    return float(np.count_nonzero(mask)) / max(mask.size, 1)
