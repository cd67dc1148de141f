"""Small widget helpers shared by the panels."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractScrollArea, QAbstractSlider,
                               QAbstractSpinBox, QApplication, QComboBox, QWidget)


def keyed_combo(items: dict[str, str]) -> QComboBox:
    """A combo box showing each label, with its key as the item's data (``currentData()``)."""
    combo = QComboBox()
    for key, label in items.items():
        combo.addItem(label, key)
    return combo


def leave_focus_on(canvas: QWidget, *containers: QWidget) -> None:
    """Keep the keyboard on ``canvas``, and the wheel on the panel's scrolling, while the
    panels in ``containers`` are used.

    Buttons, combo boxes and lists (the variations' thumbnails) take focus from Tab only: a click on one leaves
    the canvas's keys (B, E, [ ], Ctrl+Z in the canvas) working, and a button
    disabled while its job runs no longer pushes the focus into the next spin
    box, which then swallowed every key. Enter in a number field hands the
    keyboard back to the canvas, as in Photoshop's and GIMP's option bars.
    The wheel changes a combo box, spin box or slider only while it has the
    focus (clicked or tabbed to); otherwise it scrolls the panel, so scrolling
    down past Upscale's method no longer turns it into Deep Image Prior.
    """
    for container in containers:
        # (item views too: a clicked thumbnail kept the focus, and when Apply hid the strip Qt
        # moved it to the next control down and scrolled the panel there)
        for widget in (container.findChildren(QAbstractButton) + container.findChildren(QComboBox)
                       + container.findChildren(QAbstractItemView)):
            widget.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for box in container.findChildren(QAbstractSpinBox):
            box.editingFinished.connect(lambda box=box: box.hasFocus() and canvas.setFocus())
        guard = _WheelToScroll(container)
        for widget in (container.findChildren(QComboBox) + container.findChildren(QAbstractSpinBox)
                       + container.findChildren(QAbstractSlider)):
            if not isinstance(widget.parent(), QAbstractScrollArea):     # a scroll bar's own slider
                widget.installEventFilter(guard)


class _WheelToScroll(QObject):
    """Sends the wheel over an unfocused control to the scroll area round it (or drops it)."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Wheel or watched.hasFocus():
            return False
        area = watched.parent()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parent()
        if area is not None:
            QApplication.sendEvent(area.verticalScrollBar(), event)
        return True
