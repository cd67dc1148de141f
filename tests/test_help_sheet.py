"""Help ▸ Keyboard Shortcuts and Help ▸ Getting Started (issue 15: "Help has only About")."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt

from artstudio.ui.help_sheet import GETTING_STARTED, shortcut_rows, show_getting_started, show_shortcuts

from window_helpers import dialogs, window  # noqa: F401


def test_the_sheet_lists_menu_and_tool_shortcuts_once_each(window):
    rows = shortcut_rows(window)
    keys = {what: keys for _, what, keys in rows}
    assert keys["Undo"] == "Ctrl+Z" and keys["Fill"] == "Ctrl+Return" and keys["Brush"] == "B"
    assert keys["Clone"] == "S" and keys["Heal"] == "J" and "Ctrl+Shift+Z" in keys["Redo"]
    assert ("Edit", "Undo", "Ctrl+Z") in rows                    # where it lives in the menus
    assert len({(what, k) for _, what, k in rows}) == len(rows)  # the Tools menu and the tool bar: once
    assert any(where == "Canvas" and "Space" in k for where, _, k in rows)


def test_undo_is_listed_as_undo_whatever_step_it_would_undo(window):
    window.undo_action.setText("&Undo Paint mask")
    assert ("Edit", "Undo", "Ctrl+Z") in shortcut_rows(window)


def test_typing_in_the_search_field_narrows_the_sheet(qtbot, window):
    sheet = show_shortcuts(window)
    total = len(sheet.visible_rows())
    qtbot.keyClicks(sheet.search, "brush")
    shown = sheet.visible_rows()
    assert 0 < len(shown) < total
    assert all("brush" in " ".join(row).lower() for row in shown)
    sheet.search.clear()
    qtbot.keyClicks(sheet.search, "ctrl+z")
    assert [what for what, _, _ in sheet.visible_rows()] == ["Undo"]
    assert "1 of" in sheet.count.text()
    sheet.search.clear()
    assert len(sheet.visible_rows()) == total


def test_f1_opens_the_sheet(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F1)
    sheet = window._shortcut_sheet
    qtbot.waitUntil(sheet.isVisible)
    assert sheet.table.topLevelItemCount() > 30


def test_getting_started_names_only_keys_the_window_has(window):
    named = set(re.findall(r"<b>([^<]+)</b>", GETTING_STARTED))
    named = {k for k in named if re.fullmatch(r"((Ctrl|Shift|Alt)\+)+\w+|F\d{1,2}|[A-Z]|\[|\]", k)}
    have = {k.strip() for _, _, keys in shortcut_rows(window) for k in keys.split(",")}
    assert named and named <= have, sorted(named - have)
    page = show_getting_started(window)
    assert page.isVisible() and "Your first restoration" in page.findChild(object, "getting_started").toPlainText()
