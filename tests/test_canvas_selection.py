"""The selection tools on the tool bar and through the real canvas: keys pick
them, the options write into them, mouse gestures with modifiers give the
mask a user expects, Enter closes a polygon and Esc drops it."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence

from artstudio.core.selection_colour import ColourRangeTool, MagicWandTool
from artstudio.core.selection_object import ObjectSelectTool
from artstudio.core.selection_shapes import LassoTool, PolygonLassoTool, ShapeSelectTool
from artstudio.ui.selection_options import SelectionOptions
from artstudio.ui.tool_bar import ToolBar

SHIFT, ALT = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.AltModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def bar(qtbot, canvas):
    b = ToolBar(canvas)
    qtbot.addWidget(b)
    b.options.show()
    return b


def at(canvas, x, y) -> QPoint:
    """The widget point over image point (x, y) (a pixel corner at this zoom, give or take)."""
    return canvas.widget_pos(QPointF(x, y)).toPoint()


def mouse_drag(qtbot, canvas, points, modifiers=Qt.KeyboardModifier.NoModifier):
    """A drag with ``modifiers`` held at the press (which picks the mode; qtbot's moves carry none)."""
    qtbot.mousePress(canvas, LEFT, modifiers, at(canvas, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(canvas, at(canvas, *p))
    qtbot.mouseRelease(canvas, LEFT, pos=at(canvas, *points[-1]))


def near_box(mask, x0, y0, x1, y1) -> bool:
    """The mask is the box give or take a pixel at its edges (widget points round to the pixel grid)."""
    inner = mask[y0 + 1:y1 - 1, x0 + 1:x1 - 1]
    outer = np.ones_like(mask, bool)
    outer[max(y0 - 1, 0):y1 + 1, max(x0 - 1, 0):x1 + 1] = False
    return bool((inner == 255).all() and not mask[outer].any())


EXPECTED = {"M": ("rect_select", ShapeSelectTool), "Shift+M": ("ellipse_select", ShapeSelectTool),
            "L": ("lasso", LassoTool), "Shift+L": ("polygon", PolygonLassoTool), "W": ("wand", MagicWandTool),
            "Shift+W": ("colour_range", ColourRangeTool), "Q": ("object_select", ObjectSelectTool)}


def test_each_selection_key_picks_its_tool_checked_with_its_options_and_name_shown(bar, canvas):
    by_key = {a.shortcut().toString(): (k, a) for k, a in bar.actions_by_key.items()}
    for shortcut, (key, kind) in EXPECTED.items():
        tool_key, action = by_key[QKeySequence(shortcut).toString()]
        assert tool_key == key
        action.trigger()
        assert isinstance(canvas.tool, kind) and canvas.tool.key == key and bar.current == key
        assert action.isChecked()
        assert isinstance(bar.options.currentWidget(), SelectionOptions)
        assert shortcut in bar.options.name_label.text()
        assert bar.options.hint_label.text() == canvas.tool.hint != ""
    assert canvas.tool.key == "object_select"
    assert len(set(by_key)) == len(bar.actions_by_key)               # no shortcut given twice


def test_the_options_write_into_the_tool(bar, canvas):
    wand = bar.choose("wand")
    page = bar.options.currentWidget()
    page.mode_combo.setCurrentIndex(page.mode_combo.findData("subtract"))
    page.feather_spin.setValue(3.5)
    page.tolerance_spin.setValue(40)
    page.contiguous_box.setChecked(False)
    assert (wand.mode, wand.feather, wand.tolerance, wand.contiguous) == ("subtract", 3.5, 40.0, False)
    colour = bar.choose("colour_range")
    page = bar.options.currentWidget()
    assert page.tolerance_spin is None and page.fuzziness_slider is not None
    page.fuzziness_slider.setValue(120)
    assert colour.fuzziness == pytest.approx(120)
    assert bar.choose("wand") is wand and wand.tolerance == 40.0          # kept while the window lives


def test_a_rectangle_then_a_shift_rectangle_add_up_one_undo_step_each(qtbot, bar, canvas):
    bar.choose("rect_select")
    doc = canvas.document
    with qtbot.waitSignal(canvas.stroke_finished) as done:
        mouse_drag(qtbot, canvas, [(10, 10), (30, 25), (50, 40)])
    assert done.args[0].label == "Rectangle select"
    assert near_box(doc.mask, 10, 10, 50, 40)
    mouse_drag(qtbot, canvas, [(40, 30), (60, 50), (90, 70)], SHIFT)
    both = doc.mask.copy()
    assert both[20, 20] == 255 and both[60, 80] == 255 and both[60, 20] == 0
    assert len(doc.history.steps[0]) == 2
    mouse_drag(qtbot, canvas, [(20, 15), (70, 60)], ALT)               # Alt subtracts
    assert doc.mask[30, 40] == 0 and doc.mask[12, 12] == 255
    doc.undo()
    assert np.array_equal(doc.mask, both)


def test_a_lasso_drawn_with_the_mouse_selects_its_inside(qtbot, bar, canvas):
    bar.choose("lasso")
    t = np.linspace(0, 2 * np.pi, 40)
    mouse_drag(qtbot, canvas, [(64 + 30 * np.cos(a), 48 + 25 * np.sin(a)) for a in t])
    mask = canvas.document.mask
    assert mask[48, 64] == 255 and mask[48, 20] == 0 and mask[5, 5] == 0
    assert abs(mask.sum() / 255 - np.pi * 30 * 25) < 0.06 * np.pi * 30 * 25


def test_enter_closes_a_polygon_and_escape_drops_one(qtbot, bar, canvas):
    bar.choose("polygon")
    for x, y in ((20, 20), (100, 20), (100, 80)):
        qtbot.mouseClick(canvas, LEFT, pos=at(canvas, x, y))
    with qtbot.waitSignal(canvas.stroke_finished):
        qtbot.keyClick(canvas, Qt.Key.Key_Return)
    mask = canvas.document.mask
    assert mask[30, 90] == 255 and mask[70, 30] == 0 and not canvas.tool.busy
    first = mask.copy()
    for x, y in ((10, 60), (40, 60)):
        qtbot.mouseClick(canvas, LEFT, pos=at(canvas, x, y))
    assert canvas.escape() and not canvas.tool.busy
    assert np.array_equal(canvas.document.mask, first)


def test_a_double_click_closes_a_polygon(qtbot, bar, canvas):
    bar.choose("polygon")
    for x, y in ((20, 20), (100, 20)):
        qtbot.mouseClick(canvas, LEFT, pos=at(canvas, x, y))
    qtbot.mouseClick(canvas, LEFT, pos=at(canvas, 60, 80))
    with qtbot.waitSignal(canvas.stroke_finished):
        qtbot.mouseDClick(canvas, LEFT, pos=at(canvas, 60, 80))
    assert canvas.document.mask[30, 60] == 255 and canvas.document.mask[70, 25] == 0


def test_enter_on_a_two_corner_polygon_says_why_in_one_line_and_changes_nothing(qtbot, bar, canvas):
    bar.choose("polygon")
    for x, y in ((20, 20), (100, 20)):
        qtbot.mouseClick(canvas, LEFT, pos=at(canvas, x, y))
    with qtbot.waitSignal(canvas.tool_message) as said:
        qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert "\n" not in said.args[0] and "at least 3 corners" in said.args[0]
    assert not canvas.document.mask.any() and not canvas.document.history.can_undo


def test_a_wand_click_outside_the_photo_is_one_status_line(qtbot, bar, canvas):
    bar.choose("wand")
    canvas.zoom_by(0.5)
    outside = canvas.widget_pos(QPointF(-10, 40)).toPoint()
    with qtbot.waitSignal(canvas.tool_message) as said:
        qtbot.mouseClick(canvas, LEFT, pos=outside)
    assert "inside the photo" in said.args[0] and "\n" not in said.args[0]
    assert not canvas.document.mask.any()


def test_each_selection_tool_has_its_own_cursor(bar, canvas):
    shapes = set()
    for key in ("rect_select", "lasso", "wand", "object_select"):
        bar.choose(key)
        assert canvas.cursor().shape() == Qt.CursorShape.BitmapCursor
        shapes.add(canvas.cursor().pixmap().toImage().bits().tobytes())
    assert len(shapes) == 4
    bar.choose("brush")
    assert canvas.cursor().shape() == Qt.CursorShape.CrossCursor      # its outline circle is drawn


def test_x_on_a_sampling_area_tool_says_it_now_erases(bar, canvas):
    """X flipped Sample area to erasing with nothing on screen to say so."""
    bar.choose("sample_from")
    assert bar.options.hint_label.text().startswith("Painting")
    canvas.swap_tool()                                   # what X does
    assert bar.options.hint_label.text().startswith("Erasing")
    assert "Sample area" in bar.options.name_label.text() and bar.current == "sample_from"
    canvas.swap_tool()
    assert bar.options.hint_label.text().startswith("Painting")
