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


def _wheel(widget, notches=-1):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_panel_control_scrolls_the_panel_instead_of_changing_it(qtbot, workspace):
    from PySide6.QtWidgets import QComboBox, QScrollArea

    workspace.resize(1200, 500)                       # the panel needs scrolling
    qtbot.wait(20)
    area = next(w for w in workspace.findChildren(QScrollArea) if w.widget() is workspace.panel)
    bar = area.verticalScrollBar()
    assert bar.maximum() > 0
    combos = [c for c in workspace.panel.findChildren(QComboBox) if c.count() > 1 and c.isVisible()]
    assert combos
    for combo in combos:
        before, start = combo.currentIndex(), bar.value()
        _wheel(combo, -1)
        assert combo.currentIndex() == before, combo.currentText()
        assert bar.value() > start or bar.value() == bar.maximum()
    slider = workspace.panel.size_slider
    value = slider.value()
    _wheel(slider, -1)
    assert slider.value() == value
    combo = combos[0]
    combo.setFocus()                                  # a focused control does take the wheel
    qtbot.waitUntil(combo.hasFocus, timeout=3000)
    before = combo.currentIndex()
    _wheel(combo, -1 if before + 1 < combo.count() else 1)
    assert combo.currentIndex() != before
