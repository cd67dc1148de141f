"""The keyboard stays on the canvas while the side panel and the tool options are used: a click
on Find dust & scratches left the focus in the Variations box, which then swallowed Ctrl+Z and
the tool keys."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication

from artstudio.core.document import Document


def _focused_canvas(qtbot, ws, photo):
    ws.set_document(Document(photo.copy()))
    ws.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is ws, timeout=3000)
    ws.canvas.setFocus()
    qtbot.waitUntil(ws.canvas.hasFocus, timeout=3000)
    return ws.canvas


def test_finding_dust_leaves_the_keyboard_on_the_canvas(qtbot, workspace, photo):
    canvas = _focused_canvas(qtbot, workspace, photo)
    with qtbot.waitSignal(workspace.runner.job_finished, timeout=60000):
        qtbot.mouseClick(workspace.finder.panel.find_button, Qt.MouseButton.LeftButton)
    assert canvas.hasFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_E)
    assert workspace.tools.current == "eraser"


def test_enter_in_a_tool_option_field_hands_the_keyboard_back(qtbot, workspace, photo):
    canvas = _focused_canvas(qtbot, workspace, photo)
    workspace.tools.choose("wand")
    boxes = workspace.tools.options.currentWidget().findChildren(QAbstractSpinBox)
    assert boxes, "the magic wand has a tolerance field"
    box = boxes[0]
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=3000)
    qtbot.keyClicks(box, "5")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert canvas.hasFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_B)
    assert workspace.tools.current == "brush"


def test_panel_buttons_take_the_focus_from_tab_only(qtbot, workspace):
    for button in (workspace.panel.fill_button, workspace.finder.panel.find_button,
                   workspace.variations.panel.more):
        assert button.focusPolicy() == Qt.FocusPolicy.TabFocus
    assert np.all([b.focusPolicy() == Qt.FocusPolicy.TabFocus
                   for b in workspace.stylizer.panel.findChildren(type(workspace.panel.fill_button))])
