"""Clone stamp and healing brush as Qt-free canvas tools.

Ctrl+click (or Alt+click) sets the source; painting then copies the pixels
at a fixed offset (source - destination) under the round brush, blended with
its soft edge. *Aligned* (the default, as in Photoshop, GIMP and Krita) fixes
the offset at the first stroke after the source was set and keeps it for the
later strokes; non-aligned starts every stroke again from the source point.

A stroke reads the image as it was when the stroke began, so it never clones
its own output: before a dab writes, the 64x64 tiles it writes are copied
once (:class:`_Originals`), and reads of those tiles come from the copies.
Overlapping dabs of one stroke combine by the maximum of their coverage (as
the mask brush does), so a soft stroke has no beads where its segments meet.
Every dab works on its own bounding box only: its cost depends on the brush,
never on the photo's size; pixels outside the brush footprint are never
written. One stroke is one undo step (tile patches, through
:meth:`~artstudio.core.document.Document.begin_edit`).

:class:`HealTool` is the clone plus a Poisson blend of each dab into what is
around it (:func:`~artstudio.core.poisson.poisson_blend`), so texture copied
from a brighter area takes the level and colour of where it lands.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .brush import PointerEvent, segment_bounds, segment_coverage
from .events import EventGroup
from .history import TILE, Patch
from .poisson import COARSE_SIDE, fast_side, poisson_blend
from .rect import Rect
from .tools import Overlay, Tool, ToolError

__all__ = ["CloneTool", "HealTool"]

NO_SOURCE = "No clone source: Ctrl+click (or Alt+click) where to copy from first."
SOURCE_OUTSIDE = "The clone source must be inside the image."
NOTHING_TO_COPY = "The clone source here lies outside the image: Ctrl+click a new source, or paint elsewhere."


@lru_cache(maxsize=16)
def _tile_parts(rect: Rect) -> tuple:
    """``(key, slices in rect, slices in the tile)`` for the 64x64 tiles ``rect`` overlaps.

    Cached: a dab asks for the same box four times (coverage read and write,
    originals kept and read), some 40 tiles for a 300 px brush."""
    parts = []
    for ty in range(rect.y0 // TILE, (rect.y1 - 1) // TILE + 1):
        y0, y1 = max(rect.y0, ty * TILE), min(rect.y1, (ty + 1) * TILE)
        for tx in range(rect.x0 // TILE, (rect.x1 - 1) // TILE + 1):
            x0, x1 = max(rect.x0, tx * TILE), min(rect.x1, (tx + 1) * TILE)
            inner = (slice(y0 - rect.y0, y1 - rect.y0), slice(x0 - rect.x0, x1 - rect.x0))
            in_tile = (slice(y0 - ty * TILE, y1 - ty * TILE), slice(x0 - tx * TILE, x1 - tx * TILE))
            parts.append(((ty, tx), inner, in_tile))
    return tuple(parts)


class _Originals:
    """The image as it was when a stroke began, holding copies of only the tiles the stroke wrote."""

    def __init__(self, image: np.ndarray):
        self._image = image
        self._saved: dict[tuple[int, int], np.ndarray] = {}

    def keep(self, rect: Rect) -> None:
        """Call before writing ``rect`` (inside the image)."""
        for key, _, _ in _tile_parts(rect):
            if key not in self._saved:
                ty, tx = key
                self._saved[key] = self._image[ty * TILE:(ty + 1) * TILE, tx * TILE:(tx + 1) * TILE].copy()

    def read(self, rect: Rect) -> np.ndarray:
        """A copy of ``rect`` (inside the image) as it was at the stroke's start."""
        out = self._image[rect.slices].copy()
        for key, inner, in_tile in _tile_parts(rect):
            saved = self._saved.get(key)
            if saved is not None:
                out[inner] = saved[in_tile]
        return out


