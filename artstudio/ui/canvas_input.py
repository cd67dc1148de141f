"""Qt mouse, tablet and key events on the canvas, translated: pointer events
in image coordinates for the active tool, or a pan, or a drag of the
before/after split line.

A tool's refusal (:class:`~artstudio.core.tools.ToolError`) ends the gesture
and becomes a status line; an edit the tool had begun is closed first, so
what it did stays one undo step.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QPointF, QRect, Qt

from ..core.brush import ERASE, PointerEvent
from ..core.rect import Rect
from ..core.tools import ToolError
from .canvas_cursors import tool_cursor

SPLIT_GRAB_PX = 6
ZOOM_STEP = 1.25
TOOL, PAN, SPLIT = "tool", "pan", "split"


class PointerInput:
    """The canvas's gesture state (tool stroke, pan or split drag) and the pointer's position."""

    def __init__(self, canvas):
        self.canvas = canvas
        self.mode: str | None = None
        self.space = False                # Space held: a left drag pans
        self.cursor: QPointF | None = None
        self._pan_anchor = QPointF()
        # Called before a stroke that writes the photo's pixels (clone, heal): the canvas's
        # owner applies a result being compared, or raises ToolError to refuse the stroke.
        self.before_image_edit: Callable[[], None] | None = None
        # Enter with no gesture to finish: the owner applies a result being compared (True: done).
        self.on_enter: Callable[[], bool] | None = None

    def pointer(self, pos: QPointF, pressure: float = 1.0, modifiers=None, double: bool = False) -> PointerEvent:
        p = self.canvas.image_pos(pos)
        mods = modifiers if modifiers is not None else Qt.KeyboardModifier.NoModifier
        return PointerEvent(p.x(), p.y(), pressure,
                            shift=bool(mods & Qt.KeyboardModifier.ShiftModifier),
                            alt=bool(mods & Qt.KeyboardModifier.AltModifier),
                            ctrl=bool(mods & Qt.KeyboardModifier.ControlModifier), double=double)

    def press(self, pos: QPointF, button, pressure: float = 1.0, modifiers=None, double: bool = False) -> None:
        c = self.canvas
        if c.document is None:
            return
        left = button == Qt.MouseButton.LeftButton
        if button == Qt.MouseButton.MiddleButton or (left and self.space):
            self.mode, self._pan_anchor = PAN, QPointF(pos)
        elif left and c.comparing and abs(pos.x() - c.split_x()) <= SPLIT_GRAB_PX:
            self.mode = SPLIT
        elif left and double and c.tool.busy:
            # A double-click completes a multi-click gesture as Enter does (its first
            # click already placed the last corner); the release that follows is nobody's.
            self.mode = None
            self.end_gesture(lambda: c.tool.finish(c.document))
        elif left and c.layers.before is None:  # not on a resized preview
            self.mode = TOOL
            event = self.pointer(pos, pressure, modifiers, double)
            old = self.tool_area()         # a press may move the overlay (Ctrl+click: the clone source)
            self.tool_call(lambda: self.damage(self._press_tool(event)))
            c.update(old)
            c.update(self.tool_area())
        self.refresh_cursor()

    def _press_tool(self, event: PointerEvent) -> Rect | None:
        c = self.canvas
        if self.before_image_edit is not None and c.tool.writes_image(event):
            self.before_image_edit()       # may apply a compared result, or refuse (ToolError)
        return c.tool.press(c.document, event)

    def move(self, pos: QPointF, pressure: float = 1.0, modifiers=None) -> None:
        c = self.canvas
        old_area = self.tool_area()
        self.cursor = QPointF(pos)
        if self.mode == PAN:
            delta = pos - self._pan_anchor
            self._pan_anchor = QPointF(pos)
            c.pan_by(delta.x(), delta.y())
            return
        if self.mode == SPLIT and c.document is not None:
            c.set_split((pos.x() - c.view.offset.x()) / (c.display_size()[0] * c.scale))
        elif c.document is not None:
            event = self.pointer(pos, pressure, modifiers)
            if self.mode == TOOL:
                self.tool_call(lambda: self.damage(c.tool.drag(c.document, event)))
            else:
                c.tool.hover(c.document, event)
        c.update(old_area)
        c.update(self.tool_area())

    def release(self, pos: QPointF | None = None, modifiers=None) -> None:
        c = self.canvas
        mode, self.mode = self.mode, None
        if mode == TOOL and c.document is not None:
            event = self.pointer(pos if pos is not None else (self.cursor or QPointF()), 1.0, modifiers)
            self.end_gesture(lambda: c.tool.release(c.document, event))
        self.refresh_cursor()

    def end_gesture(self, call) -> None:
        """Run the call that ends a gesture (release, finish); repaint and announce its patch."""
        c = self.canvas
        old = self.tool_area()
        patch = self.tool_call(call)
        if patch is not None:
            c.refresh_rects(patch.rects)
        c.update(old)
        c.update(self.tool_area())
        c.mask_display.changed()
        if patch is not None or not c.tool.busy:
            c.stroke_finished.emit(patch)

    def tool_call(self, call):
        """Run a tool method; a ToolError becomes a status message and ends the gesture."""
        c = self.canvas
        try:
            return call()
        except ToolError as error:
            self.mode = None
            if c.document is not None and c.document.editing:
                patch = c.document.end_edit()
                if patch is not None:
                    c.refresh_rects(patch.rects)
                    c.stroke_finished.emit(patch)
            c.tool_message.emit(str(error))
            return None

    def damage(self, rect: Rect | None) -> None:
        if rect is not None:
            self.canvas.refresh(rect)

    def refresh_cursor(self) -> None:
        """The hand while panning (or Space is held), else the active tool's cursor."""
        c = self.canvas
        if self.mode == PAN:
            c.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif self.space:
            c.setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            c.setCursor(tool_cursor(c.tool.key))

    def tool_area(self, cursor: QPointF | None = None) -> QRect:
        """Widget pixels the tool's overlay covers with the pointer at ``cursor`` (default: now)."""
        c = self.canvas
        cursor = self.cursor if cursor is None else cursor
        pointer = None if cursor is None else (lambda p: (p.x(), p.y()))(c.image_pos(cursor))
        bounds = c.tool.overlay().bounds(pointer)
        return QRect() if bounds is None else c.view.widget_rect(bounds).adjusted(-3, -3, 3, 3)

    def tablet(self, event) -> None:
        kind = event.type()
        pos, pressure = event.position(), event.pressure()
        if kind == QEvent.Type.TabletPress:
            if event.pointerType() == event.pointerType().Eraser and self.canvas.brush.mode != ERASE:
                self.canvas.set_tool(ERASE)
            self.press(pos, event.button(), pressure, event.modifiers())
        elif kind == QEvent.Type.TabletMove:
            self.move(pos, pressure, event.modifiers())
        elif kind == QEvent.Type.TabletRelease:
            self.release(pos, event.modifiers())
        event.accept()

    def wheel(self, event) -> None:
        """Ctrl+wheel zooms about the pointer; the wheel alone pans."""
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.canvas.zoom_by(ZOOM_STEP ** (delta.y() / 120), event.position())
        else:
            self.canvas.pan_by(delta.x() / 2, delta.y() / 2)
        event.accept()

    def leave(self) -> None:
        """The pointer left the canvas: no brush outline follows it."""
        old = self.tool_area()
        self.cursor = None
        if self.mode is None:
            self.canvas.tool.leave()
        self.canvas.update(old)

    def key(self, event, pressed: bool) -> bool:
        """Enter finishes a multi-click gesture (or applies a compared result), Space held pans;
        True when the key was used."""
        c = self.canvas
        if pressed and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if c.tool.busy:
                c.finish_gesture()
                return True
            if self.on_enter is not None and self.on_enter():
                return True
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self.space = pressed
            self.refresh_cursor()
            c.update()
            return True
        return False
