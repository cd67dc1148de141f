"""A horizontal strip of thumbnails to pick from: Generate's favourites, the
variations of a Content-aware fill."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from .qimage import to_qimage


class ThumbnailStrip(QListWidget):
    """One icon per entry, left to right.

    Signals
    -------
    chosen(int) : the index the user picked (a click, or a double-click when
        ``double_click`` is set, as for favourites that replace the current image).
    """

    chosen = Signal(int)

    def __init__(self, tip: str, icon: int = 72, double_click: bool = False, parent=None):
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(icon, icon))
        self.setFixedHeight(icon + 32)
        self.setToolTip(tip)
        signal = self.itemDoubleClicked if double_click else self.itemClicked
        signal.connect(lambda item: self.chosen.emit(self.row(item)))

    def show_thumbnails(self, entries: list[tuple[str, str, np.ndarray]]) -> None:
        """``entries``: ``(caption, tooltip, thumbnail)``, thumbnails uint8 (H, W, 3|4)."""
        self.clear()
        for caption, tip, image in entries:
            pixmap = QPixmap.fromImage(to_qimage(np.ascontiguousarray(image)))
            icon = QIcon(pixmap)
            icon.addPixmap(pixmap, QIcon.Mode.Selected)   # the pick is shown by its caption, not tinted
            item = QListWidgetItem(icon, caption)
            item.setToolTip(tip)
            self.addItem(item)

    def mark(self, index: int) -> None:
        """Show ``index`` as the current pick."""
        if 0 <= index < self.count():
            self.setCurrentRow(index)
