"""Restore jobs: fill the masked holes of a photo."""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from ..core.inpaint import METHODS, blend_into, context_margin, fill_crop, find_regions
from ..core.rect import Rect
from .base import CancelToken, Event, JobError, Preview, Progress, readonly_copy

PREVIEW_INTERVAL_S = 0.25
# scikit-image's biharmonic solve grows much faster than linearly with the
# hole (0.5 s for 200x200 px on 2 cores) and cannot be interrupted mid-solve.
BIHARMONIC_MAX_HOLE = 250_000


@dataclass(frozen=True)
class FillRequest:
    """What to fill; arrays are read-only copies taken on the GUI thread.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A).
    mask : numpy.ndarray
        ``uint8 (H, W)``; 0 = keep, >0 = fill (soft values blend).
    method : str
        ``"telea"``, ``"ns"`` or ``"biharmonic"``.
    radius : int
        Neighbourhood radius in pixels for the OpenCV methods.
    """

    image: np.ndarray
    mask: np.ndarray
    method: str = "telea"
    radius: int = 5

    @classmethod
    def snapshot(cls, image: np.ndarray, mask: np.ndarray, **options) -> "FillRequest":
        return cls(readonly_copy(image), readonly_copy(mask), **options)


@dataclass(frozen=True)
class FillResult:
    image: np.ndarray
    method: str
    regions: int
    seconds: float
    bounds: Rect | None = None     # where pixels may differ from the input


def run_fill(request: FillRequest, cancel: CancelToken) -> Generator[Event, None, FillResult]:
    """Fill every hole; pixels where the mask is 0 stay bit-identical.

    Yields progress after each region and a preview at most every 0.25 s.
    """
    if request.method not in METHODS:
        raise JobError(f"Unknown fill method '{request.method}'. Choose one of: {', '.join(METHODS)}.")
    if request.mask.shape != request.image.shape[:2]:
        raise JobError("The mask and the image have different sizes.")
    if not request.mask.any():
        raise JobError("The mask is empty: paint over the damage first.")
    start = time.perf_counter()
    yield Progress(0.0, f"{METHODS[request.method]}: finding damaged regions")
    labels, regions = find_regions(request.mask, context_margin(request.method, request.radius))
    result = np.array(request.image, copy=True)
    if request.method == "biharmonic":
        _check_biharmonic_size(request.mask, labels, regions)
    total = sum(r.pixels for r in regions)
    done, last_preview, dirty, bounds = 0, time.perf_counter(), None, None
    for index, region in enumerate(regions, start=1):
        cancel.check()
        crop = region.rect.slices
        mask_crop = request.mask[crop]
        filled = fill_crop(request.image[crop], mask_crop > 0, request.method, request.radius)
        own = np.where(labels[crop] == region.label, mask_crop, 0).astype(np.uint8)
        blend_into(result[crop], filled, own)
        done += region.pixels
        dirty, bounds = region.rect.union(dirty), region.rect.union(bounds)
        yield Progress(done / total, f"{METHODS[request.method]}: region {index} of {len(regions)}")
        if time.perf_counter() - last_preview >= PREVIEW_INTERVAL_S and index < len(regions):
            last_preview = time.perf_counter()
            yield Preview(result.copy(), dirty)
            dirty = None
    return FillResult(result, request.method, len(regions), time.perf_counter() - start, bounds)


def _check_biharmonic_size(mask: np.ndarray, labels: np.ndarray, regions) -> None:
    for region in regions:
        crop = region.rect.slices
        hole = int(np.count_nonzero((labels[crop] == region.label) & (mask[crop] > 0)))
        if hole > BIHARMONIC_MAX_HOLE:
            raise JobError(f"A masked area of {hole:,} pixels is too large for the biharmonic method "
                           f"(limit {BIHARMONIC_MAX_HOLE:,}); use Telea or Navier-Stokes for it.")
