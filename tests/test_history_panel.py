"""The History dock (issue 15): the photo's steps as rows, click one to go back to it;
and B9: undoing back to the saved state is not a modification."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from artstudio.core.imageio import save_image
from artstudio.ui.history_panel import FUTURE
from window_helpers import action_with_shortcut, dialogs, menu_action, window  # noqa: F401


@pytest.fixture
def opened(window, tmp_path, photo):
    """The window with a 256x192 photo from a file, the Telea fill chosen (fast, no weights)."""
    path = tmp_path / "photo.png"
    save_image(path, np.repeat(np.repeat(photo, 2, axis=0), 2, axis=1))
    assert window.open_path(path, wait=True)
    window.restore.panel.set_method("telea")
    window.activateWindow()
    return window


def stroke(qtbot, canvas, a, b):
    """Drag the brush from photo point ``a`` to ``b``."""
    pa, pb = (canvas.widget_pos(QPointF(*p)).toPoint() for p in (a, b))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=pa)
    qtbot.mouseMove(canvas, pb)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=pb)


def fill_and_apply(qtbot, window):
    with qtbot.waitSignal(window.runner.job_finished, timeout=20000):
        action_with_shortcut(window, "Ctrl+Return").trigger()
    menu_action(window, "Edit", "Apply Fill").trigger()


def click_row(qtbot, panel, row):
    rect = panel.visualItemRect(panel.item(row))
    qtbot.mouseClick(panel.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def rows(panel):
    return [panel.item(i).text() for i in range(panel.count())]


def test_the_history_lists_each_step_and_a_click_goes_back_to_it(qtbot, opened):
    ws, panel = opened.restore, opened.panels.history
    action_with_shortcut(opened, "F8").trigger()
    assert opened.panels.docks["history"].isVisible()
    assert rows(panel) == ["Open"] and panel.currentRow() == 0
    doc = ws.document
    stroke(qtbot, ws.canvas, (20, 20), (200, 150))
    painted = doc.mask.copy()
    fill_and_apply(qtbot, opened)
    filled = doc.image.copy()
    action_with_shortcut(opened, "Ctrl+Shift+A").trigger()             # Clear Mask
    fill_label = doc.history.steps[0][1].label
    assert fill_label.startswith("Fill")
    assert rows(panel) == ["Open", "Paint mask", fill_label, "Clear mask"]
    assert panel.currentRow() == 3
    steps = doc.history.steps[0]

    click_row(qtbot, panel, 1)                       # back to just after the stroke
    assert np.array_equal(doc.mask, painted) and np.array_equal(doc.image, opened.restore.document.image)
    assert not np.array_equal(doc.image, filled)
    assert panel.currentRow() == 1
    assert [panel.item(r).foreground().color() == FUTURE for r in range(4)] == [False, False, True, True]
    assert opened.redo_action.isEnabled() and fill_label in opened.redo_action.text()

    click_row(qtbot, panel, 3)                       # and forward again: the same patches, redone
    assert np.array_equal(doc.image, filled) and not doc.mask.any()
    assert doc.history.steps[0] == steps and all(a is b for a, b in zip(doc.history.steps[0], steps))

    click_row(qtbot, panel, 0)
    assert not doc.mask.any() and not opened.undo_action.isEnabled()
    click_row(qtbot, panel, 1)
    stroke(qtbot, ws.canvas, (30, 150), (220, 30))  # a new edit drops the greyed rows
    assert rows(panel) == ["Open", "Paint mask", "Paint mask"] and panel.currentRow() == 2
    assert not opened.redo_action.isEnabled()


def test_ctrl_z_after_a_click_in_the_history_moves_its_selection(qtbot, opened):
    ws, panel = opened.restore, opened.panels.history
    action_with_shortcut(opened, "F8").trigger()
    for y in (20, 60, 100):
        stroke(qtbot, ws.canvas, (20, y), (200, y))
    click_row(qtbot, panel, 2)
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.currentRow() == 1 and ws.document.mask[60, 100] == 0 and ws.document.mask[20, 100] == 255


def test_a_new_photo_gets_its_own_history(qtbot, opened, tmp_path, photo):
    panel = opened.panels.history
    stroke(qtbot, opened.restore.canvas, (20, 20), (200, 20))
    assert rows(panel) == ["Open", "Paint mask"]
    other = tmp_path / "other.png"
    save_image(other, photo)
    assert opened.open_path(other, wait=True)
    assert rows(panel) == ["Open"]


# -- issue 15 B9 ---------------------------------------------------------------------------------

def test_ctrl_z_back_to_the_opened_state_clears_the_modified_mark(qtbot, opened, dialogs):
    ws = opened.restore
    stroke(qtbot, ws.canvas, (20, 20), (200, 150))
    assert not opened.windowTitle().startswith("photo.png *")     # the mask alone is autosaved
    fill_and_apply(qtbot, opened)
    assert opened.windowTitle().startswith("photo.png *")
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert opened.windowTitle().startswith("photo.png — ")
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert opened.windowTitle().startswith("photo.png *")
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    dialogs["question"].clear()
    assert opened.close()                             # nothing to lose: no discard question
    assert dialogs["question"] == []


def test_undo_and_redo_back_to_the_saved_state_and_a_branch_after_it(qtbot, opened, dialogs):
    ws = opened.restore
    stroke(qtbot, ws.canvas, (20, 20), (200, 150))
    fill_and_apply(qtbot, opened)
    action_with_shortcut(opened, "Ctrl+S").trigger()
    assert opened.windowTitle().startswith("photo.png — ")
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert opened.windowTitle().startswith("photo.png *")
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert opened.windowTitle().startswith("photo.png — ")
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    fill_and_apply(qtbot, opened)                     # a branch: the saved state is gone
    qtbot.keyClick(ws.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert opened.windowTitle().startswith("photo.png *")
    dialogs["answer"] = dialogs["answer"].Cancel
    assert not opened.close()
    assert "unsaved changes" in dialogs["question"][-1]
