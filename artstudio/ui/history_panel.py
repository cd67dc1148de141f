"""The History panel: the photo's undo steps as a list, Photoshop style.

The first row is the photo as opened, then one row per step; the current
state is selected and the steps after it (what Redo would bring back) are
greyed. Clicking a row goes there through the ordinary undo and redo, patch
by patch, so nothing here holds pixels; an edit made from an earlier row
drops the greyed rows, as Redo would lose them.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

TIP = ("Every step of this photo, oldest first; the selected one is where you are. Click a step to go "
       "back (or forward) to it — Ctrl+Z and Ctrl+Shift+Z move one step. An edit made from an earlier "
       "step drops the greyed steps after it. View ▸ History (F8) hides this.")
FUTURE = QColor(130, 130, 136)


class HistoryPanel(QListWidget):
    """The steps of ``workspace``'s document (a RestoreWorkspace); refreshed on its ``document_changed``."""

    def __init__(self, workspace, parent=None):
        super().__init__(parent)
        self.workspace = workspace
        self.setToolTip(TIP)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self._steps: list = []          # the patches the rows after the first stand for
        self._first = ""
        self._shown: tuple[int, int | None] | None = None    # (current, saved) rows as last styled
        self._updating = self._jumping = False
        self.currentRowChanged.connect(self._on_row_changed)
        workspace.document_changed.connect(self.refresh)

    def sizeHint(self) -> QSize:
        return QSize(240, 260)

    @property
    def current_row(self) -> int:
        """The row of the current state (0: as opened); -1 without a photo."""
        doc = self.workspace.document
        return -1 if doc is None else len(doc.history.steps[0])

    def refresh(self) -> None:
        """Rows for the current history (only the rows that changed are rebuilt)."""
        if self._jumping:
            return
        doc = self.workspace.document
        self._updating = True
        try:
            if doc is None:
                self.clear()
                self._steps, self._first, self._shown = [], "", None
                return
            undo, redo = doc.history.steps
            steps = list(undo) + list(reversed(redo))
            first = "Open" if doc.history.dropped == 0 else f"Open (+{doc.history.dropped} steps no longer kept)"
            keep = _common_prefix(self._steps, steps) if first == self._first else -1
            while self.count() > keep + 1:
                self.takeItem(self.count() - 1)
            if keep < 0:
                self.addItem(QListWidgetItem(first))
                self._shown = None
                keep = 0
            self.addItems([""] * (len(steps) - keep))
            self._steps, self._first = steps, first
            self._style_rows(keep + 1, len(undo), doc.history)
        finally:
            self._updating = False

    def _style_rows(self, new_rows: int, current: int, history) -> None:
        """Label and colour the rows from ``new_rows`` on and those whose state changed."""
        saved = None if history.saved_position is None else history.saved_position - history.dropped
        rows = set(range(new_rows, self.count()))
        if self._shown is None:
            rows = set(range(self.count()))
        else:
            (old_current, old_saved), low = self._shown, min(self._shown[0], current)
            rows.update(range(low, max(old_current, current) + 1))
            rows.update(r for r in (old_saved, saved) if r is not None)
        italic = QFont(self.font())
        italic.setItalic(True)
        for row in rows:
            item = self.item(row)
            if item is None:
                continue
            label = self._first if row == 0 else (self._steps[row - 1].label or "Edit")
            item.setText(f"{label}  — saved" if row == saved and row > 0 else label)
            item.setForeground(FUTURE if row > current else self.palette().text().color())
            item.setFont(italic if row > current else self.font())
        self._shown = (current, saved)
        self.setCurrentRow(current)
        self.scrollToItem(self.item(current))

    def jump_to(self, row: int) -> None:
        """Undo or redo until the state of ``row`` is the current one."""
        doc = self.workspace.document
        if doc is None or not 0 <= row < self.count():
            return
        self._jumping = True
        try:
            for _ in range(abs(row - self.current_row)):
                before = self.current_row
                (self.workspace.undo if row < before else self.workspace.redo)()
                if self.current_row == before:
                    break               # nothing more to undo or redo
        finally:
            self._jumping = False
        self.refresh()

    def _on_row_changed(self, row: int) -> None:
        if not self._updating and row >= 0 and row != self.current_row:
            self.jump_to(row)


def _common_prefix(a: list, b: list) -> int:
    n = 0
    for x, y in zip(a, b):
        if x is not y:
            break
        n += 1
    return n
