"""Shape selections: rectangle, ellipse, freehand lasso and polygon lasso.

Rasterisers take image coordinates (pixel ``(x, y)`` covers
``[x, x+1) x [y, y+1)``) and return the coverage over the shape's bounding
box clipped to the image, so a small shape on a huge photo costs little.
Edges are antialiased by exact pixel coverage (:mod:`.selection_raster`);
a rectangle snaps to whole pixels, as in Photoshop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .brush import PointerEvent
from .history import Patch
from .rect import Rect
from .selection import SUBTRACT, SelectionTool, mode_for
from .selection_raster import polygon_region
from .tools import Overlay, ToolError

def rectangle_region(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[np.ndarray, Rect]:
    """Pixels whose centres lie inside ``box`` = (x0, y0, x1, y1); returns (coverage, rect)."""
    x0, y0, x1, y1 = box
    rect = Rect(math.ceil(min(x0, x1) - 0.5), math.ceil(min(y0, y1) - 0.5),
                math.floor(max(x0, x1) - 0.5) + 1, math.floor(max(y0, y1) - 0.5) + 1).clip(*size)
    return np.full((max(rect.height, 0), max(rect.width, 0)), 255, np.uint8), rect


def ellipse_points(box, tolerance: float = 0.05) -> tuple[tuple[float, float], ...]:
    """Vertices of the ellipse inscribed in ``box``, close enough that a chord strays under ``tolerance`` px."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    rx, ry = abs(box[2] - box[0]) / 2, abs(box[3] - box[1]) / 2
    # A chord of a circle of radius r over angle 2*pi/n strays r * (pi/n)**2 / 2 from it.
    n = max(16, math.ceil(math.pi * math.sqrt(max(rx, ry) / (2 * tolerance))))
    return tuple((cx + rx * math.cos(t), cy + ry * math.sin(t))
                 for t in (2 * math.pi * i / n for i in range(n)))


def ellipse_region(box: tuple[float, float, float, float], size: tuple[int, int]) -> tuple[np.ndarray, Rect]:
    """The ellipse inscribed in ``box`` = (x0, y0, x1, y1), antialiased; returns (coverage, rect)."""
    if abs(box[2] - box[0]) < 0.5 or abs(box[3] - box[1]) < 0.5:
        return np.zeros((0, 0), np.uint8), Rect(0, 0, 0, 0)
    return polygon_region(ellipse_points(box), size)


@dataclass
class ShapeSelectTool(SelectionTool):
    """Rectangle (or, with ``ellipse``, ellipse) select by dragging its box.

    Shift pressed during the drag (after any Shift held at the press was let
    go) makes it a square or circle; Alt pressed the same way draws it from
    the centre.
    """

    key = "rect_select"
    name = "Rectangle select"
    ellipse: bool = False
    _start: tuple[float, float] | None = field(default=None, init=False, repr=False)
    _end: tuple[float, float] = field(default=(0.0, 0.0), init=False, repr=False)
    _mode: str = field(default="replace", init=False, repr=False)
    _free: dict = field(default_factory=dict, init=False, repr=False)
    _square: bool = field(default=False, init=False, repr=False)
    _centred: bool = field(default=False, init=False, repr=False)

    def __post_init__(self):
        if self.ellipse:
            self.key, self.name = "ellipse_select", "Ellipse select"

    def press(self, document, event: PointerEvent) -> Rect | None:
        self._start = self._end = (event.x, event.y)
        self._mode = mode_for(event, self.mode)
        # A modifier held at the press chose the mode; it constrains only once pressed again.
        self._free = {"shift": not event.shift, "alt": not (event.alt or event.ctrl)}
        self._square = self._centred = False
        return None

    def drag(self, document, event: PointerEvent) -> Rect | None:
        if self._start is None:
            return None
        alt = event.alt or event.ctrl
        self._free["shift"] |= not event.shift
        self._free["alt"] |= not alt
        self._square = event.shift and self._free["shift"]
        self._centred = alt and self._free["alt"]
        self._end = (event.x, event.y)
        return None

    def box(self) -> tuple[float, float, float, float] | None:
        """The shape's box (x0, y0, x1, y1) in image coordinates, None when not dragging."""
        if self._start is None:
            return None
        (sx, sy), (ex, ey) = self._start, self._end
        dx, dy = ex - sx, ey - sy
        if self._square:
            side = max(abs(dx), abs(dy))
            dx, dy = math.copysign(side, dx or 1), math.copysign(side, dy or 1)
        if self._centred:
            return sx - abs(dx), sy - abs(dy), sx + abs(dx), sy + abs(dy)
        return min(sx, sx + dx), min(sy, sy + dy), max(sx, sx + dx), max(sy, sy + dy)

    def release(self, document, event: PointerEvent) -> Patch | None:
        if self._start is None:
            return None
        self.drag(document, event)
        box, self._start = self.box(), None
        shape = "an ellipse" if self.ellipse else "a rectangle"
        if box[2] - box[0] < 1 or box[3] - box[1] < 1:
            raise ToolError(f"Drag to draw {shape}: a click alone selects nothing.")
        region, rect = (ellipse_region if self.ellipse else rectangle_region)(box, document.size)
        return self.select(document, region, rect, self._mode,
                           empty=f"The {self.name.split()[0].lower()} lies outside the photo: nothing selected.")

    def cancel(self, document) -> Rect | None:
        self._start = None
        return None

    @property
    def busy(self) -> bool:
        return self._start is not None

    @property
    def hint(self) -> str:
        shape = "an ellipse (Shift while dragging: circle" if self.ellipse else "a rectangle (Shift while dragging: square"
        return f"Drag {shape}; Alt: from the centre). {self.mode_hint()}"

    def overlay(self) -> Overlay:
        box = self.box()
        if box is None:
            return Overlay()
        x0, y0, x1, y1 = box
        path = ellipse_points(box, 0.5) if self.ellipse else ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
        return Overlay(paths=(path,), closed=True, dashed=self._mode == SUBTRACT)


