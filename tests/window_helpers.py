"""Fixtures and helpers for tests that drive the whole window (import them into a test module)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from artstudio.ui import app as app_module


@pytest.fixture
def dialogs(monkeypatch):
    """Answer message boxes without showing them and remember what they said."""
    said = {"warning": [], "question": [], "answer": QMessageBox.StandardButton.Yes}
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: said["warning"].append(text))

    def question(parent, title, text, *a):
        said["question"].append(text)
        return said["answer"]
    monkeypatch.setattr(QMessageBox, "question", question)
    return said


@pytest.fixture
def window(qtbot, dialogs):
    w = app_module.create_window()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w._close_confirmed = True
    w.close()
    assert not w.runner.isRunning()


def action_with_shortcut(window, sequence: str) -> QAction:
    for action in window.findChildren(QAction):
        if any(s.toString() == sequence for s in action.shortcuts()):
            return action
    raise AssertionError(f"no action has the shortcut {sequence}")


def menu_action(window, menu_title: str, text: str) -> QAction:
    """The action ``text`` (mnemonics ignored) of the menu bar's ``menu_title`` menu."""
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu_title:
            for action in top.menu().actions():
                if action.text().replace("&", "") == text:
                    return action
    raise AssertionError(f"no {menu_title} ▸ {text}")


def at(canvas, x, y):
    """The widget point of image pixel (x, y)'s centre on ``canvas``."""
    from PySide6.QtCore import QPointF

    return canvas.widget_pos(QPointF(x + 0.5, y + 0.5)).toPoint()


def repaint_requests(monkeypatch, canvas) -> list:
    """The widget rectangles (QRect) asked of ``canvas.update`` from now on; they are still repainted."""
    from PySide6.QtCore import QRect

    asked, original = [], canvas.update

    def update(*args):
        if args and isinstance(args[0], QRect):
            asked.append(QRect(args[0]))
        original(*args)

    monkeypatch.setattr(canvas, "update", update)
    return asked
