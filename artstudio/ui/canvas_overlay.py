"""What the canvas paints: the picture (its layers), the before/after split
line, the marching ants, and the active tool's overlay (brush outline,
selection outlines, clone source)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from ..core.tools import Overlay

SHADOW, LIGHT = QColor(0, 0, 0, 200), QColor(255, 255, 255, 220)
BACKGROUND = QColor(30, 30, 33)


def paint_canvas(canvas, painter: QPainter, rect) -> None:
    """Paint widget area ``rect`` (QRect) of ``canvas`` (a CanvasWidget)."""
    painter.fillRect(rect, BACKGROUND)
    if canvas.layers.base is None:
        return
    view, size = canvas.view, canvas.display_size()
    visible = view.image_rect(rect, size)
    if not visible.empty:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, view.scale < 2.0)
        split = canvas.split_x() if canvas.comparing else None
        canvas.layers.draw(painter, visible, view.scale, view.widget_pos, split)
        if split is not None:
            draw_split(painter, split, canvas.height(), view.offset.x(), view.offset.x() + size[0] * view.scale)
    if not canvas.comparing:     # the ants belong to the photo, not to a before/after split
        shown = view.image_rect(canvas.rect(), size)
        canvas.sampling_display.draw(painter, canvas.document, view, shown, canvas.input.mode == "tool")
        canvas.mask_display.draw_ants(painter, canvas.document, view, shown, canvas.input.mode == "tool")
    if canvas.input.mode != "pan" and not canvas.input.space and canvas.document is not None:
        draw_tool(painter, canvas.tool.overlay(), view.widget_pos, view.scale, canvas.input.cursor)


def draw_split(painter: QPainter, x: float, height: int, image_left: float, image_right: float) -> None:
    """The split line at widget x ``x``; its labels stay over the image's widget span."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
    painter.drawLine(QPointF(x, 0), QPointF(x, height))
    painter.setPen(QPen(QColor(255, 255, 255), 1))
    painter.drawLine(QPointF(x, 0), QPointF(x, height))
    for text, left in split_labels(x, image_left, image_right):
        right_aligned = text == "Before"
        box = QRectF(left, 8, 80, 20)
        painter.fillRect(box, QColor(0, 0, 0, 120))
        align = Qt.AlignmentFlag.AlignRight if right_aligned else Qt.AlignmentFlag.AlignLeft
        painter.drawText(box.adjusted(4, 0, -4, 0), align | Qt.AlignmentFlag.AlignVCenter, text)


def split_labels(x: float, image_left: float, image_right: float) -> list[tuple[str, float]]:
    """``(text, left)`` of the Before and After labels (80 px wide) beside the split line at ``x``:
    never off the image, and when the line is so near an edge that both would overlap, only the
    label of the side that shows (the wider one)."""
    labels = []
    for text, left in (("Before", x - 88), ("After", x + 8)):
        labels.append((text, min(max(left, image_left + 4), image_right - 84)))
    (_, before), (_, after) = labels
    if after - before < 80:
        wider = "After" if image_right - x > x - image_left else "Before"
        labels = [label for label in labels if label[0] == wider]
    return labels


def draw_tool(painter: QPainter, overlay: Overlay, to_widget, scale: float, cursor: QPointF | None) -> None:
    """``overlay`` (image coordinates) in widget coordinates, black under white so it shows on any photo."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    style = Qt.PenStyle.DashLine if overlay.dashed else Qt.PenStyle.SolidLine
    paths = [_path(points, overlay.closed, to_widget) for points in overlay.paths if points]
    for color, width in ((SHADOW, 3), (LIGHT, 1)):
        painter.setPen(QPen(color, width, style if color is LIGHT else Qt.PenStyle.SolidLine))
        for path in paths:
            painter.drawPath(path)
        for x, y in overlay.crosshairs:
            c = to_widget(QPointF(x, y))
            painter.drawLine(c - QPointF(10, 0), c + QPointF(10, 0))
            painter.drawLine(c - QPointF(0, 10), c + QPointF(0, 10))
            painter.drawEllipse(c, 4, 4)
    if overlay.circle and cursor is not None:
        r = overlay.circle * scale
        for color, radius in ((SHADOW, r + 1), (LIGHT, r)):
            painter.setPen(QPen(color, 1, style))
            painter.drawEllipse(cursor, radius, radius)


def _path(points, closed: bool, to_widget) -> QPainterPath:
    path = QPainterPath(to_widget(QPointF(*points[0])))
    for p in points[1:]:
        path.lineTo(to_widget(QPointF(*p)))
    if closed:
        path.closeSubpath()
    return path