class _Coverage:
    """The stroke's coverage so far (the maximum over its dabs), ``float32``, in lazily made tiles."""

    def __init__(self):
        self._tiles: dict[tuple[int, int], np.ndarray] = {}

    def read(self, rect: Rect) -> np.ndarray:
        out = np.zeros((rect.height, rect.width), np.float32)
        for key, inner, in_tile in _tile_parts(rect):
            tile = self._tiles.get(key)
            if tile is not None:
                out[inner] = tile[in_tile]
        return out

    def write(self, rect: Rect, values: np.ndarray) -> None:
        for key, inner, in_tile in _tile_parts(rect):
            tile = self._tiles.get(key)
            if tile is None:
                tile = self._tiles[key] = np.zeros((TILE, TILE), np.float32)
            tile[in_tile] = values[inner]


@dataclass
class _Stroke:
    offset: tuple[int, int]
    originals: _Originals
    coverage: _Coverage = field(default_factory=_Coverage)
    last: PointerEvent | None = None
    size: tuple[int, int] = (0, 0)            # the document's (width, height)


_EDGE = 6     # px: how far from its box's edge a dab must stay for the half-size Poisson solve


def _shifted(rect: Rect, dx: int, dy: int) -> Rect:
    return Rect(rect.x0 + dx, rect.y0 + dy, rect.x1 + dx, rect.y1 + dy)


