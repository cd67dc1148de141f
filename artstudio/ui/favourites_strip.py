"""The strip of favourite thumbnails under the Generate view; double-click returns to one."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from .qimage import to_qimage


class FavouritesStrip(QListWidget):
    """One icon per favourite, in the order they were added.

    Signals
    -------
    favourite_chosen(int) : the index of a favourite the user double-clicked.
    """

    favourite_chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(72, 72))
        self.setFixedHeight(104)
        self.setToolTip("Favourites: double-click to return to one")
        self.itemDoubleClicked.connect(lambda item: self.favourite_chosen.emit(self.row(item)))

    def show_favourites(self, entries: list[tuple[object, np.ndarray]]) -> None:
        """``entries``: ``(state, thumbnail)`` pairs, thumbnails uint8 (H, W, 3)."""
        self.clear()
        for i, (state, image) in enumerate(entries):
            item = QListWidgetItem(QIcon(QPixmap.fromImage(to_qimage(image))), f"#{i + 1}")
            item.setToolTip(f"seed {state.seed}")
            self.addItem(item)
