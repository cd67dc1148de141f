"""The canvas's view transform: zoom scale and pan offset, image <-> widget coordinates.

A plain object (no signals) so the widget decides when to repaint and what
to announce; ``widget = image * scale + offset``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF

from ..core.rect import Rect

MIN_SCALE, MAX_SCALE = 1 / 64, 64.0
FIT_MARGIN = 0.97


class CanvasView:
    """Zoom and pan of an image of ``size`` (width, height) in a widget."""

    def __init__(self):
        self.scale = 1.0
        self.offset = QPointF(0, 0)

    def image_pos(self, widget_pos: QPointF) -> QPointF:
        return (QPointF(widget_pos) - self.offset) / self.scale

    def widget_pos(self, image_pos: QPointF) -> QPointF:
        return QPointF(image_pos) * self.scale + self.offset

    def widget_rect(self, rect: Rect) -> QRect:
        """Widget pixels covering image ``rect``, with 2 px to spare for antialiased edges."""
        tl = self.widget_pos(QPointF(rect.x0, rect.y0))
        br = self.widget_pos(QPointF(rect.x1, rect.y1))
        return QRectF(tl, br).toAlignedRect().adjusted(-2, -2, 2, 2)

    def image_rect(self, widget_rect: QRect, size: tuple[int, int]) -> Rect:
        """Image pixels (clipped to ``size``) that ``widget_rect`` shows."""
        tl = self.image_pos(QPointF(widget_rect.topLeft()))
        br = self.image_pos(QPointF(widget_rect.bottomRight()) + QPointF(1, 1))
        return Rect(math.floor(tl.x()), math.floor(tl.y()), math.ceil(br.x()), math.ceil(br.y())).clip(*size)

    def fitted(self, widget_size: tuple[int, int], size: tuple[int, int]) -> tuple[float, QPointF]:
        """(scale, offset) showing all of an image of ``size``, centred."""
        (ww, wh), (w, h) = widget_size, size
        scale = min(ww / w, wh / h) * FIT_MARGIN
        return scale, QPointF((ww - w * scale) / 2, (wh - h * scale) / 2)

    def zoomed(self, scale: float, anchor: QPointF) -> tuple[float, QPointF]:
        """(scale, offset) at ``scale`` (clamped) keeping the image point under ``anchor`` fixed."""
        scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        return scale, anchor - self.image_pos(anchor) * scale
