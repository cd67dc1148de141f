import numpy as np

from artstudio.core.brush import Brush, PointerEvent, dab, paint_segment


def test_click_paints_a_disc_of_the_brush_size():
    mask = np.zeros((100, 100), np.uint8)
    rect = dab(mask, PointerEvent(50, 50), Brush(size=20, hardness=1.0))
    assert mask[50, 50] == 255
    assert mask[50, 58] == 255 and mask[50, 41] == 255      # inside radius 10
    assert mask[50, 62] == 0 and mask[62, 50] == 0           # outside
    area = np.count_nonzero(mask > 127)
    assert abs(area - np.pi * 10 ** 2) < 20
    assert rect.x0 <= 40 and rect.x1 >= 60


def test_fast_drag_leaves_no_gaps():
    mask = np.zeros((60, 400), np.uint8)
    # Two events 350 px apart, as a fast mouse drag produces.
    paint_segment(mask, PointerEvent(20, 30), PointerEvent(370, 30), Brush(size=8, hardness=1.0))
    assert (mask[30, 20:371] == 255).all()
    assert not mask[:20].any() and not mask[41:].any()


def test_eraser_removes_paint():
    mask = np.full((50, 50), 255, np.uint8)
    paint_segment(mask, PointerEvent(10, 25), PointerEvent(40, 25), Brush(size=6, hardness=1.0, mode="erase"))
    assert (mask[25, 10:41] == 0).all()
    assert (mask[5] == 255).all()


def test_soft_brush_fades_towards_the_rim():
    mask = np.zeros((100, 100), np.uint8)
    dab(mask, PointerEvent(50, 50), Brush(size=40, hardness=0.0))
    profile = mask[50, 50:71].astype(int)
    assert profile[0] > 240
    assert np.all(np.diff(profile) <= 0)
    assert 0 < profile[10] < 255


def test_pressure_scales_the_size():
    light, heavy = np.zeros((100, 100), np.uint8), np.zeros((100, 100), np.uint8)
    brush = Brush(size=40, hardness=1.0)
    dab(light, PointerEvent(50, 50, pressure=0.25), brush)
    dab(heavy, PointerEvent(50, 50, pressure=1.0), brush)
    assert np.count_nonzero(heavy) > 10 * np.count_nonzero(light) > 0


def test_strokes_outside_the_image_change_nothing():
    mask = np.zeros((30, 30), np.uint8)
    assert paint_segment(mask, PointerEvent(-100, -100), PointerEvent(-60, -90), Brush(size=10)) is None
    assert not mask.any()