@dataclass
class LassoTool(SelectionTool):
    """Freehand lasso: drag around the area; releasing closes the path."""

    key = "lasso"
    name = "Lasso select"
    _points: list = field(default_factory=list, init=False, repr=False)
    _mode: str = field(default="replace", init=False, repr=False)

    def press(self, document, event: PointerEvent) -> Rect | None:
        self._points = [(event.x, event.y)]
        self._mode = mode_for(event, self.mode)
        return None

    def drag(self, document, event: PointerEvent) -> Rect | None:
        if self._points:
            last = self._points[-1]
            if abs(event.x - last[0]) + abs(event.y - last[1]) >= 0.5:
                self._points.append((event.x, event.y))
        return None

    def release(self, document, event: PointerEvent) -> Patch | None:
        if not self._points:
            return None
        self.drag(document, event)
        points, self._points = self._points, []
        if len(points) < 3 or _area(points) < 1.0:
            raise ToolError("Drag around the area to select: this lasso encloses nothing.")
        region, rect = polygon_region(points, document.size)
        return self.select(document, region, rect, self._mode,
                           empty="The lasso lies outside the photo: nothing selected.")

    def cancel(self, document) -> Rect | None:
        self._points = []
        return None

    @property
    def busy(self) -> bool:
        return bool(self._points)

    @property
    def hint(self) -> str:
        return f"Drag around the area; releasing closes the lasso. {self.mode_hint()}"

    def overlay(self) -> Overlay:
        return Overlay(paths=(tuple(self._points),), dashed=self._mode == SUBTRACT) if self._points else Overlay()


@dataclass
class PolygonLassoTool(SelectionTool):
    """Polygon lasso: click the corners; double-click or Enter closes it, Esc drops it."""

    key = "polygon"
    name = "Polygon select"
    _points: list = field(default_factory=list, init=False, repr=False)
    _hover: tuple[float, float] | None = field(default=None, init=False, repr=False)
    _mode: str = field(default="replace", init=False, repr=False)
    _done: Patch | None = field(default=None, init=False, repr=False)

    def press(self, document, event: PointerEvent) -> Rect | None:
        if event.double and self._points:
            self._done = self.finish(document)       # handed to the canvas at the release
            return None
        if not self._points:
            self._mode = mode_for(event, self.mode)
        last = self._points[-1] if self._points else None
        if last is None or abs(event.x - last[0]) + abs(event.y - last[1]) >= 1.0:
            self._points.append((event.x, event.y))
        self._hover = (event.x, event.y)
        return None

    def hover(self, document, event: PointerEvent) -> None:
        if self._points:
            self._hover = (event.x, event.y)

    def release(self, document, event: PointerEvent) -> Patch | None:
        done, self._done = self._done, None
        return done

    def finish(self, document) -> Patch | None:
        points = self._points
        if len(points) < 3:
            raise ToolError(f"A polygon needs at least 3 corners ({len(points)} so far): "
                            "click more, or Esc to drop it.")
        if _area(points) < 1.0:
            self._points = []
            raise ToolError("The polygon encloses nothing (its corners are in a line): nothing selected.")
        self._points, self._hover = [], None
        region, rect = polygon_region(points, document.size)
        return self.select(document, region, rect, self._mode,
                           empty="The polygon lies outside the photo: nothing selected.")

    def cancel(self, document) -> Rect | None:
        self._points, self._hover = [], None
        return None

    @property
    def busy(self) -> bool:
        return bool(self._points)

    @property
    def hint(self) -> str:
        return f"Click the corners; double-click or Enter closes, Esc drops. {self.mode_hint()}"

    def overlay(self) -> Overlay:
        if not self._points:
            return Overlay()
        path = tuple(self._points) + ((self._hover,) if self._hover is not None else ())
        return Overlay(paths=(path,), dashed=self._mode == SUBTRACT)


def _area(points) -> float:
    """Absolute shoelace area of a closed polygon."""
    pts = np.asarray(points, np.float64)
    x, y = pts[:, 0], pts[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2


__all__ = ["LassoTool", "PolygonLassoTool", "ShapeSelectTool", "ellipse_region", "polygon_region",
           "rectangle_region"]
