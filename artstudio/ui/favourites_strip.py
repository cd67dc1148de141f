"""The Generate workspace's favourites: double-click to return to one, Delete to remove it,
right-click ▸ Tag… to name it for the Describe field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence

from .thumbnail_strip import ThumbnailStrip

TIP = ("Favourites (♥, F), kept for each model across restarts: double-click one to return to it; "
       "Delete (or right-click ▸ Remove) forgets the selected one; right-click ▸ Tag… names it "
       "so that the Describe field recalls it")


class FavouritesStrip(ThumbnailStrip):
    """Signals: ``chosen(int)`` return to a favourite; ``remove_requested(int)`` forget it;
    ``tag_requested(int)`` the user wants to tag it."""

    remove_requested = Signal(int)
    tag_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(TIP, double_click=True, parent=parent)
        self.remove_action = QAction("Remove Favourite", self)
        self.remove_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)   # not the canvas's Delete
        self.remove_action.setToolTip("Forget the selected favourite (Delete)")
        self.remove_action.triggered.connect(self._on_remove_triggered)
        self.addAction(self.remove_action)
        self.tag_action = QAction("Tag…", self)
        self.tag_action.setToolTip("Words that recall the selected favourite from the Describe field")
        self.tag_action.triggered.connect(self._on_tag_triggered)
        self.addAction(self.tag_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def _on_remove_triggered(self) -> None:
        row = self.currentRow()
        if row >= 0:
            self.remove_requested.emit(row)

    def _on_tag_triggered(self) -> None:
        if self.currentRow() >= 0:
            self.tag_requested.emit(self.currentRow())
