import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from artstudio.core.brush import Brush

from window_helpers import at


def drag(qtbot, canvas, points, button=Qt.MouseButton.LeftButton):
    qtbot.mousePress(canvas, button, pos=at(canvas, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(canvas, at(canvas, *p))
    qtbot.mouseRelease(canvas, button, pos=at(canvas, *points[-1]))


def test_mouse_drag_paints_the_mask_where_the_pointer_went(qtbot, canvas):
    with qtbot.waitSignal(canvas.stroke_finished) as done:
        drag(qtbot, canvas, [(10, 50), (60, 50), (110, 50)])
    mask = canvas.document.mask
    assert (mask[50, 12:109] == 255).all()
    assert not mask[:40].any() and not mask[60:].any()
    assert done.args[0] is not None and done.args[0].label == "Paint mask"


def test_undo_after_a_mouse_stroke_restores_the_mask_exactly(qtbot, canvas):
    drag(qtbot, canvas, [(20, 20), (90, 70)])
    painted = canvas.document.mask.copy()
    drag(qtbot, canvas, [(20, 70), (90, 20)])
    canvas.document.undo()
    assert np.array_equal(canvas.document.mask, painted)
    canvas.document.undo()
    assert not canvas.document.mask.any()


def test_eraser_removes_what_the_brush_painted(qtbot, canvas):
    drag(qtbot, canvas, [(10, 30), (110, 30)])
    canvas.set_tool("erase")
    drag(qtbot, canvas, [(50, 30), (70, 30)])
    row = canvas.document.mask[30]
    assert (row[15:45] == 255).all() and (row[52:68] == 0).all() and (row[75:105] == 255).all()


def test_middle_button_pans_without_painting(qtbot, canvas):
    before = canvas.widget_pos(QPointF(0, 0))
    drag(qtbot, canvas, [(30, 30), (60, 50)], button=Qt.MouseButton.MiddleButton)
    after = canvas.widget_pos(QPointF(0, 0))
    assert after.x() > before.x() + 20 and after.y() > before.y() + 20
    assert not canvas.document.mask.any()


def test_space_drag_pans(qtbot, canvas):
    before = canvas.widget_pos(QPointF(0, 0))
    qtbot.keyPress(canvas, Qt.Key.Key_Space)
    drag(qtbot, canvas, [(60, 40), (20, 40)])
    qtbot.keyRelease(canvas, Qt.Key.Key_Space)
    assert canvas.widget_pos(QPointF(0, 0)).x() < before.x() - 20
    assert not canvas.document.mask.any()


def test_zoom_keeps_the_point_under_the_cursor(canvas):
    anchor = at(canvas, 30, 40)
    under = canvas.image_pos(QPointF(anchor))
    canvas.zoom_by(2.0, QPointF(anchor))
    assert canvas.image_pos(QPointF(anchor)).x() == pytest.approx(under.x(), abs=1e-6)
    canvas.actual_size()
    assert canvas.scale == 1.0
    canvas.fit()
    assert canvas.scale == pytest.approx(min(520 / 128, 400 / 96) * 0.97)


def test_dragging_the_split_line_moves_it_and_does_not_paint(qtbot, canvas, photo):
    canvas.set_compare(photo.copy())
    canvas.set_split(0.5)
    split_x = canvas.widget_pos(QPointF(64, 0)).x()
    y = at(canvas, 0, 48).y()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(split_x), y))
    qtbot.mouseMove(canvas, at(canvas, 96, 48))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 96, 48))
    assert canvas.split == pytest.approx(96.5 / 128, abs=0.02)
    assert not canvas.document.mask.any()


def test_comparison_shows_before_left_and_after_right(qtbot, canvas, photo):
    after = np.zeros_like(photo)
    after[..., 2] = 255                                # pure blue result
    canvas.set_compare(after)
    canvas.set_split(0.5)
    shot = canvas.grab().toImage()
    left, right = shot.pixelColor(at(canvas, 20, 48)), shot.pixelColor(at(canvas, 110, 48))
    assert right.blue() > 240 and right.red() < 15
    assert (left.red(), left.green(), left.blue()) != (right.red(), right.green(), right.blue())
    assert abs(left.red() - int(photo[48, 20, 0])) < 12


def test_brush_keys_change_size_and_tool(qtbot, canvas):
    size = canvas.brush.size
    canvas.resize_brush(1.2)
    assert canvas.brush.size == pytest.approx(size * 1.2)
    canvas.swap_tool()
    assert canvas.brush.mode == "erase"
    canvas.swap_tool()
    assert canvas.brush.mode == "paint"


def test_streamed_previews_update_only_their_dirty_rect_yet_match_a_fresh_view(canvas, photo):
    from artstudio.core.display import DisplayPyramid
    from artstudio.core.rect import Rect

    first = photo.copy()
    first[10:20, 10:20] = 0
    canvas.set_compare(first)
    second = first.copy()
    second[60:80, 90:120] = 255
    canvas.set_compare(second, Rect(90, 60, 120, 80))
    fresh = DisplayPyramid(second)
    assert all(np.array_equal(a, b) for a, b in zip(canvas.layers.compare.pyramid.levels, fresh.levels))


def tablet(canvas, kind, x, y, pressure):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QPointingDevice, QTabletEvent
    from PySide6.QtWidgets import QApplication

    pos = canvas.widget_pos(QPointF(x + 0.5, y + 0.5))
    event = QTabletEvent(kind, QPointingDevice.primaryPointingDevice(), pos, canvas.mapToGlobal(pos),
                         pressure, 0.0, 0.0, 0.0, 0.0, 0.0, Qt.KeyboardModifier.NoModifier,
                         Qt.MouseButton.LeftButton,
                         Qt.MouseButton.LeftButton if kind != QEvent.Type.TabletRelease else Qt.MouseButton.NoButton)
    QApplication.sendEvent(canvas, event)


def test_tablet_pressure_scales_the_stroke(canvas):
    from PySide6.QtCore import QEvent

    canvas.set_brush(Brush(size=16, hardness=1.0))
    for y, pressure in ((20, 0.25), (70, 1.0)):
        tablet(canvas, QEvent.Type.TabletPress, 20, y, pressure)
        tablet(canvas, QEvent.Type.TabletMove, 100, y, pressure)
        tablet(canvas, QEvent.Type.TabletRelease, 100, y, pressure)
    mask = canvas.document.mask
    light = np.count_nonzero(mask[:45] > 127, axis=0)[60]
    heavy = np.count_nonzero(mask[45:] > 127, axis=0)[60]
    assert light == pytest.approx(4, abs=1) and heavy == pytest.approx(16, abs=1)


def test_bracket_keys_stop_at_the_size_sliders_maximum(qtbot, workspace):
    canvas, slider = workspace.canvas, workspace.panel.size_slider
    for _ in range(30):
        canvas.resize_brush(1.2)
    assert canvas.brush.size == slider.maximum() == 500
    assert slider.value() == 500
    canvas.resize_brush(1 / 1.2)
    assert abs(canvas.brush.size - 500 / 1.2) < 1e-6         # one step back down, not from 2000
