"""Help ▸ Keyboard Shortcuts (a searchable sheet read from the window's own actions)
and Help ▸ Getting Started (the first photo, step by step).

The sheet is built from the menus and tool bar each time it opens, so it can
never list a shortcut the window does not have, nor miss one a menu gained.
Gestures on the canvas that are not actions (Space-drag, Ctrl+wheel, modifier
clicks) are listed from :data:`CANVAS_GESTURES`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QLineEdit, QTextBrowser,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout)

CANVAS_GESTURES = (
    ("Canvas", "Pan", "Space + drag, or the wheel"),
    ("Canvas", "Zoom about the pointer", "Ctrl + wheel"),
    ("Canvas", "Set the clone or heal source", "Ctrl + click (or Alt + click)"),
    ("Canvas", "Add to the selection", "Shift while pressing"),
    ("Canvas", "Subtract from the selection", "Alt (or Ctrl) while pressing"),
    ("Canvas", "Intersect with the selection", "Shift + Alt while pressing"),
    ("Canvas", "Finish a polygon lasso", "Return, or double-click"),
    ("Canvas", "Drag the Before | After line", "drag it on the canvas"),
)

GETTING_STARTED = """
<h2>Your first restoration</h2>
<ol>
<li><b>Open a photo</b>: File ▸ Open (<b>Ctrl+O</b>), drop a file on the window, or File ▸ Open
Demo Photo for the bundled scratched astronaut. Nothing you do changes the file until you save.</li>
<li><b>Mark the damage</b>: paint over it with the Brush (<b>B</b>; <b>[</b> and <b>]</b> resize it,
<b>X</b> swaps to the Eraser), let <i>Find damage</i> in the panel mark dust and scratches for you,
or select an object to remove with the Rectangle (<b>M</b>), Lasso or Wand tools.
<b>H</b> shows and hides the mask.</li>
<li><b>Fill it</b>: <b>Ctrl+Return</b> or the Fill button. <i>Auto</i> sends thin scratches to the
trained network and big holes to the content-aware fill; paint a <i>Sample area</i> (<b>G</b>) to say
where texture may come from and <i>Never sample</i> (<b>Shift+G</b>) what must not be copied.</li>
<li><b>Compare</b>: drag the line on the canvas between Before and After, try another variation,
then <b>Apply</b> (<b>Enter</b>) or <b>Revert</b>. Touch up what is left with the Clone (<b>S</b>) and Heal
(<b>J</b>) brushes: Ctrl+click where to copy from, then paint (a stroke on a result being
compared applies it first).</li>
<li><b>Save</b>: <b>Ctrl+S</b> keeps the photo's own format; File ▸ Save As (<b>Ctrl+Shift+S</b>)
picks another. Every step can be undone (<b>Ctrl+Z</b>).</li>
</ol>
<h2>Explore a generator</h2>
<p>The Generate workspace (<b>Alt+2</b>): pick a model, <b>R</b> draws a new seed, the sliders move
along meaningful directions, <b>F</b> keeps a favourite; breed and export with the recipe embedded.</p>
<h2>Train your own</h2>
<p>The Train workspace (<b>Alt+3</b>): choose a folder of your photos and a model type, press Start,
and watch the numbers; the result appears in Generate or in the Restore panel's Network list.</p>
<p>Every key is listed in Help ▸ Keyboard Shortcuts (<b>F1</b>).</p>
"""


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "").strip()


def shortcut_rows(window) -> list[tuple[str, str, str]]:
    """``(where, what, keys)`` for every action with a shortcut (menus first, in menu
    order, then other actions such as the tool bar's), then the canvas gestures."""
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    # Undo and Redo name the step they would undo ("Undo Paint mask"): the sheet names the action.
    fixed = {id(getattr(window, "undo_action", None)): "Undo", id(getattr(window, "redo_action", None)): "Redo"}

    def add(where: str, action: QAction) -> None:
        keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
        what = fixed.get(id(action)) or _plain(action.text())
        if keys and (what, keys) not in seen:
            seen.add((what, keys))
            rows.append((where, what, keys))

    def walk(menu, where: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{where} ▸ {_plain(action.text())}")
            elif not action.isSeparator():
                add(where, action)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _plain(top.text()))
    for action in window.findChildren(QAction):
        add("Tools", action)
    rows.extend(CANVAS_GESTURES)
    return rows


class ShortcutSheet(QDialog):
    """Every shortcut, filtered as the user types (by action, key or menu)."""

    def __init__(self, window):
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(620, 560)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search: an action, a key or a menu (e.g. fill, Ctrl+Z, brush)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type to show only the matching shortcuts")
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Action", "Keys", "Where"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.count = QLabel("")
        self.count.setObjectName("hint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for w in (self.search, self.table, self.count, buttons):
            layout.addWidget(w)
        self.search.textChanged.connect(self._filter)
        self.refresh(window)

    def refresh(self, window) -> None:
        self.table.clear()
        for where, what, keys in shortcut_rows(window):
            QTreeWidgetItem(self.table, [what, keys, where])
        self.table.resizeColumnToContents(1)
        self._filter(self.search.text())

    def visible_rows(self) -> list[tuple[str, str, str]]:
        return [tuple(item.text(c) for c in range(3)) for item in self._items() if not item.isHidden()]

    def _items(self):
        return [self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount())]

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        shown = 0
        for item in self._items():
            haystack = " ".join(item.text(c) for c in range(3)).lower()
            # "ctrl+z" matches "Ctrl+Z"; "ctrl z" matches too (every word must appear).
            match = all(w in haystack or w in haystack.replace(" ", "") for w in words)
            item.setHidden(not match)
            shown += match
        self.count.setText(f"{shown} of {self.table.topLevelItemCount()} shortcuts"
                           if words else f"{shown} shortcuts")


def show_shortcuts(window) -> ShortcutSheet:
    """Open (or raise) the window's shortcut sheet, refreshed, with the search field focused."""
    sheet = getattr(window, "_shortcut_sheet", None)
    if sheet is None:
        sheet = window._shortcut_sheet = ShortcutSheet(window)
    else:
        sheet.refresh(window)
    sheet.show()
    sheet.raise_()
    sheet.activateWindow()
    sheet.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
    sheet.search.selectAll()
    return sheet


def show_getting_started(window) -> QDialog:
    """A short, non-modal page on restoring a first photo (and where the rest lives)."""
    page = getattr(window, "_getting_started", None)
    if page is None:
        page = window._getting_started = QDialog(window)
        page.setWindowTitle("Getting Started")
        page.resize(640, 620)
        text = QTextBrowser()
        text.setObjectName("getting_started")
        text.setHtml(GETTING_STARTED)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(page.close)
        layout = QVBoxLayout(page)
        layout.addWidget(text)
        layout.addWidget(buttons)
    page.show()
    page.raise_()
    return page
