"""Restore jobs: fill the masked holes of a photo with a classical solver.

Also what every restore job shares: the one fill result type
(:class:`FillResult`, whatever filled the holes), the preview interval and
the input check.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from ..core.inpaint import SOLVERS, Region, blend_into, context_margin, fill_crop, find_regions
from ..core.rect import Rect
from .base import CancelToken, Event, JobError, Preview, Progress, readonly_copy, usable_cpus
from .interruptible import POLL_S, call_interruptibly
from .operations import operation

PREVIEW_INTERVAL_S = 0.25
# scikit-image's biharmonic solve grows much faster than linearly with the
# hole (0.5 s for 200x200 px on 2 cores) and cannot be interrupted mid-solve.
BIHARMONIC_MAX_HOLE = 250_000
# Holes larger than this (pixels) are solved in a child process that Cancel
# can terminate (jobs.interruptible): each takes over ~0.2 s in one C call
# (Telea/NS 0.22 s at 400x400, biharmonic 0.65 s at 200x200 on this CPU).
INTERRUPTIBLE_HOLE = {"telea": 150_000, "ns": 150_000, "biharmonic": 15_000}


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
        One of :data:`artstudio.core.inpaint.SOLVERS` (``"telea"``, ``"ns"``,
        ``"biharmonic"``).
    radius : int
        Neighbourhood radius in pixels for the OpenCV methods.
    previews : bool
        Yield intermediate images (a full copy each) for a viewer; the CLI
        has none and turns them off.
    """

    image: np.ndarray
    mask: np.ndarray
    method: str = "telea"
    radius: int = 5
    previews: bool = True

    @classmethod
    def snapshot(cls, image: np.ndarray, mask: np.ndarray, **options) -> "FillRequest":
        return cls(readonly_copy(image), readonly_copy(mask), **options)


@dataclass(frozen=True)
class FillResult:
    """What every fill returns (classical, neural or Deep Image Prior).

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8``, the input's shape; bit-identical where the mask is 0.
    method : str
        The fill operation's key (``telea``, ``net``, ``dip``...).
    regions : int
        Pieces of work the holes were cut into.
    seconds : float
        Wall time of the job.
    bounds : Rect or None
        Where pixels may differ from the input.
    iterations, stop_reason : int, str
        For an optimised fill (Deep Image Prior): iterations run and why it
        stopped; 0 and "" otherwise.
    """

    image: np.ndarray
    method: str
    regions: int
    seconds: float
    bounds: Rect | None = None
    iterations: int = 0
    stop_reason: str = ""

    def describe(self) -> str:
        """``in 300 iterations (plateau)`` or ``4 region(s)``: how the fill went."""
        if self.iterations:
            return f"in {self.iterations} iterations ({self.stop_reason})"
        return f"{self.regions} region(s)"


def check_image(image: np.ndarray) -> None:
    """Raise :class:`JobError` unless ``image`` is ``uint8 (H, W, 3|4)``, at least 8x8."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise JobError("The image must be RGB(A), 8 bits per channel, at least 8x8 pixels.")
    if min(image.shape[:2]) < 8:
        h, w = image.shape[:2]
        raise JobError(f"The photo is {w} x {h} px: filling needs at least 8 x 8 pixels.")


def check_fill_mask(image: np.ndarray, mask: np.ndarray, empty: str = "paint over the damage first") -> None:
    """Raise :class:`JobError` (one line) unless ``mask`` fits ``image`` and leaves something
    both to fill and to fill it from."""
    check_image(image)
    if mask.shape != image.shape[:2]:
        raise JobError("The mask and the image have different sizes.")
    if not mask.any():
        raise JobError(f"The mask is empty: {empty}.")
    if mask.all():
        raise JobError("The mask covers the whole photo: nothing is left to fill it from.")


def run_fill(request: FillRequest, cancel: CancelToken) -> Generator[Event, None, FillResult]:
    """Fill every hole; pixels where the mask is 0 stay bit-identical.

    Yields progress after each region and a preview at most every 0.25 s.
    """
    if request.method not in SOLVERS:
        raise JobError(f"Unknown fill method '{request.method}'. Choose one of: {', '.join(SOLVERS)}.")
    check_fill_mask(request.image, request.mask)
    start = time.perf_counter()
    label = operation("fill", request.method).description
    yield Progress(0.0, f"{label}: finding damaged regions")
    labels, regions = find_regions(request.mask, context_margin(request.method, request.radius),
                                   reach=request.radius)
    result = np.array(request.image, copy=True)
    if request.method == "biharmonic":
        _check_biharmonic_size(regions)
    total = sum(r.pixels for r in regions)
    done, last_preview, dirty, bounds = 0, time.perf_counter(), None, None
    # The solvers release the GIL, so regions are filled on every core; this
    # thread only pastes results back, checks for cancel and reports.
    pool = ThreadPoolExecutor(max_workers=usable_cpus())
    try:
        futures = [pool.submit(_fill_region, request, labels, region, cancel) for region in regions]
        for index, future in enumerate(_as_completed(futures, cancel), start=1):
            region, filled, own = future.result()
            blend_into(result[region.core.slices], filled, own)
            done += region.pixels
            dirty, bounds = region.core.union(dirty), region.core.union(bounds)
            yield Progress(done / total, f"{label}: region {index} of {len(regions)}")
            if request.previews and time.perf_counter() - last_preview >= PREVIEW_INTERVAL_S \
                    and index < len(regions):
                last_preview = time.perf_counter()
                yield Preview(result.copy(), dirty)
                dirty = None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return FillResult(result, request.method, len(regions), time.perf_counter() - start, bounds)


def _as_completed(futures, cancel: CancelToken):
    """Futures as they finish, checking ``cancel`` at least every POLL_S meanwhile."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
        cancel.check()
        yield from done


def _fill_region(request: FillRequest, labels: np.ndarray, region: Region, cancel: CancelToken):
    """Fill one region; returns it with the filled pixels and hole weights of its core."""
    crop, core = region.rect, region.core
    mask_crop = request.mask[crop.slices]
    # Only this component's holes: others are beyond the context margin,
    # and inpainting them here would be thrown away.
    own = np.where(labels[crop.slices] == region.label, mask_crop, 0).astype(np.uint8)
    args = (np.ascontiguousarray(request.image[crop.slices]), own > 0, request.method, request.radius)
    if region.pixels > INTERRUPTIBLE_HOLE[request.method]:
        filled = call_interruptibly(fill_crop, *args, cancel=cancel)
    else:
        filled = fill_crop(*args)
    inner = Rect(core.x0 - crop.x0, core.y0 - crop.y0, core.x1 - crop.x0, core.y1 - crop.y0)
    return region, filled[inner.slices], own[inner.slices]


def _check_biharmonic_size(regions: list[Region]) -> None:
    for region in regions:
        if region.pixels > BIHARMONIC_MAX_HOLE:
            raise JobError(f"A masked area of {region.pixels:,} pixels is too large for the biharmonic method "
                           f"(limit {BIHARMONIC_MAX_HOLE:,}); use Telea or Navier-Stokes for it.")

