"""Scroll bars along the canvas's right and bottom edges, shown while the zoomed
photo is larger than the view: they follow every pan and zoom, and dragging
them (or the wheel over them) pans the canvas.

They are children of the canvas laid over its edges rather than a
QScrollArea around it: the canvas keeps its own view transform (zoom about
the pointer, pan past the edges), and the bars only mirror it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QScrollBar

PAN_TIP = ("Drag to pan the photo (or hold Space and drag on it, or use the wheel; "
           "Ctrl+wheel zooms, Ctrl+0 fits)")


class CanvasScrollBars(QObject):
    """The horizontal (:attr:`h`) and vertical (:attr:`v`) bars of ``canvas`` (a CanvasWidget)."""

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas = canvas
        self.h = QScrollBar(Qt.Orientation.Horizontal, canvas)
        self.v = QScrollBar(Qt.Orientation.Vertical, canvas)
        self._syncing = False
        for bar, axis in ((self.h, 0), (self.v, 1)):
            bar.hide()
            bar.setCursor(Qt.CursorShape.ArrowCursor)
            bar.setToolTip(PAN_TIP)
            bar.valueChanged.connect(lambda value, a=axis: self._on_bar_moved(a, value))
        canvas.view_changed.connect(self.sync)
        canvas.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.Resize:
            self.sync()
        return False

    @property
    def thickness(self) -> int:
        return self.v.sizeHint().width()

    def sync(self, *_args) -> None:
        """Show, size and place the bars for the canvas's current view."""
        c = self.canvas
        if c.document is None:
            self.h.hide()
            self.v.hide()
            return
        (w, h), scale, offset = c.display_size(), c.scale, c.view.offset
        cw, ch, t = c.width(), c.height(), self.thickness
        need_h, need_v = w * scale > cw, h * scale > ch
        # One bar takes room the other direction needed.
        need_v = need_v or (need_h and h * scale > ch - t)
        need_h = need_h or (need_v and w * scale > cw - t)
        view_w, view_h = cw - (t if need_v else 0), ch - (t if need_h else 0)
        self.h.setGeometry(0, ch - t, view_w, t)
        self.v.setGeometry(cw - t, 0, t, view_h)
        self._set(self.h, need_h, w * scale, view_w, -offset.x())
        self._set(self.v, need_v, h * scale, view_h, -offset.y())

    def _set(self, bar: QScrollBar, needed: bool, content: float, view: int, value: float) -> None:
        bar.setVisible(needed)
        if not needed:
            return
        self._syncing = True
        try:
            # Panned past an edge (Space+drag allows it): the range stretches to hold the view.
            value = round(value)
            bar.setRange(min(0, value), max(round(content - view), value))
            bar.setPageStep(max(1, view))
            bar.setSingleStep(max(1, view // 20))
            bar.setValue(value)
        finally:
            self._syncing = False

    def _on_bar_moved(self, axis: int, value: int) -> None:
        if self._syncing:
            return
        offset = self.canvas.view.offset
        now = -(offset.x() if axis == 0 else offset.y())
        step = now - value
        self.canvas.pan_by(step if axis == 0 else 0.0, step if axis == 1 else 0.0)
