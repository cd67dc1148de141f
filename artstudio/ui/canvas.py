"""The paint canvas: shows the photo with its mask, hands pointer events to
the active tool, zooms and pans, and compares a result with a before/after
split.

The tools (mask brush, clone, heal, selections) are Qt-free objects
(:mod:`artstudio.core.tools`); this widget keeps them, the document and the
view together and paints. Its parts live beside it: the view transform
(:mod:`.canvas_view`), event translation (:mod:`.canvas_input`), the mask's
look and marching ants (:mod:`.canvas_mask`), the pictures
(:mod:`.canvas_layers`), what is drawn over them (:mod:`.canvas_overlay`) and
the tools' cursors (:mod:`.canvas_cursors`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from ..core.brush import ERASE, MAX_BRUSH, PAINT, Brush
from ..core.document import Document
from ..core.rect import Rect
from ..core.tools import MaskBrushTool, Tool, with_mode
from .canvas_input import PointerInput
from .canvas_layers import CanvasLayers
from .canvas_mask import MaskDisplay
from .canvas_sampling import SamplingDisplay
from .canvas_overlay import paint_canvas
from .canvas_scroll import CanvasScrollBars
from .canvas_view import CanvasView


def merge_rows(rects: list[Rect]) -> list[Rect]:
    """Rectangles of one row (same y0, y1) that touch end to end, joined: a selection's undo tiles
    become a run per tile row, recomposited without the empty corners of their bounds."""
    merged: list[Rect] = []
    for r in sorted(rects, key=lambda r: (r.y0, r.y1, r.x0)):
        last = merged[-1] if merged else None
        if last is not None and (last.y0, last.y1) == (r.y0, r.y1) and r.x0 <= last.x1:
            merged[-1] = Rect(last.x0, last.y0, max(last.x1, r.x1), last.y1)
        else:
            merged.append(r)
    return merged


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
        self.view = CanvasView()
        self.input = PointerInput(self)
        self.mask_display = MaskDisplay(self)
        self.sampling_display = SamplingDisplay(self)
        self._split = 0.5
        self._fit_pending = True
        self.scrollbars = CanvasScrollBars(self)
        self.input.refresh_cursor()

    # -- document and layers -------------------------------------------------
    def set_document(self, document: Document | None) -> None:
        if self.document is not None and self.document.editing:
            self.stroke_finished.emit(self.document.end_edit())
        self.input.mode = None
        self.document = document
        self.mask_display.follow_photo(document)
        self.sampling_display.changed()
        self.layers.set_document(document, self.mask_display.overlay())
        self._prepare_tool()
        self.fit()
        self._fit_pending = True        # and again as the canvas is resized, until the user zooms or pans
        self.scrollbars.sync()          # also with no document left to fit

    def refresh(self, rect: Rect | None = None) -> None:
        """Recomposite after the document changed (None: everything)."""
        if self.layers.base is None:
            return
        self.layers.update_base(rect)
        self.mask_display.changed()
        self.sampling_display.changed()
        self.update(self.view.widget_rect(rect) if rect is not None else self.rect())

    def refresh_rects(self, rects: list[Rect]) -> None:
        """Recomposite several rectangles (e.g. the tiles an undo restored)."""
        if len(rects) > 64:  # a pass per row of tiles beats thousands of tiny ones
            rects = merge_rows(rects)
        if len(rects) > 256:
            rects = [Rect(min(r.x0 for r in rects), min(r.y0 for r in rects),
                          max(r.x1 for r in rects), max(r.y1 for r in rects))]
        for rect in rects:
            self.refresh(rect)

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
            self.update(self.view.widget_rect(dirty))
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

    # -- how the mask shows (the rest: self.mask_display.set(...)) ------------------------------
    def set_overlay(self, color: tuple[int, int, int], opacity: float) -> None:
        """The tint's colour (used once automatic colour is off) and opacity."""
        self.mask_display.set_tint(color, opacity)
        self.mask_display.set()

    # -- tools and the brush -------------------------------------------------------
    def set_active_tool(self, tool: Tool) -> None:
        """Make ``tool`` the one the pointer drives; brush tools share the canvas brush."""
        self.escape()
        old = self.input.tool_area()
        self.tool = tool
        if tool.uses_brush:
            tool.brush = self.brush
        self._prepare_tool()
        self.input.refresh_cursor()
        self.update(old)
        self.update(self.input.tool_area())
        self.tool_changed.emit(tool)
        if tool.hint:
            self.tool_message.emit(tool.hint)

    def _prepare_tool(self) -> None:
        # A tool may get ready for a photo ahead of the first click (the colour tools convert it to Lab).
        prepare = getattr(self.tool, "prepare", None)
        if prepare is not None and self.document is not None:
            prepare(self.document)

    def set_brush(self, brush: Brush) -> None:
        old = self.input.tool_area()
        self.brush = brush
        if self.tool.uses_brush:
            self.tool.brush = brush
        self.brush_changed.emit(brush)
        # The old outline may be larger than the new one (issue 15 B2): repaint both.
        self.update(old)
        self.update(self.input.tool_area())

    def set_tool(self, mode: str) -> None:
        """The brush paints (``"paint"``) or erases (``"erase"``)."""
        self.set_brush(with_mode(self.brush, mode))

    def swap_tool(self) -> None:
        self.set_tool(PAINT if self.brush.mode == ERASE else ERASE)

    def resize_brush(self, factor: float) -> None:
        size = min(max(self.brush.size * factor, 1.0), MAX_BRUSH)   # where the Size slider ends
        self.set_brush(Brush(size, self.brush.hardness, self.brush.mode, self.brush.pressure_size))

    def escape(self) -> bool:
        """Drop the tool's gesture in progress (Esc); False when there was none."""
        if not self.tool.busy or self.document is None:
            return False
        self.input.mode = None
        self.input.damage(self.tool.cancel(self.document))
        self.update()
        return True

    def finish_gesture(self) -> None:
        """Enter: complete the tool's multi-click gesture (a polygon)."""
        if self.document is not None and self.tool.busy:
            self.input.mode = None
            self.input.end_gesture(lambda: self.tool.finish(self.document))

    # -- view -----------------------------------------------------------------------
    @property
    def scale(self) -> float:
        return self.view.scale

    def image_pos(self, widget_pos: QPointF) -> QPointF:
        return self.view.image_pos(widget_pos)

    def widget_pos(self, image_pos: QPointF) -> QPointF:
        return self.view.widget_pos(image_pos)

    def display_size(self) -> tuple[int, int]:
        return self.layers.before.size if self.layers.before is not None else self.document.size

    def fit(self) -> None:
        if self.document is not None:
            self._set_view(*self.view.fitted((self.width(), self.height()), self.display_size()))

    def actual_size(self) -> None:
        self.zoom_to(1.0, QPointF(self.width() / 2, self.height() / 2))

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.zoom_to(self.scale * factor, QPointF(self.width() / 2, self.height() / 2) if anchor is None else anchor)

    def zoom_to(self, scale: float, anchor: QPointF) -> None:
        """Zoom keeping the image point under ``anchor`` (widget coords) fixed."""
        self._set_view(*self.view.zoomed(scale, anchor))

    def pan_by(self, dx: float, dy: float) -> None:
        self._set_view(self.scale, self.view.offset + QPointF(dx, dy))

    def _set_view(self, scale: float, offset: QPointF) -> None:
        self.view.scale, self.view.offset = scale, QPointF(offset)
        self._fit_pending = False
        self.view_changed.emit(scale)
        self.update()

    def split_x(self) -> float:
        w = self.display_size()[0] if self.document else 0
        return self.view.offset.x() + self._split * w * self.scale

    # -- painting the widget ------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        paint_canvas(self, painter, event.rect())
        painter.end()

    # -- Qt events (translated by self.input) ----------------------------------------------
    def mousePressEvent(self, event) -> None:
        self.input.press(event.position(), event.button(), 1.0, event.modifiers())

    def mouseDoubleClickEvent(self, event) -> None:
        self.input.press(event.position(), event.button(), 1.0, event.modifiers(), double=True)

    def mouseMoveEvent(self, event) -> None:
        self.input.move(event.position(), 1.0, event.modifiers())

    def mouseReleaseEvent(self, event) -> None:
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self.input.release(event.position(), event.modifiers())

    def tabletEvent(self, event) -> None:
        self.input.tablet(event)

    def wheelEvent(self, event) -> None:
        self.input.wheel(event)

    def keyPressEvent(self, event) -> None:
        if not self.input.key(event, True):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if not self.input.key(event, False):
            super().keyReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        self.input.leave()
        super().leaveEvent(event)

    def resizeEvent(self, event) -> None:
        if self._fit_pending:
            self.fit()
            self._fit_pending = True  # keep fitting until the user zooms or pans
        super().resizeEvent(event)
