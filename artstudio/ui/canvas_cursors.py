"""A cursor per canvas tool: a crosshair on the hot spot and a small glyph of
the tool beside it (a square, a loop, a wand...), so which tool is active
shows where the user is looking. Drawn once per tool key, then cached.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QPainter, QPainterPath, QPen, QPixmap

SIZE, HOT = 32, 9                 # pixmap side; the crosshair's centre
_cache: dict[str, QCursor] = {}


def _rect(p: QPainter) -> None:
    p.drawRect(QRectF(17, 17, 12, 10))


def _ellipse(p: QPainter) -> None:
    p.drawEllipse(QRectF(17, 17, 13, 10))


def _lasso(p: QPainter) -> None:
    path = QPainterPath(QPointF(20, 29))
    path.cubicTo(12, 22, 18, 14, 25, 16)
    path.cubicTo(32, 18, 31, 26, 24, 26)
    path.cubicTo(20, 26, 19, 24, 21, 22)
    p.drawPath(path)


def _polygon(p: QPainter) -> None:
    p.drawPolygon([QPointF(17, 29), QPointF(21, 17), QPointF(30, 21), QPointF(27, 29)])


def _wand(p: QPainter) -> None:
    p.drawLine(QPointF(18, 30), QPointF(26, 22))
    for dx, dy in ((0, -5), (0, 5), (-5, 0), (5, 0)):
        p.drawLine(QPointF(27, 21), QPointF(27 + dx * 0.6, 21 + dy * 0.6))


def _dropper(p: QPainter) -> None:
    p.drawLine(QPointF(18, 30), QPointF(25, 23))
    p.drawEllipse(QRectF(24, 17, 6, 6))


def _object(p: QPainter) -> None:
    pen = p.pen()
    pen.setStyle(Qt.PenStyle.DotLine)
    p.setPen(pen)
    p.drawRect(QRectF(16, 16, 14, 14))
    pen.setStyle(Qt.PenStyle.SolidLine)
    p.setPen(pen)
    p.drawEllipse(QRectF(19, 19, 8, 8))


def _stamp(p: QPainter) -> None:
    p.drawRect(QRectF(18, 25, 11, 4))
    p.drawLine(QPointF(23.5, 25), QPointF(23.5, 19))
    p.drawEllipse(QRectF(21, 16, 5, 4))


def _plaster(p: QPainter) -> None:
    p.drawRoundedRect(QRectF(17, 20, 13, 7), 3, 3)
    p.drawLine(QPointF(23.5, 20), QPointF(23.5, 27))


GLYPHS = {"rect_select": _rect, "ellipse_select": _ellipse, "lasso": _lasso, "polygon": _polygon,
          "wand": _wand, "colour_range": _dropper, "object_select": _object, "clone": _stamp, "heal": _plaster}


def tool_cursor(key: str) -> QCursor:
    """The cursor of the tool with ``key`` (a plain crosshair for the brushes, whose outline the canvas draws)."""
    if key not in _cache:
        glyph = GLYPHS.get(key)
        if glyph is None:
            _cache[key] = QCursor(Qt.CursorShape.CrossCursor)
        else:
            _cache[key] = QCursor(_pixmap(glyph), HOT, HOT)
    return _cache[key]


def _pixmap(glyph) -> QPixmap:
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for colour, width in ((QColor(0, 0, 0), 3), (QColor(255, 255, 255), 1)):     # visible on any photo
        p.setPen(QPen(colour, width))
        p.drawLine(QPointF(HOT, 1), QPointF(HOT, HOT - 3))
        p.drawLine(QPointF(HOT, HOT + 3), QPointF(HOT, 2 * HOT - 1))
        p.drawLine(QPointF(1, HOT), QPointF(HOT - 3, HOT))
        p.drawLine(QPointF(HOT + 3, HOT), QPointF(2 * HOT - 1, HOT))
        glyph(p)
    p.end()
    return pixmap
