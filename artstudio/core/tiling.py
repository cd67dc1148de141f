"""Cutting big images into pieces for a network, and putting the results back.

Two shapes of work:

* **Tiles** cover the whole frame (denoising, super-resolution). Neighbouring
  tiles overlap by ``overlap`` pixels. In each overlap a quarter of it next to
  either tile's inner edge is discarded (weight 0: a network's zero padding
  makes those pixels wrong) and the middle half is cross-faded with a
  raised-cosine ramp whose two halves sum to exactly 1. So wherever a tile has
  weight its pixels are at least ``overlap // 4`` from its inner edges, and
  for a translation-equivariant network whose receptive radius is no larger,
  the blended result equals the untiled one up to float rounding. Edges on the
  image border keep weight 1: there the tile sees the same padding as the
  whole frame would.
* **Crops** surround the masked regions (hole filling): see :func:`plan_crops`.

:class:`TileBlender` accumulates tiles one row of tiles at a time, so the
float memory it holds is one band (about ``tile`` rows of the output), not
the frame: a 24 MP scan needs ~40 MB of accumulators, not 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .rect import Rect


@dataclass(frozen=True)
class Tile:
    """One tile: ``rect`` in input pixels, its position in the tile grid."""

    rect: Rect
    row: int
    col: int


@dataclass(frozen=True)
class TilePlan:
    """Tiles covering a ``(height, width)`` frame, row-major.

    ``xs``/``ys`` hold the ``(start, end)`` spans of the grid columns/rows in
    input pixels; ``discard`` is the band next to an inner edge that gets no
    weight. ``scale`` is the output/input size ratio (1, or 2/4 for
    super-resolution).
    """

    height: int
    width: int
    xs: tuple[tuple[int, int], ...]
    ys: tuple[tuple[int, int], ...]
    discard: int
    scale: int = 1

    def __iter__(self) -> Iterator[Tile]:
        for row, (y0, y1) in enumerate(self.ys):
            for col, (x0, x1) in enumerate(self.xs):
                yield Tile(Rect(x0, y0, x1, y1), row, col)

    def __len__(self) -> int:
        return len(self.xs) * len(self.ys)


def plan_tiles(shape: tuple[int, int], tile: int, overlap: int, *, multiple: int = 1,
               scale: int = 1) -> TilePlan:
    """Plan overlapping tiles for a frame.

    Parameters
    ----------
    shape : (height, width)
        Input size in pixels.
    tile : int
        Tile side in input pixels (tiles at the right/bottom may be smaller
        only when the frame is).
    overlap : int
        Minimum overlap between neighbours; ``overlap // 4`` must cover the
        network's receptive radius for an exact result.
    multiple : int
        Tile starts are aligned to this (a network that downsamples by 8
        needs 8 here so its grid is the same in every tile).
    scale : int
        Output pixels per input pixel.

    Returns
    -------
    TilePlan
    """
    if tile < 1 or overlap < 0 or multiple < 1 or scale < 1:
        raise ValueError("tile, multiple and scale must be positive and overlap not negative")
    if overlap >= tile:
        raise ValueError(f"overlap ({overlap}) must be smaller than the tile ({tile})")
    height, width = shape
    return TilePlan(height, width, _spans(width, tile, overlap, multiple),
                    _spans(height, tile, overlap, multiple), overlap // 4, scale)


def _spans(length: int, tile: int, overlap: int, multiple: int) -> tuple[tuple[int, int], ...]:
    """Evenly spread, ``multiple``-aligned spans; the last one ends at ``length``
    (and may be up to ``multiple - 1`` longer than ``tile``)."""
    last = max(0, length - tile) // multiple * multiple
    if last == 0:
        return ((0, length),)
    step = max(multiple, (tile - overlap) // multiple * multiple)
    count = -(-last // step) + 1
    starts = sorted({(i * last // (count - 1)) // multiple * multiple for i in range(count)})
    return tuple((s, s + tile) for s in starts[:-1]) + ((last, length),)


def axis_weights(spans: tuple[tuple[int, int], ...], index: int, discard: int,
                 scale: int = 1) -> np.ndarray:
    """Blend weights along one axis for span ``index``, at output resolution.

    Returns
    -------
    numpy.ndarray
        ``float32 (scale * (end - start),)`` in [0, 1]; over the whole axis the
        weights of all spans sum to 1 at every pixel.
    """
    start, end = spans[index]
    weights = np.ones(scale * (end - start), np.float32)
    if index > 0:                    # fade in over the overlap with the previous span
        weights *= _ramp(start, spans[index - 1][1], discard, start, end, scale)
    if index + 1 < len(spans):       # fade out over the overlap with the next span
        weights *= 1.0 - _ramp(spans[index + 1][0], end, discard, start, end, scale)
    return weights


def _ramp(lo: int, hi: int, discard: int, start: int, end: int, scale: int) -> np.ndarray:
    """0 before ``lo + discard``, 1 after ``hi - discard``, raised cosine between
    (in output pixel centres); evaluated over ``[start, end)``."""
    centres = (np.arange(scale * start, scale * end, dtype=np.float64) + 0.5) / scale
    a, b = lo + discard, hi - discard
    if b <= a:                       # overlap too small to fade: a hard cut in the middle
        return (centres >= (lo + hi) / 2).astype(np.float32)
    t = np.clip((centres - a) / (b - a), 0.0, 1.0)
    return (np.sin(0.5 * np.pi * t) ** 2).astype(np.float32)


class TileBlender:
    """Accumulate tile outputs into one image, a band of rows at a time.

    Add tiles in plan order (row-major). Rows that no later tile touches are
    rounded to ``uint8`` and written into :attr:`image` as soon as a new row
    of tiles starts, so float memory stays at one band.

    Parameters
    ----------
    plan : TilePlan
    channels : int
        Channels of the output.
    out : numpy.ndarray, optional
        ``uint8 (H * scale, W * scale, channels)`` to write into; allocated
        when omitted.
    """

    def __init__(self, plan: TilePlan, channels: int, out: np.ndarray | None = None):
        s = plan.scale
        shape = (plan.height * s, plan.width * s, channels)
        self.plan = plan
        self.image = np.zeros(shape, np.uint8) if out is None else out
        if self.image.shape != shape:
            raise ValueError(f"out has shape {self.image.shape}, expected {shape}")
        self._xw = [axis_weights(plan.xs, i, plan.discard, s) for i in range(len(plan.xs))]
        self._row = -1
        self._band_y0 = 0                                  # output row of the band's top
        self._acc = np.zeros((0, shape[1], channels), np.float32)
        self._wsum = np.zeros((0, shape[1], 1), np.float32)

    def add(self, tile: Tile, output: np.ndarray) -> Rect:
        """Blend one tile's output (``float (h*s, w*s, C)``, 0-255 scale) in.

        Returns the rectangle of output rows finished by this call (possibly
        empty), for a viewer's dirty region.
        """
        s = self.plan.scale
        finished = Rect(0, 0, 0, 0)
        if tile.row != self._row:
            finished = self._start_row(tile.row)
        x0, x1 = s * tile.rect.x0, s * tile.rect.x1
        y0, y1 = s * tile.rect.y0 - self._band_y0, s * tile.rect.y1 - self._band_y0
        weight = self._yw[:, None, None] * self._xw[tile.col][None, :, None]
        self._acc[y0:y1, x0:x1] += output.astype(np.float32, copy=False) * weight
        self._wsum[y0:y1, x0:x1] += weight
        return finished

    def finish(self) -> np.ndarray:
        """Write the last band and return the ``uint8`` image."""
        self._flush(self._band_y0 + self._acc.shape[0])
        return self.image

    def _start_row(self, row: int) -> Rect:
        s = self.plan.scale
        y0, y1 = (s * v for v in self.plan.ys[row])
        done = self._flush(y0)
        keep = self._band_y0 + self._acc.shape[0] - y0     # rows shared with the new band
        acc = np.zeros((y1 - y0,) + self._acc.shape[1:], np.float32)
        wsum = np.zeros((y1 - y0,) + self._wsum.shape[1:], np.float32)
        if keep > 0:
            acc[:keep], wsum[:keep] = self._acc[-keep:], self._wsum[-keep:]
        self._acc, self._wsum, self._band_y0, self._row = acc, wsum, y0, row
        self._yw = axis_weights(self.plan.ys, row, self.plan.discard, s)
        return done

    def _flush(self, upto: int) -> Rect:
        """Round and write band rows above output row ``upto``."""
        count = max(0, min(upto - self._band_y0, self._acc.shape[0]))
        if count == 0:
            return Rect(0, 0, 0, 0)
        acc, wsum = self._acc[:count], self._wsum[:count]
        values = acc / np.maximum(wsum, 1e-6)
        top = self._band_y0
        self.image[top:top + count] = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        return Rect(0, top, self.image.shape[1], top + count)


def plan_crops(mask: np.ndarray, margin: int, tile: int = 512, check=None):
    """Crops around the masked regions, each with ``margin`` pixels of context.

    A thin wrapper over :func:`artstudio.core.inpaint.find_regions` (holes
    closer than ``2 * margin`` share a crop; long scratches are cut into
    ``tile``-sized pieces with context), so the neural and classical fills
    cut a photo the same way. ``check`` is called between its steps (a cancel check).

    Returns
    -------
    labels : numpy.ndarray
        ``int32 (H, W)`` component label per pixel.
    regions : list of artstudio.core.inpaint.Region
        ``rect`` is the crop to feed the network, ``core`` the part whose
        masked pixels it writes back, ``label`` the component it fills.
    """
    from .inpaint import find_regions

    return find_regions(mask, margin, tile=tile, reach=margin, check=check)
