"""The pictures the canvas draws: the document composited with its mask, and
while comparing, a result ("after") and, for a result of another size, the
original enlarged to it ("before").

Each is a :class:`~artstudio.core.display.DisplayPyramid` with a QImage per
level wrapping its memory (no copies); this module only keeps them in step
and draws the level that suits the zoom.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter

from ..core.display import DisplayPyramid
from ..core.rect import Rect
from .qimage import wrap_rgbx


class Layer:
    """One pyramid and its QImage wrappers."""

    def __init__(self, image: np.ndarray, mask: np.ndarray | None = None, overlay=None):
        self.pyramid = DisplayPyramid(image, mask, *(overlay or ()))
        self.images = [wrap_rgbx(level) for level in self.pyramid.levels]

    @property
    def size(self) -> tuple[int, int]:
        return self.pyramid.size

    def draw(self, painter: QPainter, rect: Rect, scale: float, to_widget) -> None:
        """Draw image pixels ``rect`` at ``scale``; ``to_widget`` maps image to widget points."""
        pyramid = self.pyramid
        k = pyramid.level_for_scale(scale)
        f = 0.5 ** k
        level_h, level_w = pyramid.levels[k].shape[:2]
        source = QRectF(rect.x0 * f, rect.y0 * f, rect.width * f, rect.height * f)
        source = source.intersected(QRectF(0, 0, level_w, level_h))
        target = QRectF(to_widget(QPointF(source.left() / f, source.top() / f)),
                        to_widget(QPointF(source.right() / f, source.bottom() / f)))
        painter.drawImage(target, self.images[k], source)


class CanvasLayers:
    """The document's layer, and the compared result with its "before" when there is one."""

    def __init__(self):
        self.base: Layer | None = None
        self.compare: Layer | None = None
        # When a result has another size (an upscale), "before" is the original
        # resized to it, and the view works in the result's pixel coordinates.
        self.before: Layer | None = None

    def set_document(self, document, overlay) -> None:
        self.compare = self.before = None
        self.base = None if document is None else Layer(document.image, document.mask, overlay)

    def update_base(self, rect: Rect | None) -> None:
        if self.base is not None:
            self.base.pyramid.update(rect)

    def set_overlay(self, overlay) -> None:
        if self.base is not None:
            self.base.pyramid.set_overlay(*overlay)

    def set_compare(self, image: np.ndarray | None, document_shape: tuple[int, int], dirty: Rect | None,
                    before: np.ndarray | None) -> tuple[bool, bool]:
        """Show ``image`` as "after" (None: stop comparing).

        Returns
        -------
        (bool, bool)
            Whether only ``dirty`` needs repainting (a streamed preview of the
            same size), and whether the view's pixel size changed (refit).
        """
        was_resized = self.before is not None
        if before is not None:
            self.before = Layer(before)
        elif image is None or image.shape[:2] != document_shape:
            self.before = None
        partial = False
        if image is None:
            self.compare = None
        elif before is None and self.compare is not None and self.compare.pyramid.image.shape == image.shape:
            self.compare.pyramid.image = image
            self.compare.pyramid.update(dirty)
            partial = dirty is not None
        else:
            self.compare = Layer(image)
        return partial, was_resized != (self.before is not None)

    def draw(self, painter: QPainter, rect: Rect, scale: float, to_widget, split_x: float | None) -> None:
        """The document, or before|after split at widget x ``split_x`` while comparing."""
        if self.compare is None:
            self.base.draw(painter, rect, scale, to_widget)
            return
        painter.save()
        painter.setClipRect(QRectF(-1e6, -1e6, split_x + 1e6, 2e6))
        (self.before or self.base).draw(painter, rect, scale, to_widget)
        painter.setClipRect(QRectF(split_x, -1e6, 2e6, 2e6))
        self.compare.draw(painter, rect, scale, to_widget)
        painter.restore()
