"""The Generate workspace's favourites: double-click to return to one, Delete to remove it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from .thumbnail_strip import ThumbnailStrip

TIP = ("Favourites (♥, F), kept for each model across restarts: double-click one to return to it; "
       "Delete (or right-click ▸ Remove) forgets the selected one")


class FavouritesStrip(ThumbnailStrip):
    """Signals: ``chosen(int)`` return to a favourite; ``remove_requested(int)`` forget it."""

    remove_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(TIP, double_click=True, parent=parent)
        self.remove_action = QAction("Remove Favourite", self)
        self.remove_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)   # not the canvas's Delete
        self.remove_action.setToolTip("Forget the selected favourite (Delete)")
        self.remove_action.triggered.connect(self._on_remove_triggered)
        self.addAction(self.remove_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def _on_remove_triggered(self) -> None:
        row = self.currentRow()
        if row >= 0:
            self.remove_requested.emit(row)