def _grown(lo: int, hi: int, size: int, low: int, high: int) -> tuple[int, int]:
    """``[lo, hi)`` grown to ``size`` (both ends, then whichever has room) within ``[low, high)``."""
    extra = size - (hi - lo)
    lo = max(low, lo - extra // 2)
    hi = min(high, lo + size)
    return max(low, hi - size), hi


@dataclass
class CloneTool(Tool):
    """Clone stamp: copies pixels from the source under the brush.

    Attributes
    ----------
    aligned : bool
        Keep the source offset from stroke to stroke (True) or start each
        stroke at the source point (False); change it with :meth:`set_aligned`.
    source : tuple of (float, float) or None
        The point set by Ctrl/Alt+click, in image coordinates.
    events : EventGroup
        ``source_changed(source)`` after a Ctrl/Alt+click set the source.
    """

    key = "clone"
    label = "Clone"
    uses_brush = True
    aligned: bool = True
    source: tuple[float, float] | None = None
    events: EventGroup = field(default_factory=lambda: EventGroup("source_changed"), repr=False, compare=False)
    _offset: tuple[int, int] | None = field(default=None, init=False, repr=False)
    _stroke: _Stroke | None = field(default=None, init=False, repr=False)
    _pointer: tuple[float, float] | None = field(default=None, init=False, repr=False)
    _source_of: Callable[[], object] | None = field(default=None, init=False, repr=False)   # weakref to the photo

    def set_aligned(self, aligned: bool) -> None:
        """Switch mode; the next stroke starts again from the source point."""
        self.aligned, self._offset = bool(aligned), None

    def prepare(self, document) -> None:
        """The canvas shows ``document``: a source Ctrl+clicked on another photo is forgotten
        (it would copy from a place never chosen on this one)."""
        if self.source is not None and (self._source_of is None or self._source_of() is not document):
            self.source, self._offset, self._source_of = None, None, None
            self.events.source_changed.emit(None)

    @property
    def offset(self) -> tuple[int, int] | None:
        """Source minus destination in whole pixels, once a stroke has fixed it."""
        return self._stroke.offset if self._stroke is not None else self._offset

    # -- the tool protocol ----------------------------------------------------------
    def press(self, document, event: PointerEvent) -> Rect | None:
        self._pointer = (event.x, event.y)
        if event.ctrl or event.alt:
            self._set_source(document, event)
            return None
        if self.source is None:
            raise ToolError(NO_SOURCE)
        offset = self._offset
        if offset is None or not self.aligned:
            offset = (round(self.source[0] - event.x), round(self.source[1] - event.y))
        if self._dab_rect(document, event, event, offset) is None:
            raise ToolError(NOTHING_TO_COPY)     # before begin_edit: nothing changed, no undo step
        if self.aligned:
            self._offset = offset
        self._stroke = _Stroke(offset, _Originals(document.image), last=event, size=document.size)
        document.begin_edit("image", self.label)
        return self._paint(document, event, event)

    def drag(self, document, event: PointerEvent) -> Rect | None:
        self._pointer = (event.x, event.y)
        if self._stroke is None:
            return None
        last, self._stroke.last = self._stroke.last, event
        return self._paint(document, last, event)

    def hover(self, document, event: PointerEvent) -> None:
        self._pointer = (event.x, event.y)

    def leave(self) -> None:
        self._pointer = None

    def writes_image(self, event: PointerEvent) -> bool:
        return not (event.ctrl or event.alt)       # Ctrl/Alt+click only sets the source

    def release(self, document, event: PointerEvent) -> Patch | None:
        self._pointer = (event.x, event.y)
        if self._stroke is None:
            return None
        self._stroke = None
        return document.end_edit()

    def cancel(self, document) -> Rect | None:
        self._stroke = None
        return None

    @property
    def hint(self) -> str:
        mode = ("Aligned: the source keeps its offset from stroke to stroke" if self.aligned
                else "Not aligned: each stroke starts at the source point")
        first = "Ctrl+click (or Alt+click) where to copy from, then paint" if self.source is None \
            else "Paint to copy; Ctrl+click (or Alt+click) sets a new source"
        return f"{self.label}: {first}. {mode}. [ ] resize."

    def overlay(self) -> Overlay:
        circle = self.brush.size * 0.5
        if self.source is None:
            return Overlay(circle=circle)
        if self._pointer is None:      # the pointer is off the canvas: no crosshair left behind
            return Overlay(circle=circle)
        offset = self.offset
        if offset is None:
            return Overlay(circle=circle, crosshairs=(self.source,))
        x, y = self._pointer
        return Overlay(circle=circle, crosshairs=((x + offset[0], y + offset[1]),))

    # -- painting -------------------------------------------------------------------
    def _set_source(self, document, event: PointerEvent) -> None:
        w, h = document.size
        if not (0 <= event.x < w and 0 <= event.y < h):
            raise ToolError(SOURCE_OUTSIDE)
        self.source, self._offset, self._source_of = (event.x, event.y), None, weakref.ref(document)
        self.events.source_changed.emit(self.source)

    def _dab_rect(self, document, a: PointerEvent, b: PointerEvent, offset) -> Rect | None:
        """Destination pixels the segment may change whose source pixel exists; None if none."""
        w, h = document.size
        dx, dy = offset
        rect = segment_bounds(a, b, self.brush).clip(w, h).intersect(Rect(-dx, -dy, w - dx, h - dy))
        return None if rect.empty else rect

    def _paint(self, document, a: PointerEvent, b: PointerEvent) -> Rect | None:
        # Long segments (a fast drag) are cut into pieces about a radius long, so
        # each solve stays the size of a dab, not of the segment's bounding box.
        radius = max(self.brush.radius(a.pressure), self.brush.radius(b.pressure), 2.0)
        pieces = max(1, math.ceil(math.hypot(b.x - a.x, b.y - a.y) / radius))
        dirty = None
        start = a
        for i in range(1, pieces + 1):
            t = i / pieces
            end = b if i == pieces else PointerEvent(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t,
                                                     a.pressure + (b.pressure - a.pressure) * t)
            rect = self._dab(document, start, end)
            dirty = rect if dirty is None else dirty.union(rect)
            start = end
        return dirty

    def _dab(self, document, a: PointerEvent, b: PointerEvent) -> Rect | None:
        stroke = self._stroke
        rect = self._dab_rect(document, a, b, stroke.offset)
        if rect is None:
            return None
        before = stroke.coverage.read(rect)
        after = np.maximum(before, segment_coverage(a, b, self.brush, rect))
        grew = after > before
        if not grew.any():
            return None
        document.touch(rect)
        stroke.originals.keep(rect)
        source = stroke.originals.read(_shifted(rect, *stroke.offset))
        target = document.image[rect.slices]
        new = self._blend(stroke, rect, source, target, before, after)
        np.copyto(target, new, where=grew[..., None])   # pixels the brush does not reach are never written
        stroke.coverage.write(rect, after)
        return document.changed(rect)

    def _blend(self, stroke: _Stroke, rect: Rect, source: np.ndarray, target: np.ndarray,
               before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """The dab's new pixels over ``rect`` (only those where coverage grew are kept).

        The clone's source pixel of a destination pixel is the same for the
        whole stroke, so the result is exactly ``original + coverage * (source
        - original)``: no rounding builds up where dabs overlap.
        """
        original = stroke.originals.read(rect).astype(np.float32)
        mixed = original + after[..., None] * (source.astype(np.float32) - original)
        return np.rint(mixed).astype(np.uint8)


@dataclass
class HealTool(CloneTool):
    """Healing brush: the clone's texture, Poisson-blended into where it lands.

    Each dab solves, on its bounding box, for pixels whose gradients are the
    source's and whose border is the image as it is now (earlier dabs
    included, so a stroke blends into itself), then mixes that in with the
    brush coverage. Where the box is cut by the source's edge, that edge
    row stays as it is. Where it lies on the photo's own edge, the box is
    mirrored across it first: the dab's border there is free (no change
    across the edge), so a blemish that touches the edge is healed, not
    pinned there and smeared inwards.
    """

    key = "heal"
    label = "Heal"

    def _dab_rect(self, document, a: PointerEvent, b: PointerEvent, offset) -> Rect | None:
        rect = super()._dab_rect(document, a, b, offset)
        if rect is None:
            return None
        w, h = document.size
        dx, dy = offset
        allowed = Rect(0, 0, w, h).intersect(Rect(-dx, -dy, w - dx, h - dy))
        # A box for the half-size solve keeps the dab _EDGE px from its edge where it can.
        m = _EDGE if min(rect.width, rect.height) > COARSE_SIDE - 2 * _EDGE else 0
        x0, x1 = _grown(rect.x0, rect.x1, fast_side(rect.width + 2 * m), allowed.x0, allowed.x1)
        y0, y1 = _grown(rect.y0, rect.y1, fast_side(rect.height + 2 * m), allowed.y0, allowed.y1)
        return Rect(x0, y0, x1, y1)

    def _blend(self, stroke: _Stroke, rect: Rect, source: np.ndarray, target: np.ndarray,
               before: np.ndarray, after: np.ndarray) -> np.ndarray:
        import cv2

        current = target.astype(np.float32)
        # The half-size solve (large boxes) is smooth up to a few pixels from the box's edge;
        # where the dab reaches that close (the box cut by the image's or the source's edge, a
        # hard brush) it was up to 10 levels off there, at the seam: solve exactly then.
        k, grows = _EDGE, after > before                 # only where this dab adds coverage is mixed in
        near_edge = grows[:k].any() or grows[-k:].any() or grows[:, :k].any() or grows[:, -k:].any()
        pads = _mirror_pads(rect, stroke.size)
        if pads is None:
            healed = poisson_blend(source, current, coarse=not near_edge)
        else:
            (top, _), (left, _) = pads
            wide = pads + ((0, 0),)
            healed = poisson_blend(np.pad(source, wide, mode="symmetric"), np.pad(current, wide, mode="symmetric"),
                                   coarse=False)[top:top + rect.height, left:left + rect.width]
        # Mix in only the coverage this dab adds, so dabs overlapping at a
        # segment's end combine by their maximum coverage, as the clone's do
        # (one OpenCV pass: a 300 px dab's box is some 100 000 pixels).
        room = np.maximum(1.0 - before, 1e-6)
        step = np.subtract(after, before, dtype=np.float32)
        np.divide(step, room, out=step, casting="unsafe")
        step[before >= 1.0] = 0.0
        healed = cv2.blendLinear(current, healed.astype(np.float32, copy=False), 1.0 - step, step)
        np.rint(healed, out=healed)
        return np.clip(healed, 0, 255, out=healed).astype(np.uint8)


def _mirror_pads(rect: Rect, size: tuple[int, int]):
    """``((top, bottom), (left, right))`` px to mirror ``rect`` by on the sides where it lies on
    the photo's edge (a side's full length: the solve then has no change across that edge), grown
    to a fast solve size; None when no side is on the edge."""
    width, height = size

    def axis(lo: int, hi: int, limit: int, length: int) -> tuple[int, int]:
        before, after = (length if lo == 0 else 0), (length if hi == limit else 0)
        if before == after == 0:
            return 0, 0
        extra = fast_side(length + before + after) - (length + before + after)
        return (before + extra, after) if before else (before, after + extra)

    rows, cols = axis(rect.y0, rect.y1, height, rect.height), axis(rect.x0, rect.x1, width, rect.width)
    return None if rows == cols == (0, 0) else (rows, cols)
