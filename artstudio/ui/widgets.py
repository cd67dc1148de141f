"""Small widget helpers shared by the panels."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox


def keyed_combo(items: dict[str, str]) -> QComboBox:
    """A combo box showing each label, with its key as the item's data (``currentData()``)."""
    combo = QComboBox()
    for key, label in items.items():
        combo.addItem(label, key)
    return combo
