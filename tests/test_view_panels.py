"""The canvas's scroll bars, the Navigator dock, the zoom field and the View and Help menus
(issue 15: no navigator or scroll bars when zoomed, no typed zoom, Help entries, tooltips)."""

import sys
import types

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QDockWidget

from artstudio.core.imageio import save_image
from window_helpers import action_with_shortcut, dialogs, menu_action, window  # noqa: F401


@pytest.fixture
def big(window, tmp_path, photo):
    """The window with a 1536x1152 photo open, fitted to the canvas."""
    image = np.repeat(np.repeat(photo, 12, axis=0), 12, axis=1)
    path = tmp_path / "big.png"
    save_image(path, image)
    assert window.open_path(path, wait=True)
    return window


def centre_point(canvas) -> QPointF:
    """The photo point at the centre of the canvas."""
    return canvas.image_pos(QPointF(canvas.width() / 2, canvas.height() / 2))


def wheel(widget, pos: QPointF, dy: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, dy), Qt.MouseButton.NoButton,
                        modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def drag_move(widget, pos: QPointF) -> None:
    """A mouse move with the left button held (qtbot.mouseMove carries no buttons)."""
    event = QMouseEvent(QEvent.Type.MouseMove, pos, widget.mapToGlobal(pos), Qt.MouseButton.NoButton,
                        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


# -- scroll bars -------------------------------------------------------------------------------

def test_scroll_bars_appear_when_zoomed_in_and_follow_the_view(qtbot, big):
    canvas = big.restore.canvas
    bars = canvas.scrollbars
    assert not bars.h.isVisible() and not bars.v.isVisible()       # the whole photo fits
    action_with_shortcut(big, "Ctrl+1").trigger()
    assert canvas.scale == 1.0
    assert bars.h.isVisible() and bars.v.isVisible()
    assert bars.h.value() == round(-canvas.view.offset.x())
    assert bars.h.maximum() - bars.h.minimum() + bars.h.pageStep() >= 1536 - 2
    before = bars.v.value()
    wheel(canvas, QPointF(100, 100), -120)                       # the wheel alone pans down
    assert bars.v.value() == round(-canvas.view.offset.y()) > before
    action_with_shortcut(big, "Ctrl+0").trigger()
    assert not bars.h.isVisible() and not bars.v.isVisible()


def test_clicking_and_dragging_a_scroll_bar_pans_the_canvas(qtbot, big):
    canvas = big.restore.canvas
    action_with_shortcut(big, "Ctrl+1").trigger()
    bar = canvas.scrollbars.h
    seen = centre_point(canvas)
    # A click in the trough right of the handle moves the view right.
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(bar.width() - 30, bar.height() // 2))
    moved = centre_point(canvas)
    assert moved.x() > seen.x() + 50 and moved.y() == pytest.approx(seen.y())
    assert bar.value() == round(-canvas.view.offset.x())
    # Dragging the handle back to the left end shows the photo's left edge.
    handle = QPoint(round(bar.width() * (bar.value() - bar.minimum()) /
                          (bar.maximum() - bar.minimum() + bar.pageStep())) + 20, bar.height() // 2)
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=handle)
    drag_move(bar, QPointF(handle.x() - 2000, handle.y()))
    qtbot.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(0, handle.y()))
    assert bar.value() == bar.minimum() == 0
    assert canvas.image_pos(QPointF(0, 10)).x() == pytest.approx(0, abs=1)


# -- zoom field ------------------------------------------------------------------------------

def test_the_zoom_field_follows_the_wheel_and_takes_a_typed_zoom(qtbot, big):
    canvas, field = big.restore.canvas, big.panels.zoom
    assert field.isVisible() and field.text() == f"{canvas.scale * 100:.0f}%"
    wheel(canvas, QPointF(200, 150), 120, Qt.KeyboardModifier.ControlModifier)    # Ctrl+wheel zooms
    assert field.text() == f"{canvas.scale * 100:.0f}%"
    seen = centre_point(canvas)
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClicks(field, "150")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert canvas.scale == pytest.approx(1.5)
    assert field.text() == "150%"
    now = centre_point(canvas)                                    # zoomed about the view's centre
    assert (now.x(), now.y()) == (pytest.approx(seen.x(), abs=0.5), pytest.approx(seen.y(), abs=0.5))
    action_with_shortcut(big, "Alt+Z").trigger()                  # View ▸ Zoom To… puts the keys here
    assert field.hasFocus() and field.selectedText() == "150%"
    qtbot.keyClicks(field, "25%")
    qtbot.keyClick(field, Qt.Key.Key_Enter)
    assert canvas.scale == pytest.approx(0.25) and field.text() == "25%"
    assert canvas.hasFocus()                                      # the tools' keys work again


def test_a_zoom_that_is_not_a_number_is_refused_and_said(qtbot, big):
    canvas, field = big.restore.canvas, big.panels.zoom
    scale = canvas.scale
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClicks(field, "huge")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert canvas.scale == scale and field.text() == f"{scale * 100:.0f}%"
    assert "not a zoom" in big.statusBar().currentMessage()


def test_fit_and_actual_pixels_are_in_the_view_menu(qtbot, big):
    canvas = big.restore.canvas
    assert menu_action(big, "View", "Actual Pixels (100%)").shortcut().toString() == "Ctrl+1"
    assert menu_action(big, "View", "Fit to Window").shortcut().toString() == "Ctrl+0"
    menu_action(big, "View", "Actual Pixels (100%)").trigger()
    assert canvas.scale == 1.0 and big.panels.zoom.text() == "100%"
    menu_action(big, "View", "Fit to Window").trigger()
    assert canvas.scale < 1.0 and canvas.display_size()[0] * canvas.scale <= canvas.width()


# -- navigator ----------------------------------------------------------------------------------

def test_the_navigator_shows_the_photo_and_the_part_in_view(qtbot, big):
    nav, canvas = big.panels.navigator, big.restore.canvas
    dock = big.panels.docks["navigator"]
    assert not dock.isVisible()
    action_with_shortcut(big, "F7").trigger()
    assert dock.isVisible() and menu_action(big, "View", "Navigator").isChecked()
    qtbot.waitExposed(nav)
    target = nav.target_rect()
    assert target.width() <= nav.width() and target.height() <= nav.height()
    assert target.width() / target.height() == pytest.approx(1536 / 1152, rel=0.02)
    whole = nav.visible_rect()
    assert whole.width() == pytest.approx(target.width(), abs=1)
    action_with_shortcut(big, "Ctrl+1").trigger()
    frame = nav.visible_rect()
    assert frame.width() < target.width() * 0.8
    shot = nav.grab().toImage()
    inside = shot.pixelColor(round(target.center().x()), round(target.top() + 3))
    photo_pixel = big.restore.document.image[12, 768]
    assert abs(inside.green() - int(photo_pixel[1])) < 40          # the photo, not the background
    edge = shot.pixelColor(round(frame.left()), round(frame.center().y()))
    assert edge.red() > 200 and edge.green() < 120                # the red frame


def test_clicking_and_dragging_in_the_navigator_pans_the_canvas(qtbot, big):
    nav, canvas = big.panels.navigator, big.restore.canvas
    action_with_shortcut(big, "F7").trigger()
    action_with_shortcut(big, "Ctrl+1").trigger()
    qtbot.waitExposed(nav)
    target = nav.target_rect()
    f = target.width() / 1536
    spot = QPointF(target.left() + 1200 * f, target.top() + 900 * f)
    qtbot.mouseClick(nav, Qt.MouseButton.LeftButton, pos=spot.toPoint())
    centre = centre_point(canvas)
    assert centre.x() == pytest.approx(1200, abs=2 / f) and centre.y() == pytest.approx(900, abs=2 / f)
    qtbot.mousePress(nav, Qt.MouseButton.LeftButton, pos=spot.toPoint())
    to = QPointF(target.left() + 760 * f, target.top() + 580 * f)
    drag_move(nav, to)
    qtbot.mouseRelease(nav, Qt.MouseButton.LeftButton, pos=to.toPoint())
    centre = centre_point(canvas)
    assert centre.x() == pytest.approx(760, abs=2 / f) and centre.y() == pytest.approx(580, abs=2 / f)
    frame = nav.visible_rect()                                   # the frame followed (all inside the photo)
    assert frame.width() < target.width() and frame.height() < target.height()
    assert frame.center().x() == pytest.approx(to.x(), abs=2) and frame.center().y() == pytest.approx(to.y(), abs=2)


def test_the_docks_belong_to_the_restore_workspace_and_close_like_windows(qtbot, big):
    panels = big.panels
    action_with_shortcut(big, "F7").trigger()
    action_with_shortcut(big, "F8").trigger()
    assert panels.docks["navigator"].isVisible() and panels.docks["history"].isVisible()
    action_with_shortcut(big, "Alt+2").trigger()                  # Generate: not its docks
    assert not panels.docks["navigator"].isVisible() and not panels.zoom.isVisible()
    action_with_shortcut(big, "Alt+1").trigger()
    assert panels.docks["navigator"].isVisible() and panels.zoom.isVisible()
    dock = panels.docks["navigator"]
    close = next(b for b in dock.findChildren(QAbstractButton) if b.objectName() == "qt_dockwidget_closebutton")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not dock.isVisible() and not panels.toggles["navigator"].isChecked()
    assert isinstance(dock, QDockWidget)


# -- Help menu and tooltips ----------------------------------------------------------------------

def test_help_has_the_shortcut_sheet_on_f1_and_a_getting_started_page(qtbot, window, monkeypatch):
    shortcuts = menu_action(window, "Help", "Keyboard Shortcuts…")
    started = menu_action(window, "Help", "Getting Started…")
    assert shortcuts.shortcut().toString() == "F1"
    shown = []
    sheet = types.ModuleType("artstudio.ui.help_sheet")
    sheet.show_shortcuts = lambda w: shown.append(("shortcuts", w))
    sheet.show_getting_started = lambda w: shown.append(("started", w))
    monkeypatch.setitem(sys.modules, "artstudio.ui.help_sheet", sheet)
    shortcuts.trigger()
    started.trigger()
    assert shown == [("shortcuts", window), ("started", window)]


def test_every_menu_action_and_new_control_says_what_it_does_with_its_shortcut(qtbot, window):
    tools = set(window.restore.tools.actions_by_key.values())
    checked = 0
    for top in window.menuBar().actions():
        for action in _menu_actions(top.menu()):
            if action.isSeparator() or action in tools:
                continue
            assert action.statusTip(), action.text()
            for sequence in action.shortcuts()[:1]:
                assert sequence.toString() in action.toolTip(), action.text()
            checked += 1
    assert checked > 40
    panels, canvas = window.panels, window.restore.canvas
    for control in (panels.zoom, panels.navigator, panels.history, canvas.scrollbars.h, canvas.scrollbars.v):
        assert control.toolTip()
    assert "Alt+Z" in panels.zoom.toolTip() and "F7" in panels.navigator.toolTip()


def _menu_actions(menu):
    for action in menu.actions():
        if action.menu() is not None:
            yield from _menu_actions(action.menu())
        elif isinstance(action, QAction):
            yield action
