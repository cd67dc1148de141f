"""Small widget helpers shared by the panels."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QWidget


def keyed_combo(items: dict[str, str]) -> QComboBox:
    """A combo box showing each label, with its key as the item's data (``currentData()``)."""
    combo = QComboBox()
    for key, label in items.items():
        combo.addItem(label, key)
    return combo


def leave_focus_on(canvas: QWidget, *containers: QWidget) -> None:
    """Keep the keyboard on ``canvas`` while the panels in ``containers`` are used.

    Buttons and combo boxes take focus from Tab only: a click on one leaves
    the canvas's keys (B, E, [ ], Ctrl+Z in the canvas) working, and a button
    disabled while its job runs no longer pushes the focus into the next spin
    box, which then swallowed every key. Enter in a number field hands the
    keyboard back to the canvas, as in Photoshop's and GIMP's option bars.
    """
    for container in containers:
        for widget in container.findChildren(QAbstractButton) + container.findChildren(QComboBox):
            widget.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        for box in container.findChildren(QAbstractSpinBox):
            box.editingFinished.connect(lambda box=box: box.hasFocus() and canvas.setFocus())
