"""The paint canvas: shows the photo with its mask overlay, paints the mask,
zooms and pans, and compares a fill result with a before/after split.

Painting itself is done by the Qt-free document and brush functions; this
widget only maps Qt events to image coordinates and repaints the dirty
rectangles.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ..core.brush import ERASE, PAINT, Brush, PointerEvent
from ..core.display import DisplayPyramid
from ..core.document import Document
from ..core.rect import Rect
from .qimage import wrap_rgbx

MIN_SCALE, MAX_SCALE = 1 / 64, 64.0
ZOOM_STEP = 1.25
SPLIT_GRAB_PX = 6
BACKGROUND = QColor(30, 30, 33)


class CanvasWidget(QWidget):
    """Displays a :class:`Document` and lets the user paint its mask."""

    stroke_finished = Signal(object)     # core.history.Patch or None
    view_changed = Signal(float)         # zoom scale
    split_changed = Signal(float)        # 0..1, fraction of the width showing "before"
    brush_changed = Signal(object)       # core.brush.Brush

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_TabletTracking)
        self.setMinimumSize(320, 240)
        self.document: Document | None = None
        self.brush = Brush()
        self._base: DisplayPyramid | None = None
        self._compare: DisplayPyramid | None = None
        self._base_images: list = []
        self._compare_images: list = []
        # When a result has another size (an upscale), "before" is the original
        # resized to it, and the view works in the result's pixel coordinates.
        self._before: DisplayPyramid | None = None
        self._before_images: list = []
        self._split = 0.5
        self._scale, self._offset = 1.0, QPointF(0, 0)
        self._overlay = ((255, 40, 80), 0.5)
        self._mode: str | None = None           # "paint", "pan", "split"
        self._space = False
        self._pan_anchor = QPointF()
        self._cursor: QPointF | None = None
        self._fit_pending = True

    # -- document and layers -------------------------------------------------
    def set_document(self, document: Document | None) -> None:
        self.document = document
        self._compare, self._compare_images = None, []
        self._before, self._before_images = None, []
        if document is None:
            self._base, self._base_images = None, []
        else:
            self._base = DisplayPyramid(document.image, document.mask, *self._overlay)
            self._base_images = [wrap_rgbx(level) for level in self._base.levels]
        self._fit_pending = True
        self.fit()

    def refresh(self, rect: Rect | None = None) -> None:
        """Recomposite after the document changed (None: everything)."""
        if self._base is None:
            return
        self._base.update(rect)
        self.update(self._widget_rect(rect) if rect is not None else self.rect())

    def refresh_rects(self, rects: list[Rect]) -> None:
        """Recomposite several rectangles (e.g. the tiles an undo restored)."""
        if self._base is None:
            return
        if len(rects) > 256:  # one pass over the bounds beats thousands of tiny ones
            bounds = rects[0]
            for r in rects[1:]:
                bounds = bounds.union(r)
            rects = [bounds]
        for rect in rects:
            self._base.update(rect)
            self.update(self._widget_rect(rect))

    def set_compare(self, image: np.ndarray | None, dirty: Rect | None = None,
                    before: np.ndarray | None = None) -> None:
        """Show ``image`` right of the split line ("after"); None ends comparing.

        When already comparing an image of the same size, only ``dirty`` (the
        part that changed; None: all) is recomposited, so streaming previews
        of a 24 MP job stays cheap. ``before`` (same size as ``image``) replaces
        the document on the left, for results of another size.
        """
        was_resized = self._before is not None
        if before is not None:
            self._before = DisplayPyramid(before, None)
            self._before_images = [wrap_rgbx(level) for level in self._before.levels]
        elif image is None or image.shape[:2] != tuple(reversed(self.document.size)):
            self._before, self._before_images = None, []
        if image is None:
            self._compare, self._compare_images = None, []
        elif before is None and self._compare is not None and self._compare.image.shape == image.shape:
            self._compare.image = image
            self._compare.update(dirty)
            if dirty is not None:
                self.update(self._widget_rect(dirty))
                return
        else:
            self._compare = DisplayPyramid(image, None)
            self._compare_images = [wrap_rgbx(level) for level in self._compare.levels]
        if was_resized != (self._before is not None):
            self.fit()  # the view's pixel coordinates changed
        self.update()

    @property
    def comparing(self) -> bool:
        return self._compare is not None

    def set_split(self, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        if fraction != self._split:
            self._split = fraction
            self.split_changed.emit(fraction)
            self.update()

    @property
    def split(self) -> float:
        return self._split

    def set_overlay(self, color: tuple[int, int, int], opacity: float) -> None:
        self._overlay = (tuple(color), float(opacity))
        if self._base is not None:
            self._base.set_overlay(*self._overlay)
            self.update()

    # -- brush -------------------------------------------------------------------
    def set_brush(self, brush: Brush) -> None:
        self.brush = brush
        self.brush_changed.emit(brush)
        self._update_cursor_area(self._cursor)

    def set_tool(self, mode: str) -> None:
        self.set_brush(Brush(self.brush.size, self.brush.hardness, mode, self.brush.pressure_size))

    def swap_tool(self) -> None:
        self.set_tool(PAINT if self.brush.mode == ERASE else ERASE)

    def resize_brush(self, factor: float) -> None:
        size = min(max(self.brush.size * factor, 1.0), 2000.0)
        self.set_brush(Brush(size, self.brush.hardness, self.brush.mode, self.brush.pressure_size))

    # -- view -----------------------------------------------------------------------
    @property
    def scale(self) -> float:
        return self._scale

    def image_pos(self, widget_pos: QPointF) -> QPointF:
        return (QPointF(widget_pos) - self._offset) / self._scale

    def widget_pos(self, image_pos: QPointF) -> QPointF:
        return QPointF(image_pos) * self._scale + self._offset

    def _display_size(self) -> tuple[int, int]:
        return self._before.size if self._before is not None else self.document.size

    def fit(self) -> None:
        if self.document is None:
            return
        w, h = self._display_size()
        scale = min(self.width() / w, self.height() / h) * 0.97
        self._set_view(scale, QPointF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2))

    def actual_size(self) -> None:
        self.zoom_to(1.0, QPointF(self.width() / 2, self.height() / 2))

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        anchor = QPointF(self.width() / 2, self.height() / 2) if anchor is None else anchor
        self.zoom_to(self._scale * factor, anchor)

    def zoom_to(self, scale: float, anchor: QPointF) -> None:
        """Zoom keeping the image point under ``anchor`` (widget coords) fixed."""
        scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        fixed = self.image_pos(anchor)
        self._set_view(scale, anchor - fixed * scale)

    def pan_by(self, dx: float, dy: float) -> None:
        self._set_view(self._scale, self._offset + QPointF(dx, dy))

    def _set_view(self, scale: float, offset: QPointF) -> None:
        self._scale, self._offset = scale, QPointF(offset)
        self._fit_pending = False
        self.view_changed.emit(scale)
        self.update()

    def _widget_rect(self, rect: Rect) -> QRect:
        tl = self.widget_pos(QPointF(rect.x0, rect.y0))
        br = self.widget_pos(QPointF(rect.x1, rect.y1))
        return QRectF(tl, br).toAlignedRect().adjusted(-2, -2, 2, 2)

    def _split_x(self) -> float:
        w = self._display_size()[0] if self.document else 0
        return self._offset.x() + self._split * w * self._scale

    # -- painting the widget ------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(event.rect(), BACKGROUND)
        if self._base is None:
            painter.end()
            return
        visible = self._visible_image_rect(event.rect())
        if not visible.empty:
            smooth = self._scale < 2.0
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
            if self._compare is None:
                self._draw_layer(painter, self._base, self._base_images, visible)
            else:
                split = self._split_x()
                painter.save()
                painter.setClipRect(QRectF(-1e6, -1e6, split + 1e6, 2e6))
                if self._before is not None:
                    self._draw_layer(painter, self._before, self._before_images, visible)
                else:
                    self._draw_layer(painter, self._base, self._base_images, visible)
                painter.setClipRect(QRectF(split, -1e6, 2e6, 2e6))
                self._draw_layer(painter, self._compare, self._compare_images, visible)
                painter.restore()
                self._draw_split(painter, split)
        self._draw_cursor(painter)
        painter.end()

    def _visible_image_rect(self, widget_rect: QRect) -> Rect:
        tl = self.image_pos(QPointF(widget_rect.topLeft()))
        br = self.image_pos(QPointF(widget_rect.bottomRight()) + QPointF(1, 1))
        w, h = self._display_size()
        return Rect(math.floor(tl.x()), math.floor(tl.y()), math.ceil(br.x()), math.ceil(br.y())).clip(w, h)

    def _draw_layer(self, painter: QPainter, pyramid: DisplayPyramid, images: list, rect: Rect) -> None:
        k = pyramid.level_for_scale(self._scale)
        f = 0.5 ** k
        level_h, level_w = pyramid.levels[k].shape[:2]
        source = QRectF(rect.x0 * f, rect.y0 * f, rect.width * f, rect.height * f)
        source = source.intersected(QRectF(0, 0, level_w, level_h))
        target = QRectF(self.widget_pos(QPointF(source.left() / f, source.top() / f)),
                        self.widget_pos(QPointF(source.right() / f, source.bottom() / f)))
        painter.drawImage(target, images[k], source)

    def _draw_split(self, painter: QPainter, x: float) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.setPen(QPen(QColor(255, 255, 255), 1))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        for text, dx, align in (("Before", -8, Qt.AlignmentFlag.AlignRight),
                                ("After", 8, Qt.AlignmentFlag.AlignLeft)):
            box = QRectF(x + dx - (80 if dx < 0 else 0), 8, 80, 20)
            painter.fillRect(box, QColor(0, 0, 0, 120))
            painter.drawText(box.adjusted(4, 0, -4, 0), align | Qt.AlignmentFlag.AlignVCenter, text)

    def _draw_cursor(self, painter: QPainter) -> None:
        if self._cursor is None or self._mode == "pan" or self._space or self.document is None:
            return
        r = self.brush.size * 0.5 * self._scale
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for color, radius in ((QColor(0, 0, 0, 200), r + 1), (QColor(255, 255, 255, 220), r)):
            painter.setPen(QPen(color, 1, Qt.PenStyle.DashLine if self.brush.mode == ERASE else Qt.PenStyle.SolidLine))
            painter.drawEllipse(self._cursor, radius, radius)

    def _update_cursor_area(self, pos: QPointF | None) -> None:
        if pos is None:
            return
        r = self.brush.size * 0.5 * self._scale + 3
        self.update(QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r).toAlignedRect())

    # -- input --------------------------------------------------------------------------
    def _pointer(self, pos: QPointF, pressure: float = 1.0) -> PointerEvent:
        p = self.image_pos(pos)
        return PointerEvent(p.x(), p.y(), pressure)

    def _press(self, pos: QPointF, button, pressure: float = 1.0) -> None:
        if self.document is None:
            return
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._mode, self._pan_anchor = "pan", QPointF(pos)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.LeftButton and self.comparing and abs(pos.x() - self._split_x()) <= SPLIT_GRAB_PX:
            self._mode = "split"
        elif button == Qt.MouseButton.LeftButton and self._before is None:  # not on a resized preview
            self._mode = "paint"
            self._damage(self.document.begin_stroke(self._pointer(pos, pressure), self.brush))

    def _move(self, pos: QPointF, pressure: float = 1.0) -> None:
        old, self._cursor = self._cursor, QPointF(pos)
        if self._mode == "pan":
            delta = pos - self._pan_anchor
            self._pan_anchor = QPointF(pos)
            self.pan_by(delta.x(), delta.y())
            return
        if self._mode == "split" and self.document is not None:
            w = self._display_size()[0] * self._scale
            self.set_split((pos.x() - self._offset.x()) / w)
        elif self._mode == "paint" and self.document is not None:
            self._damage(self.document.continue_stroke(self._pointer(pos, pressure)))
        self._update_cursor_area(old)
        self._update_cursor_area(self._cursor)

    def _release(self) -> None:
        mode, self._mode = self._mode, None
        if mode == "paint" and self.document is not None:
            self.stroke_finished.emit(self.document.end_stroke())
        self.setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)

    def _damage(self, rect: Rect | None) -> None:
        if rect is not None:
            self._base.update(rect)
            self.update(self._widget_rect(rect))

    def mousePressEvent(self, event) -> None:
        self._press(event.position(), event.button())

    def mouseMoveEvent(self, event) -> None:
        self._move(event.position())

    def mouseReleaseEvent(self, event) -> None:
        self._release()

    def tabletEvent(self, event) -> None:
        kind = event.type()
        pos, pressure = event.position(), event.pressure()
        if kind == QEvent.Type.TabletPress:
            if event.pointerType() == event.pointerType().Eraser and self.brush.mode != ERASE:
                self.set_tool(ERASE)
            self._press(pos, event.button(), pressure)
        elif kind == QEvent.Type.TabletMove:
            self._move(pos, pressure)
        elif kind == QEvent.Type.TabletRelease:
            self._release()
        event.accept()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP ** (delta.y() / 120), event.position())
        else:
            self.pan_by(delta.x() / 2, delta.y() / 2)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            self.update()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setCursor(Qt.CursorShape.CrossCursor)
            self.update()
            return
        super().keyReleaseEvent(event)

    def enterEvent(self, event) -> None:
        self.setCursor(Qt.CursorShape.CrossCursor)
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:
        old, self._cursor = self._cursor, None
        self._update_cursor_area(old)
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:
        if self._fit_pending:
            self.fit()
            self._fit_pending = True  # keep fitting until the user zooms or pans
        super().resizeEvent(event)
