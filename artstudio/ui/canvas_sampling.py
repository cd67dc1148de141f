"""How the canvas shows the two sampling areas a content-aware fill reads:
"sample from here" (green) and "never sample from here" (magenta), each a
light wash inside a solid outline, so they never look like the fill mask's
tint. Ctrl+Shift+H (View ▸ Show Sampling Areas) hides and shows them.

The outlines are traced Qt-free (:mod:`artstudio.core.selection_outline`),
like the mask's marching ants, only when a sampling layer or the zoom
changed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF, QTransform

from ..core.selection_outline import mask_outline, outline_area, reduction_for_scale

COLOURS = {"sample_from": QColor(40, 220, 90), "sample_never": QColor(235, 40, 200)}
WASH_ALPHA = 70
MAX_POINTS = 200_000


class SamplingDisplay(QObject):
    """Draws the document's ``sample_from`` and ``sample_never`` layers over the photo."""

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas = canvas
        self.visible = True
        self._paths: dict[str, QPainterPath] = {}
        self._key = None
        self._dirty = True

    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self.canvas.update()

    def changed(self) -> None:
        """A layer changed: trace again when next painted."""
        self._dirty = True

    def shown_layers(self) -> list[str]:
        """The sampling layers drawn now (tests, and the status text)."""
        return [name for name, path in self._paths.items() if not path.isEmpty()] if self.visible else []

    def draw(self, painter: QPainter, document, view, visible, busy: bool) -> None:
        if not self.visible or document is None or visible.empty:
            return
        if not busy:
            self._trace(document, view.scale, visible)
        if not any(not p.isEmpty() for p in self._paths.values()):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setTransform(QTransform(view.scale, 0, 0, view.scale, view.offset.x(), view.offset.y()))
        for name, path in self._paths.items():
            if path.isEmpty():
                continue
            colour = COLOURS[name]
            wash = QColor(colour)
            wash.setAlpha(WASH_ALPHA)
            painter.fillPath(path, wash)
            pen = QPen(colour, 2)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        painter.restore()

    def _trace(self, document, scale: float, visible) -> None:
        factor = reduction_for_scale(scale)
        area = outline_area(visible, factor, document.size)
        key = (id(document), factor, area)
        if key == self._key and not self._dirty:
            return
        self._key, self._dirty = key, False
        self._paths = {}
        for name in COLOURS:
            layer = getattr(document, name)
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.OddEvenFill)
            if layer.any():
                contours = mask_outline(layer, area, factor)
                if sum(len(c) for c in contours) <= MAX_POINTS:
                    for points in contours:
                        path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in points]))
                        path.closeSubpath()
            self._paths[name] = path
