"""The Navigator: the whole photo small, with the part the canvas shows outlined;
click or drag in it to move the canvas there.

The thumbnail costs nothing to keep: it is a coarse level of the canvas's
display pyramid (:class:`~artstudio.core.display.DisplayPyramid`), which the
canvas already keeps up to date tile by tile; a repaint here draws a picture
of at most a few hundred pixels a side.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

MARGIN = 6
REPAINT_DELAY_MS = 60
TIP = ("The whole photo; the frame is what the canvas shows. Click or drag to move there "
       "(Ctrl+0 fits, Ctrl+1 is 100%; View ▸ Navigator, F7, hides this)")


class NavigatorView(QWidget):
    """A thumbnail of ``canvas``'s photo (a CanvasWidget) with its visible rectangle."""

    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.setToolTip(TIP)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        # Pixel changes arrive stroke segment by segment: one repaint per burst.
        self._repaint = QTimer(self, singleShot=True, interval=REPAINT_DELAY_MS)
        self._repaint.timeout.connect(self.update)
        canvas.view_changed.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(240, 180)

    def pixels_changed(self) -> None:
        """The photo or its mask changed: repaint soon (once for a burst of changes)."""
        if self.isVisible() and not self._repaint.isActive():
            self._repaint.start()

    def target_rect(self) -> QRectF:
        """Where the photo is drawn in this widget (empty without a photo)."""
        c = self.canvas
        if c.document is None or c.layers.base is None:
            return QRectF()
        w, h = c.display_size()
        room_w, room_h = self.width() - 2 * MARGIN, self.height() - 2 * MARGIN
        scale = min(room_w / w, room_h / h)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale)

    def visible_rect(self) -> QRectF:
        """The canvas's visible part of the photo, in this widget's coordinates."""
        target = self.target_rect()
        if target.isEmpty():
            return QRectF()
        c = self.canvas
        shown = c.view.image_rect(c.rect(), c.display_size())
        f = target.width() / c.display_size()[0]
        return QRectF(target.left() + shown.x0 * f, target.top() + shown.y0 * f, shown.width * f, shown.height * f)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 33))
        target = self.target_rect()
        if target.isEmpty():
            painter.setPen(QColor(140, 140, 146))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No photo")
            painter.end()
            return
        layer = self.canvas.layers.base
        k = layer.pyramid.level_for_scale(target.width() / layer.size[0])
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, layer.images[k])
        frame = self.visible_rect()
        if not frame.isEmpty():
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 200), 3))
            painter.drawRect(frame)
            painter.setPen(QPen(QColor(255, 70, 70), 1))
            painter.drawRect(frame)
        painter.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.centre_on(event.position())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.centre_on(event.position())

    def centre_on(self, pos: QPointF) -> None:
        """Pan the canvas so the photo point under ``pos`` (this widget's coordinates) is in its centre."""
        target = self.target_rect()
        if target.isEmpty():
            return
        c = self.canvas
        f = target.width() / c.display_size()[0]
        point = QPointF((pos.x() - target.left()) / f, (pos.y() - target.top()) / f)
        now = c.widget_pos(point)
        c.pan_by(c.width() / 2 - now.x(), c.height() / 2 - now.y())
