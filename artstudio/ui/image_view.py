"""A widget that shows one image scaled to fit, for generated pictures."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .qimage import to_qimage


class ImageView(QWidget):
    """Shows an RGB image as large as fits, centred.

    Small images (a 64 px GAN face) are magnified with smooth filtering so
    they read as pictures rather than pixel art; ``image_shown`` fires after
    each new image is in place (used by the latency benchmark).
    """

    clicked = Signal()
    image_shown = Signal()

    def __init__(self, parent=None, placeholder: str = ""):
        super().__init__(parent)
        self._image = None
        self._placeholder = placeholder
        self._selected = False
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, pixels: np.ndarray | None) -> None:
        self._image = None if pixels is None else to_qimage(pixels)
        self.update()
        self.image_shown.emit()

    def has_image(self) -> bool:
        return self._image is not None

    def set_selected(self, selected: bool) -> None:
        self._selected = selected
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(512, 512)

    def target_rect(self) -> QRectF:
        if self._image is None:
            return QRectF()
        w, h = self._image.width(), self._image.height()
        scale = min((self.width() - 8) / w, (self.height() - 8) / h)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 33))
        if self._image is None:
            painter.setPen(QColor(140, 140, 146))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
        else:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(self.target_rect(), self._image)
        if self._selected:
            painter.setPen(QPen(QColor(74, 144, 226), 3))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
        painter.end()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
