"""The zoom field: shows the canvas's zoom as it changes (wheel, keys, fit) and
takes a typed one: ``150`` or ``150%`` and Enter zooms about the view's centre."""

from __future__ import annotations

import re

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QLineEdit

from .canvas_view import MAX_SCALE, MIN_SCALE

SHORTCUT = "Alt+Z"
TIP = (f"Zoom: type a percentage (150 or 150%) and press Enter ({SHORTCUT} goes here). "
       "Ctrl+0 fits the photo, Ctrl+1 shows actual pixels, Ctrl+wheel zooms at the pointer.")
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d*)?|[.,]\d+)\s*%?\s*$")


def parse_zoom(text: str) -> float | None:
    """The scale typed as a percentage (``"150"``, ``"150 %"``, ``"33,3%"`` -> 1.5, 0.333), or None."""
    match = _NUMBER.match(text)
    if match is None:
        return None
    percent = float(match.group(1).replace(",", "."))
    return percent / 100 if percent > 0 else None


def format_zoom(scale: float) -> str:
    percent = scale * 100
    return f"{percent:.0f}%" if percent >= 10 else f"{percent:.1f}%"


class ZoomField(QLineEdit):
    """Typed zoom for ``canvas`` (a CanvasWidget).

    Signals
    -------
    message(str) : a refusal or the zoom set, for the status bar.
    """

    message = Signal(str)

    def __init__(self, canvas, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.setObjectName("zoom")
        self.setToolTip(TIP)
        self.setStatusTip(TIP)
        self.setFixedWidth(self.fontMetrics().horizontalAdvance("00000.0%") + 16)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.show_scale(canvas.scale)
        canvas.view_changed.connect(self.show_scale)
        self.returnPressed.connect(self._on_return_pressed)

    def show_scale(self, scale: float) -> None:
        """Show ``scale``, unless the user is typing over it."""
        if not (self.hasFocus() and self.isModified()):
            self.setText(format_zoom(scale))
            self.setModified(False)

    def begin_typing(self) -> None:
        """Put the keyboard here with the text selected (the shortcut's slot)."""
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def _on_return_pressed(self) -> None:
        scale = parse_zoom(self.text())
        if scale is None:
            self.message.emit(f"'{self.text().strip()}' is not a zoom: type a percentage such as 150 or 50%.")
            self.setModified(False)
            self.show_scale(self.canvas.scale)
            self.selectAll()
            return
        if not MIN_SCALE <= scale <= MAX_SCALE:
            self.message.emit(f"Zoom goes from {format_zoom(MIN_SCALE)} to {format_zoom(MAX_SCALE)}.")
        c = self.canvas
        self.setModified(False)
        if c.document is None:
            self.show_scale(c.scale)
            return
        c.zoom_to(scale, QPointF(c.width() / 2, c.height() / 2))
        self.show_scale(c.scale)
        c.setFocus(Qt.FocusReason.OtherFocusReason)    # B, [ and ] work again straight away

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.setModified(False)
        self.show_scale(self.canvas.scale)
