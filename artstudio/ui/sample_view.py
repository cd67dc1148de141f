"""The training sample grid, magnified with nearest-neighbour so 64 px samples stay crisp."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter

from .image_view import ImageView


class SampleView(ImageView):
    """An :class:`ImageView` that shows pixels as pixels: whole-number magnification when
    the grid is smaller than the view (every sample pixel becomes an equal square), no
    smoothing; a grid larger than the view is shrunk smoothly."""

    def target_rect(self) -> QRectF:
        if self._image is None:
            return QRectF()
        w, h = self._image.width(), self._image.height()
        scale = min((self.width() - 8) / w, (self.height() - 8) / h)
        if scale >= 1:
            scale = math.floor(scale)
        return QRectF(round((self.width() - w * scale) / 2), round((self.height() - h * scale) / 2),
                      w * scale, h * scale)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 33))
        if self._image is None:
            painter.setPen(QColor(140, 140, 146))
            painter.drawText(self.rect().adjusted(16, 16, -16, -16),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
        else:
            target = self.target_rect()
            smooth = target.width() < self._image.width()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
            painter.drawImage(target, self._image)
        painter.end()
