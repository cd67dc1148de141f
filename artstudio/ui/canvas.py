"""The paint canvas: shows the photo with its mask overlay, hands pointer
events to the active tool, zooms and pans, and compares a result with a
before/after split.

The tools (mask brush, clone, heal, selections) are Qt-free objects
(:mod:`artstudio.core.tools`); this widget only maps Qt events to image
coordinates, draws the tool's overlay and repaints the dirty rectangles.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from ..core.brush import ERASE, PAINT, Brush, PointerEvent
from ..core.document import Document
from ..core.rect import Rect
from ..core.tools import MaskBrushTool, Tool, ToolError, with_mode
from .canvas_layers import CanvasLayers
from .canvas_overlay import draw_split, draw_tool

MIN_SCALE, MAX_SCALE = 1 / 64, 64.0
ZOOM_STEP = 1.25
SPLIT_GRAB_PX = 6
BACKGROUND = QColor(30, 30, 33)


class CanvasWidget(QWidget):
    """Displays a :class:`Document` and lets the active tool edit it.

    Signals
    -------
    stroke_finished(patch) : a tool gesture ended (core.history.Patch, or None if nothing changed).
    tool_message(str) : a tool's refusal (ToolError) or hint, for the status bar.
    """

    stroke_finished = Signal(object)     # core.history.Patch or None
    view_changed = Signal(float)         # zoom scale
    split_changed = Signal(float)        # 0..1, fraction of the width showing "before"
    brush_changed = Signal(object)       # core.brush.Brush
    tool_changed = Signal(object)        # core.tools.Tool
    tool_message = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_TabletTracking)
        self.setMinimumSize(320, 240)
        self.document: Document | None = None
        self.brush = Brush()
        self.tool: Tool = MaskBrushTool(self.brush)
        self.layers = CanvasLayers()
        self._split = 0.5
        self._scale, self._offset = 1.0, QPointF(0, 0)
        self._overlay = ((255, 40, 80), 0.5)
        self._mode: str | None = None           # "tool", "pan", "split"
        self._space = False
        self._pan_anchor = QPointF()
        self._cursor: QPointF | None = None
        self._fit_pending = True

    # -- document and layers -------------------------------------------------
    def set_document(self, document: Document | None) -> None:
        if self.document is not None and self.document.editing:
            self.stroke_finished.emit(self.document.end_edit())
        self._mode = None
        self.document = document
        self.layers.set_document(document, self._overlay)
        self._fit_pending = True
        self.fit()

    def refresh(self, rect: Rect | None = None) -> None:
        """Recomposite after the document changed (None: everything)."""
        if self.layers.base is None:
            return
        self.layers.update_base(rect)
        self.update(self._widget_rect(rect) if rect is not None else self.rect())

    def refresh_rects(self, rects: list[Rect]) -> None:
        """Recomposite several rectangles (e.g. the tiles an undo restored)."""
        if self.layers.base is None:
            return
        if len(rects) > 256:  # one pass over the bounds beats thousands of tiny ones
            bounds = rects[0]
            for r in rects[1:]:
                bounds = bounds.union(r)
            rects = [bounds]
        for rect in rects:
            self.layers.update_base(rect)
            self.update(self._widget_rect(rect))

    def set_compare(self, image: np.ndarray | None, dirty: Rect | None = None,
                    before: np.ndarray | None = None) -> None:
        """Show ``image`` right of the split line ("after"); None ends comparing.

        When already comparing an image of the same size, only ``dirty`` (the
        part that changed; None: all) is recomposited, so streaming previews
        of a 24 MP job stays cheap. ``before`` (same size as ``image``) replaces
        the document on the left, for results of another size.
        """
        shape = tuple(reversed(self.document.size)) if self.document is not None else (0, 0)
        partial, refit = self.layers.set_compare(image, shape, dirty, before)
        if partial:
            self.update(self._widget_rect(dirty))
            return
        if refit:
            self.fit()  # the view's pixel coordinates changed
        self.update()

    @property
    def comparing(self) -> bool:
        return self.layers.compare is not None

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
        self.layers.set_overlay(self._overlay)
        self.update()

    # -- tools and the brush -------------------------------------------------------
    def set_active_tool(self, tool: Tool) -> None:
        """Make ``tool`` the one the pointer drives; brush tools share the canvas brush."""
        self.escape()
        old = self._tool_area()
        self.tool = tool
        if tool.uses_brush:
            tool.brush = self.brush
        self.update(old)
        self.update(self._tool_area())
        self.tool_changed.emit(tool)
        if tool.hint:
            self.tool_message.emit(tool.hint)

    def set_brush(self, brush: Brush) -> None:
        old = self._tool_area()
        self.brush = brush
        if self.tool.uses_brush:
            self.tool.brush = brush
        self.brush_changed.emit(brush)
        # The old outline may be larger than the new one (issue 15 B2): repaint both.
        self.update(old)
        self.update(self._tool_area())

    def set_tool(self, mode: str) -> None:
        """The brush paints (``"paint"``) or erases (``"erase"``)."""
        self.set_brush(with_mode(self.brush, mode))

    def swap_tool(self) -> None:
        self.set_tool(PAINT if self.brush.mode == ERASE else ERASE)

    def resize_brush(self, factor: float) -> None:
        size = min(max(self.brush.size * factor, 1.0), 2000.0)
        self.set_brush(Brush(size, self.brush.hardness, self.brush.mode, self.brush.pressure_size))

    def escape(self) -> bool:
        """Drop the tool's gesture in progress (Esc); False when there was none."""
        if not self.tool.busy or self.document is None:
            return False
        self._mode = None
        self._damage(self.tool.cancel(self.document))
        self.update()
        return True

    def finish_gesture(self) -> None:
        """Enter: complete the tool's multi-click gesture (a polygon)."""
        if self.document is not None and self.tool.busy:
            self._mode = None
            self._end_gesture(lambda: self.tool.finish(self.document))

    # -- view -----------------------------------------------------------------------
    @property
    def scale(self) -> float:
        return self._scale

    def image_pos(self, widget_pos: QPointF) -> QPointF:
        return (QPointF(widget_pos) - self._offset) / self._scale

    def widget_pos(self, image_pos: QPointF) -> QPointF:
        return QPointF(image_pos) * self._scale + self._offset

    def _display_size(self) -> tuple[int, int]:
        return self.layers.before.size if self.layers.before is not None else self.document.size

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
        if self.layers.base is None:
            painter.end()
            return
        visible = self._visible_image_rect(event.rect())
        if not visible.empty:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._scale < 2.0)
            split = self._split_x() if self.comparing else None
            self.layers.draw(painter, visible, self._scale, self.widget_pos, split)
            if split is not None:
                w = self._display_size()[0] * self._scale
                draw_split(painter, split, self.height(), self._offset.x(), self._offset.x() + w)
        if self._mode != "pan" and not self._space and self.document is not None:
            draw_tool(painter, self.tool.overlay(), self.widget_pos, self._scale, self._cursor)
        painter.end()

    def _visible_image_rect(self, widget_rect: QRect) -> Rect:
        tl = self.image_pos(QPointF(widget_rect.topLeft()))
        br = self.image_pos(QPointF(widget_rect.bottomRight()) + QPointF(1, 1))
        w, h = self._display_size()
        return Rect(math.floor(tl.x()), math.floor(tl.y()), math.ceil(br.x()), math.ceil(br.y())).clip(w, h)

    def _tool_area(self, cursor: QPointF | None = None) -> QRect:
        """Widget pixels the tool's overlay covers with the pointer at ``cursor`` (default: now)."""
        cursor = self._cursor if cursor is None else cursor
        pointer = None if cursor is None else (lambda p: (p.x(), p.y()))(self.image_pos(cursor))
        bounds = self.tool.overlay().bounds(pointer)
        return QRect() if bounds is None else self._widget_rect(bounds).adjusted(-3, -3, 3, 3)

    # -- input --------------------------------------------------------------------------
    def _pointer(self, pos: QPointF, pressure: float = 1.0, modifiers=None, double: bool = False) -> PointerEvent:
        p = self.image_pos(pos)
        mods = modifiers if modifiers is not None else Qt.KeyboardModifier.NoModifier
        return PointerEvent(p.x(), p.y(), pressure,
                            shift=bool(mods & Qt.KeyboardModifier.ShiftModifier),
                            alt=bool(mods & Qt.KeyboardModifier.AltModifier),
                            ctrl=bool(mods & Qt.KeyboardModifier.ControlModifier), double=double)

    def _press(self, pos: QPointF, button, pressure: float = 1.0, modifiers=None, double: bool = False) -> None:
        if self.document is None:
            return
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._mode, self._pan_anchor = "pan", QPointF(pos)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif button == Qt.MouseButton.LeftButton and self.comparing and abs(pos.x() - self._split_x()) <= SPLIT_GRAB_PX:
            self._mode = "split"
        elif button == Qt.MouseButton.LeftButton and self.layers.before is None:  # not on a resized preview
            self._mode = "tool"
            self._tool_call(lambda: self._damage(self.tool.press(self.document, self._pointer(pos, pressure, modifiers, double))))

    def _move(self, pos: QPointF, pressure: float = 1.0, modifiers=None) -> None:
        old_area = self._tool_area()
        self._cursor = QPointF(pos)
        if self._mode == "pan":
            delta = pos - self._pan_anchor
            self._pan_anchor = QPointF(pos)
            self.pan_by(delta.x(), delta.y())
            return
        if self._mode == "split" and self.document is not None:
            w = self._display_size()[0] * self._scale
            self.set_split((pos.x() - self._offset.x()) / w)
        elif self.document is not None:
            event = self._pointer(pos, pressure, modifiers)
            if self._mode == "tool":
                self._tool_call(lambda: self._damage(self.tool.drag(self.document, event)))
            else:
                self.tool.hover(self.document, event)
        self.update(old_area)
        self.update(self._tool_area())

    def _release(self, pos: QPointF | None = None, modifiers=None) -> None:
        mode, self._mode = self._mode, None
        if mode == "tool" and self.document is not None:
            event = self._pointer(pos if pos is not None else (self._cursor or QPointF()), 1.0, modifiers)
            self._end_gesture(lambda: self.tool.release(self.document, event))
        self.setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)

    def _end_gesture(self, call) -> None:
        old = self._tool_area()
        patch = self._tool_call(call)
        if patch is not None:
            self.refresh_rects(patch.rects)
        self.update(old)
        self.update(self._tool_area())
        if patch is not None or not self.tool.busy:
            self.stroke_finished.emit(patch)

    def _tool_call(self, call):
        """Run a tool method; a ToolError becomes a status message and ends the gesture.

        Tools raise before they change anything; an edit already begun is
        closed so what it did stays one undo step.
        """
        try:
            return call()
        except ToolError as error:
            self._mode = None
            if self.document is not None and self.document.editing:
                patch = self.document.end_edit()
                if patch is not None:
                    self.refresh_rects(patch.rects)
                    self.stroke_finished.emit(patch)
            self.tool_message.emit(str(error))
            return None

    def _damage(self, rect: Rect | None) -> None:
        if rect is not None:
            self.layers.update_base(rect)
            self.update(self._widget_rect(rect))

    def mousePressEvent(self, event) -> None:
        self._press(event.position(), event.button(), 1.0, event.modifiers())

    def mouseDoubleClickEvent(self, event) -> None:
        self._press(event.position(), event.button(), 1.0, event.modifiers(), double=True)

    def mouseMoveEvent(self, event) -> None:
        self._move(event.position(), 1.0, event.modifiers())

    def mouseReleaseEvent(self, event) -> None:
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._release(event.position(), event.modifiers())

    def tabletEvent(self, event) -> None:
        kind = event.type()
        pos, pressure = event.position(), event.pressure()
        if kind == QEvent.Type.TabletPress:
            if event.pointerType() == event.pointerType().Eraser and self.brush.mode != ERASE:
                self.set_tool(ERASE)
            self._press(pos, event.button(), pressure, event.modifiers())
        elif kind == QEvent.Type.TabletMove:
            self._move(pos, pressure, event.modifiers())
        elif kind == QEvent.Type.TabletRelease:
            self._release(pos, event.modifiers())
        event.accept()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP ** (delta.y() / 120), event.position())
        else:
            self.pan_by(delta.x() / 2, delta.y() / 2)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.tool.busy:
            self.finish_gesture()
            return
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
        old = self._tool_area()
        self._cursor = None
        self.update(old)
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:
        if self._fit_pending:
            self.fit()
            self._fit_pending = True  # keep fitting until the user zooms or pans
        super().resizeEvent(event)
