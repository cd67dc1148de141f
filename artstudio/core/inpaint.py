"""Classical hole filling (OpenCV Telea and Navier-Stokes, scikit-image biharmonic).

Large photos are filled one region at a time: each group of masked pixels
(long thin scratches cut into tiles) is cut out with a margin of context,
filled, and pasted back. That keeps memory bounded and makes the work
cancellable between regions; docs/BENCHMARKS.md compares its speed with one
whole-frame solver call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .rect import Rect, bbox_of_nonzero

# The classical solvers fill_crop runs, by name -> OpenCV flag (None: scikit-image's
# biharmonic). What the user sees of them (labels, order) is the restore-operation
# registry's business (artstudio.jobs.operations), not this module's.
_OPENCV_FLAGS = {"telea": "INPAINT_TELEA", "ns": "INPAINT_NS", "biharmonic": None}
SOLVERS: tuple[str, ...] = tuple(_OPENCV_FLAGS)
TILE = 512
# Above this many unknown pixels the sparse biharmonic solve of a first guess
# takes seconds (measured on a 2-core CPU: 0.3 s for 22 k, 0.8 s for 62 k,
# 2.2 s for 122 k in one region); the inpainting network's push-pull guess instead.
MAX_BIHARMONIC_GUESS = 50_000


@dataclass(frozen=True)
class Region:
    """A piece of work: fill the holes labelled ``label`` inside ``rect``
    (the crop, with context) and write back those inside ``core``."""

    rect: Rect
    core: Rect
    label: int
    pixels: int


def context_margin(method: str, radius: int) -> int:
    """Pixels of context kept around a hole; the solvers look no further."""
    return max(16, 3 * int(radius)) if method in ("telea", "ns") else 24


def find_regions(mask: np.ndarray, margin: int, tile: int = TILE, reach: int = 5,
                 check=None) -> tuple[np.ndarray, list[Region]]:
    """Split the holes into independent pieces of work.

    Holes closer than ``2 * margin`` form one component. A compact component
    is one region. An elongated one (a scratch) whose bounds exceed ``tile``
    is cut into tiles, each with enough context that every written pixel
    sees everything the solver would use (hole depth plus the solver's
    ``reach``): a long diagonal scratch would otherwise make the solver set
    up a crop as large as the whole photo. Tiling changes what such holes are
    filled with by a few levels at most (3 measured, docs/BENCHMARKS.md).

    Parameters
    ----------
    mask : numpy.ndarray
        ``uint8 (H, W)``, non-zero = hole.
    margin : int
        Context in pixels kept around every hole.
    check : callable, optional
        Called between the steps (each up to ~0.2 s at 24 MP): a cancel check that raises.

    Returns
    -------
    labels : numpy.ndarray
        ``int32 (H, W)``; the component label of each pixel of the grown holes.
    regions : list of Region
        Largest crop first.
    """
    import cv2

    check = check or (lambda: None)
    hole = (mask > 0).astype(np.uint8)
    if not hole.any():
        return np.zeros(mask.shape, np.int32), []
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * margin + 1, 2 * margin + 1))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(hole, kernel), connectivity=8)
    check()
    # Per-component hole size and depth, from the hole pixels only (a few
    # percent of the frame; scipy.ndimage's per-label max sorts the frame).
    inside = np.flatnonzero(hole)
    owner = labels.ravel()[inside]
    own_pixels = np.bincount(owner, minlength=count)
    deepest = np.zeros(count, np.float32)
    check()
    np.maximum.at(deepest, owner, cv2.distanceTransform(hole, cv2.DIST_L2, 3).ravel()[inside])
    check()
    h, w = mask.shape
    regions = []
    for label in range(1, count):
        x, y, bw, bh, _ = (int(v) for v in stats[label])
        bounds = Rect(x, y, x + bw, y + bh).clip(w, h)
        context = max(margin, int(np.ceil(deepest[label])) + reach + 2)
        if max(bw, bh) > tile and context <= tile // 4:
            regions.extend(_tiles(bounds, label, labels, hole, context, tile))
        else:
            regions.append(Region(bounds, bounds, label, int(own_pixels[label])))
    regions.sort(key=lambda r: -r.rect.width * r.rect.height)
    return labels, regions


def _tiles(bounds: Rect, label: int, labels: np.ndarray, hole: np.ndarray, margin: int, tile: int):
    h, w = hole.shape
    for ty in range(bounds.y0 // tile * tile, bounds.y1, tile):
        for tx in range(bounds.x0 // tile * tile, bounds.x1, tile):
            core = Rect(tx, ty, tx + tile, ty + tile).intersect(bounds)
            pixels = int(np.count_nonzero((labels[core.slices] == label) & (hole[core.slices] > 0)))
            if pixels:
                yield Region(core.grown(margin).clip(w, h), core, label, pixels)


def fill_crop(pixels: np.ndarray, hole: np.ndarray, method: str, radius: int = 5) -> np.ndarray:
    """Fill the holes of one crop.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``uint8 (h, w, 3|4)`` RGB(A).
    hole : numpy.ndarray
        ``bool (h, w)``; True where pixels are to be invented.
    method : str
        One of :data:`SOLVERS`.

    Returns
    -------
    numpy.ndarray
        ``uint8 (h, w, 3|4)``; only pixels under ``hole`` are meaningful.
    """
    if method not in SOLVERS:
        raise ValueError(f"Unknown fill method '{method}'. Choose one of: {', '.join(SOLVERS)}.")
    if _OPENCV_FLAGS[method] is None:
        from skimage.restoration import inpaint_biharmonic

        filled = inpaint_biharmonic(pixels.astype(np.float32) / 255.0, hole, channel_axis=-1)
        return np.clip(np.rint(filled * 255.0), 0, 255).astype(np.uint8)
    import cv2

    flag = getattr(cv2, _OPENCV_FLAGS[method])
    hole8 = hole.astype(np.uint8)
    # cv2.inpaint works channel by channel on 1- or 3-channel images, so RGB
    # order needs no conversion; alpha is filled as its own channel.
    rgb = cv2.inpaint(np.ascontiguousarray(pixels[..., :3]), hole8, float(radius), flag)
    if pixels.shape[2] == 3:
        return rgb
    alpha = pixels[..., 3]
    known = alpha[~hole]
    if known.size and (known == known[0]).all():
        # Uniform alpha (the usual case: fully opaque) stays exactly uniform;
        # Telea would otherwise wobble it by a level or two.
        filled_alpha = np.full_like(alpha, known[0])
    else:
        filled_alpha = cv2.inpaint(np.ascontiguousarray(alpha), hole8, float(radius), flag)
    return np.dstack([rgb, filled_alpha])


def blend_into(target: np.ndarray, filled: np.ndarray, mask: np.ndarray) -> None:
    """Blend ``filled`` into ``target`` in place through a soft mask.

    Where ``mask == 0`` the target is not written at all, so those pixels stay
    bit-identical; where ``mask == 255`` the filled value is taken as is.
    """
    inside = mask > 0
    if not inside.any():
        return
    alpha = mask[inside].astype(np.float32)[:, None] / 255.0
    old = target[inside].astype(np.float32)
    new = filled[inside].astype(np.float32)
    target[inside] = np.clip(np.rint(old + (new - old) * alpha), 0, 255).astype(np.uint8)


def biharmonic_guess(image: np.ndarray, hole: np.ndarray,
                     max_hole: int = MAX_BIHARMONIC_GUESS) -> np.ndarray | None:
    """scikit-image's biharmonic fill as a first guess for the inpainting network.

    Parameters
    ----------
    image : numpy.ndarray
        ``float32 (h, w, C)`` in [0, 1]; values under ``hole`` are ignored.
    hole : numpy.ndarray
        ``bool (h, w)``; True where pixels are unknown.
    max_hole : int
        Larger holes take seconds to solve: None is returned for them.

    Returns
    -------
    numpy.ndarray or None
        ``float32 (h, w, C)`` in [0, 1], the input outside ``hole``; None when
        there is no hole, no known pixel, or more than ``max_hole`` unknown
        pixels (the network's push-pull guess is then used instead).
    """
    count = int(np.count_nonzero(hole))
    if count == 0 or count == hole.size or count > max_hole:
        return None
    from skimage.restoration import inpaint_biharmonic

    filled = inpaint_biharmonic(np.ascontiguousarray(image), hole, channel_axis=-1)
    filled = np.clip(filled, 0.0, 1.0).astype(np.float32)
    return np.where(hole[..., None], filled, image).astype(np.float32, copy=False)


# Holes nearer than twice this share one solve: the 13-point stencil reaches 2 px,
# so farther holes cannot change each other's biharmonic fill.
_GUESS_MARGIN = 3


class FrameGuess:
    """The biharmonic first guess of every hole of a frame, each hole solved once.

    The neural fill's crops keep 48 px or more of context, so neighbouring
    crops share holes: solved crop by crop, the 0.67 M hole pixels of the
    24 MP benchmark scan were solved 1.9 times over. Here each component of
    the holes (long scratches in tiles, as :func:`find_regions` cuts them)
    is solved once, on demand, in a crop with only the context the solve
    needs, and every crop takes its holes' values from the one solution.
    Values differ from a per-crop solve where a crop's edge cut a hole, and
    where scikit-image's clip of the solution to the value range of the
    pixels it was given bites (a smaller solve box can have a narrower range:
    a speck in a corner of noise came out up to 18 levels lower); on the
    held-out photos the neural fill's hole PSNR moved by -0.009 to +0.077 dB
    on average (docs/BENCHMARKS.md). Memory follows the damage too: only
    solved values are kept, with their positions.

    Parameters
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)``; only RGB is used.
    mask : numpy.ndarray
        ``uint8 (H, W)``, non-zero = hole.
    max_hole : int
        A component with more unknown pixels is not solved (see
        :func:`biharmonic_guess`); crops that contain it get None.
    check : callable, optional
        Called between the planning's steps (a cancel check that raises).
    """

    def __init__(self, image: np.ndarray, mask: np.ndarray, max_hole: int = MAX_BIHARMONIC_GUESS, check=None):
        self._image = image
        self._hole = mask > 0
        self._max_hole = max_hole
        self._labels, self._pending = find_regions(mask, _GUESS_MARGIN, tile=TILE, reach=5, check=check)
        # Per solved region: (its core, rows, columns, float32 (n, 3) values) of the holes it
        # wrote, found through the _CELL px grid cells its core touches (a dusty scan has
        # thousands: a crop must not look at every one).
        self._solved: list[tuple[Rect, np.ndarray, np.ndarray, np.ndarray]] = []
        self._cells: dict[tuple[int, int], list[int]] = {}
        self._lock = threading.Lock()

    def solve_all(self, workers: int | None = None, wanted: list[Rect] | None = None):
        """Solve every hole now, ``workers`` solves at a time (default: one per core, at most 4);
        yields ``(solved, total)`` after each. SuperLU releases the GIL: on 2 cores the 24 MP
        scan's holes took 2.5-2.8 s so, 4.3-4.9 s one at a time. With ``wanted``, only holes
        inside those rectangles are solved (the crops that will ask; a crop the network sees
        downscaled solves its own). Closing the generator early (a cancel) drops the solves
        not yet started; their crops then get None."""
        import os
        from concurrent.futures import ThreadPoolExecutor, as_completed

        pending, self._pending, labels = self._pending, [], self._labels
        if wanted is not None:
            cells = {cell for rect in wanted for cell in _cells_of(rect, _WANTED_CELL)}
            pending = [region for region in pending
                       if any(cell in cells for cell in _cells_of(region.core, _WANTED_CELL))]
        pool = ThreadPoolExecutor(workers or min(4, os.cpu_count() or 1), thread_name_prefix="first-guess")
        try:
            futures = [pool.submit(self._solve, region, labels) for region in pending]
            for solved, future in enumerate(as_completed(futures), start=1):
                future.result()
                yield solved, len(futures)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            self._labels = None     # nothing is left to solve: the crops need only the values

    def crop(self, rect: Rect) -> np.ndarray | None:
        """``float32 (h, w, 3)`` in [0, 1]: the pixels of ``rect`` with every hole
        holding its guess, or None when a hole there has none."""
        self._solve_within(rect)
        pixels = self._image[rect.slices][..., :3].astype(np.float32) / np.float32(255.0)
        near = {i for cell in _cells_of(rect) for i in self._cells.get(cell, ())}
        written = 0
        for core, ys, xs, values in (self._solved[i] for i in sorted(near)):
            if core.intersect(rect).empty:
                continue
            inside = (ys >= rect.y0) & (ys < rect.y1) & (xs >= rect.x0) & (xs < rect.x1)
            pixels[ys[inside] - rect.y0, xs[inside] - rect.x0] = values[inside]
            written += int(np.count_nonzero(inside))
        if written != np.count_nonzero(self._hole[rect.slices]):
            return None             # a hole here had no solve (too large, or cancelled)
        return pixels

    def _solve_within(self, rect: Rect) -> None:
        waiting = []
        for region in self._pending:
            if region.core.intersect(rect).empty:
                waiting.append(region)
            else:
                self._solve(region, self._labels)
        self._pending = waiting

    def _solve(self, region: Region, labels: np.ndarray) -> None:
        crop, core = region.rect, region.core
        # Only this component is unknown: the others are beyond the stencil's reach.
        own = self._hole[crop.slices] & (labels[crop.slices] == region.label)
        # Nor does anything farther than the stencil's 2 px from an unknown pixel enter the
        # system: solving on that box (inside the crop, so cut holes are cut alike) is the
        # same solve on fewer pixels.
        box = bbox_of_nonzero(own)
        if box is None:
            return
        box = Rect(box.x0 + crop.x0, box.y0 + crop.y0, box.x1 + crop.x0, box.y1 + crop.y0).grown(2).intersect(crop)
        own = own[box.y0 - crop.y0:box.y1 - crop.y0, box.x0 - crop.x0:box.x1 - crop.x0]
        crop = box
        pixels = self._image[crop.slices][..., :3].astype(np.float32) / np.float32(255.0)
        guess = biharmonic_guess(np.where(own[..., None], np.float32(0.0), pixels), own, self._max_hole)
        if guess is None:
            return
        core = core.intersect(crop)
        if core.empty:
            return
        inner = (slice(core.y0 - crop.y0, core.y1 - crop.y0), slice(core.x0 - crop.x0, core.x1 - crop.x0))
        written = own[inner]
        ys, xs = np.nonzero(written)
        entry = (core, (ys + core.y0).astype(np.int32), (xs + core.x0).astype(np.int32), guess[inner][written])
        with self._lock:
            self._solved.append(entry)
            for cell in _cells_of(core):
                self._cells.setdefault(cell, []).append(len(self._solved) - 1)


_CELL = 256            # the solved values' index
_WANTED_CELL = 64      # which holes a crop will ask for (a cell's worth more is solved at most)


def _cells_of(rect: Rect, size: int = _CELL):
    """The ``size`` px grid cells ``rect`` touches, as ``(row, column)``."""
    for cy in range(rect.y0 // size, (rect.y1 - 1) // size + 1):
        for cx in range(rect.x0 // size, (rect.x1 - 1) // size + 1):
            yield cy, cx
