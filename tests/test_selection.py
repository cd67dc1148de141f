"""Selection tools driven by fake pointer events: the mask a user would get.

Every operation is one undo step, refuses an impossible action with one
line and nothing changed, and leaves mask pixels outside what it touched
bit-identical.
"""

import cv2
import numpy as np
import pytest

from artstudio.core.brush import PointerEvent as P
from artstudio.core.document import Document
from artstudio.core.rect import Rect
from artstudio.core.selection import ADD, INTERSECT, SUBTRACT, mode_for, occupied_tiles
from artstudio.core.selection_colour import ColourRangeTool, LabCache, MagicWandTool, to_lab
from artstudio.core.selection_object import ObjectSelectTool
from artstudio.core.selection_raster import polygon_region
from artstudio.core.selection_shapes import LassoTool, PolygonLassoTool, ShapeSelectTool, ellipse_region
from artstudio.core.tools import ToolError


def grey_doc(w=120, h=100, value=128) -> Document:
    return Document(np.full((h, w, 3), value, np.uint8))


def drag(doc, tool, points, **mods):
    """Press at the first point (with ``mods``), drag through the rest, release; returns the patch."""
    tool.press(doc, P(*points[0], **mods))
    for p in points[1:]:
        tool.drag(doc, P(*p, **mods))
    return tool.release(doc, P(*points[-1], **mods))


def rect_select(doc, box, tool=None, **mods):
    x0, y0, x1, y1 = box
    return drag(doc, tool or ShapeSelectTool(), [(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)], **mods)


def steps(doc) -> int:
    return len(doc.history.steps[0])


def selected(mask) -> set:
    return set(map(tuple, np.argwhere(mask == 255)))


def box_pixels(x0, y0, x1, y1) -> set:
    return {(y, x) for y in range(y0, y1) for x in range(x0, x1)}


# -- rectangle and ellipse ---------------------------------------------------------

def test_a_rectangle_drag_selects_exactly_the_pixels_between_the_corners():
    doc = grey_doc()
    patch = rect_select(doc, (10, 20, 40, 35))
    assert selected(doc.mask) == box_pixels(10, 20, 40, 35)
    assert set(np.unique(doc.mask)) == {0, 255}
    assert patch.label == "Rectangle select" and steps(doc) == 1


def test_shift_pressed_during_the_drag_makes_a_square_but_shift_at_the_press_adds():
    doc = grey_doc()
    tool = ShapeSelectTool()
    tool.press(doc, P(10, 10))
    tool.drag(doc, P(40, 25, shift=True))
    tool.release(doc, P(40, 25, shift=True))
    assert selected(doc.mask) == box_pixels(10, 10, 40, 40)           # 30 x 30, not 30 x 15

    rect_select(doc, (60, 10, 100, 20), shift=True)                    # held at the press: add, no square
    assert selected(doc.mask) == box_pixels(10, 10, 40, 40) | box_pixels(60, 10, 100, 20)


def test_modifiers_at_the_press_add_subtract_and_intersect_and_none_replaces():
    a, b = box_pixels(10, 10, 50, 50), box_pixels(30, 30, 80, 70)
    cases = [({}, b), ({"shift": True}, a | b), ({"alt": True}, a - b), ({"ctrl": True}, a - b),
             ({"shift": True, "alt": True}, a & b), ({"shift": True, "ctrl": True}, a & b)]
    for mods, expected in cases:
        doc = grey_doc()
        rect_select(doc, (10, 10, 50, 50))
        rect_select(doc, (30, 30, 80, 70), **mods)
        assert selected(doc.mask) == expected, mods
        assert steps(doc) == 2
        doc.undo()
        assert selected(doc.mask) == a, mods                           # one undo step back to the first


def test_the_options_mode_applies_when_no_modifier_is_held():
    doc = grey_doc()
    rect_select(doc, (10, 10, 50, 50))
    rect_select(doc, (30, 30, 80, 70), tool=ShapeSelectTool(mode=ADD))
    assert selected(doc.mask) == box_pixels(10, 10, 50, 50) | box_pixels(30, 30, 80, 70)
    assert mode_for(P(0, 0), SUBTRACT) == SUBTRACT and mode_for(P(0, 0, shift=True, alt=True)) == INTERSECT


def test_feather_gives_a_soft_edge_ramping_across_the_border():
    doc = grey_doc(160, 120)
    rect_select(doc, (40, 30, 120, 90), tool=ShapeSelectTool(feather=4.0))
    row = doc.mask[60].astype(int)
    assert row[80] == 255 and row[0] == 0
    assert 100 <= row[40] <= 155                                       # half-way at the old edge
    ramp = row[20:60]
    assert (np.diff(ramp) >= 0).all() and 0 < row[36] < row[40] < row[44] < 255
    assert row[26] == 0                                                # 3.5 sigma out: nothing


def test_an_ellipse_covers_its_area_and_a_click_alone_says_drag():
    doc = grey_doc(200, 160)
    tool = ShapeSelectTool(ellipse=True)
    rect_select(doc, (20, 20, 180, 140), tool=tool)
    assert abs(doc.mask.sum() / 255 - np.pi * 80 * 60) < 0.002 * np.pi * 80 * 60
    assert doc.mask[80, 100] == 255 and doc.mask[22, 22] == 0
    before = doc.mask.copy()
    tool.press(doc, P(50, 50))
    with pytest.raises(ToolError) as said:
        tool.release(doc, P(50, 50))
    assert "\n" not in str(said.value) and "Drag" in str(said.value)
    assert np.array_equal(doc.mask, before) and steps(doc) == 1


def test_a_rectangle_dragged_off_the_photo_is_clipped_and_one_wholly_outside_is_refused():
    doc = grey_doc()
    rect_select(doc, (100, 80, 300, 300))
    assert selected(doc.mask) == box_pixels(100, 80, 120, 100)
    with pytest.raises(ToolError) as said:
        rect_select(doc, (-50, -50, -10, -10))
    assert "outside the photo" in str(said.value)
    assert steps(doc) == 1


# -- lasso and polygon ---------------------------------------------------------------

def test_a_lasso_selects_the_inside_of_the_path_it_was_dragged_along():
    doc = grey_doc(200, 160)
    t = np.linspace(0, 2 * np.pi, 200)
    path = [(100 + 60 * np.cos(a), 80 + 50 * np.sin(a)) for a in t]
    patch = drag(doc, LassoTool(), path)
    assert abs(doc.mask.sum() / 255 - np.pi * 60 * 50) < 0.01 * np.pi * 60 * 50
    assert doc.mask[80, 100] == 255 and doc.mask[80, 35] == 0 and doc.mask[5, 5] == 0
    assert patch.label == "Lasso select" and steps(doc) == 1


def test_a_lasso_that_encloses_nothing_is_refused_in_one_line():
    doc = grey_doc()
    with pytest.raises(ToolError) as said:
        drag(doc, LassoTool(), [(10, 10), (50, 10)])
    assert "\n" not in str(said.value) and "encloses nothing" in str(said.value)
    assert not doc.mask.any() and steps(doc) == 0


def _polygon_clicks(doc, tool, points):
    for x, y in points:
        tool.press(doc, P(x, y))
        tool.release(doc, P(x, y))


def test_a_polygon_closes_with_a_double_click():
    doc = grey_doc()
    tool = PolygonLassoTool()
    _polygon_clicks(doc, tool, [(10, 10), (90, 10), (90, 70)])
    tool.press(doc, P(10, 70))
    tool.release(doc, P(10, 70))
    assert tool.busy and not doc.mask.any()
    tool.press(doc, P(10, 70, double=True))
    patch = tool.release(doc, P(10, 70))
    assert selected(doc.mask) == box_pixels(10, 10, 90, 70)
    assert patch.label == "Polygon select" and steps(doc) == 1 and not tool.busy


def test_a_polygon_closes_with_finish_as_enter_does():
    doc = grey_doc()
    tool = PolygonLassoTool()
    _polygon_clicks(doc, tool, [(20, 20), (100, 20), (20, 90)])
    patch = tool.finish(doc)
    assert patch is not None and steps(doc) == 1
    assert doc.mask[30, 30] == 255 and doc.mask[80, 90] == 0


@pytest.mark.parametrize("clicks", [1, 2])
def test_a_polygon_of_fewer_than_3_corners_is_refused_and_changes_nothing(clicks):
    doc = grey_doc()
    rect_select(doc, (5, 5, 15, 15))
    before = doc.mask.copy()
    tool = PolygonLassoTool()
    _polygon_clicks(doc, tool, [(20, 20), (80, 20)][:clicks])
    with pytest.raises(ToolError) as said:
        tool.finish(doc)
    message = str(said.value)
    assert "\n" not in message and "at least 3" in message and f"{clicks} so far" in message
    assert np.array_equal(doc.mask, before) and steps(doc) == 1
    assert tool.busy                                   # the corners stay: click more, or Esc
    tool.cancel(doc)
    assert not tool.busy and np.array_equal(doc.mask, before)


def test_polygon_and_shape_coverage_is_exact_not_grown_by_antialiasing():
    square, rect = polygon_region([(10, 10), (30, 10), (30, 30), (10, 30)], (100, 100))
    assert square.sum() / 255 == 400 and set(np.unique(square)) == {0, 255}
    quad = np.array([(10.3, 10), (30, 10.7), (28, 30), (10, 33)], np.float32)
    region, _ = polygon_region(quad, (100, 100))
    assert abs(region.sum() / 255 - cv2.contourArea(quad)) < 0.5
    for radius in (6, 40, 400):
        disc, _ = ellipse_region((1000 - radius, 1000 - radius, 1000 + radius, 1000 + radius), (2000, 2000))
        assert abs(disc.sum() / 255 / (np.pi * radius ** 2) - 1) < 0.01, radius


# -- magic wand and colour range ------------------------------------------------------

def two_squares() -> np.ndarray:
    image = np.full((100, 160, 3), 128, np.uint8)
    image[10:50, 10:50] = (200, 40, 40)
    image[10:50, 100:140] = (200, 40, 40)            # the same red, not touching the first
    image[50:70, 10:50] = (206, 46, 40)              # a slightly different red under the first
    return image


def test_the_wand_selects_the_clicked_region_contiguous_or_everywhere():
    doc = Document(two_squares())
    wand = MagicWandTool(tolerance=1)
    wand.press(doc, P(20, 20))
    wand.release(doc, P(20, 20))
    assert selected(doc.mask) == box_pixels(10, 10, 50, 50)
    wand.contiguous = False
    wand.press(doc, P(20, 20))
    wand.release(doc, P(20, 20))
    assert selected(doc.mask) == box_pixels(10, 10, 50, 50) | box_pixels(100, 10, 140, 50)
    assert steps(doc) == 2


def test_the_wand_tolerance_decides_whether_a_similar_colour_joins():
    doc = Document(two_squares())
    lab = to_lab(doc.image)
    apart = np.abs(lab[20, 20].astype(int) - lab[60, 20].astype(int))
    gap = max(apart[0] / 2.55, apart[1], apart[2])          # ΔE units, the wand's per-channel box
    for tolerance, expected in ((gap - 1, box_pixels(10, 10, 50, 50)), (gap + 1, box_pixels(10, 10, 50, 70))):
        wand = MagicWandTool(tolerance=tolerance)
        wand.press(doc, P(20, 20))
        wand.release(doc, P(20, 20))
        assert selected(doc.mask) == expected, tolerance


@pytest.mark.parametrize("tool", [MagicWandTool, ColourRangeTool])
def test_a_colour_click_outside_the_photo_says_so_in_one_line(tool):
    doc = Document(two_squares())
    t = tool()
    t.press(doc, P(-3, 40))
    with pytest.raises(ToolError) as said:
        t.release(doc, P(-3, 40))
    assert "\n" not in str(said.value) and "inside the photo" in str(said.value)
    assert not doc.mask.any() and steps(doc) == 0


def grey_steps() -> tuple[np.ndarray, list[float]]:
    """Vertical stripes of grey at growing ΔE from the first; returns (image, each stripe's ΔE)."""
    levels = [100, 104, 112, 124, 140, 170]
    image = np.repeat(np.repeat(np.array(levels, np.uint8), 20)[None, :, None], 40, 0).repeat(3, 2)
    lab = to_lab(image)[0, ::20].astype(float)
    return image, [abs(lab[i, 0] - lab[0, 0]) / 2.55 for i in range(len(levels))]


def test_colour_range_selects_fully_within_half_the_fuzziness_and_fades_out_at_it():
    image, distance = grey_steps()
    doc = Document(image)
    tool = ColourRangeTool(fuzziness=20)
    tool.press(doc, P(10, 20))
    tool.release(doc, P(10, 20))
    values = doc.mask[20, 10::20].copy()
    for d, v in zip(distance, values):                        # 255 up to 10 ΔE, then linear to 0 at 20
        assert abs(int(v) - np.clip((20 - d) / 10, 0, 1) * 255) <= 2, (d, v)
    assert any(0 < v < 255 for v in values) and values[-1] == 0
    wider = ColourRangeTool(fuzziness=80)
    doc.undo()
    wider.press(doc, P(10, 20))
    wider.release(doc, P(10, 20))
    assert (doc.mask[20, 10::20] >= values).all() and doc.mask[20, 10::20].astype(int).sum() > values.astype(int).sum()


def test_the_lab_copy_follows_image_edits_and_a_warm_start_gives_the_same_answer():
    doc = Document(two_squares())
    cache = LabCache()
    cache.warm(doc)
    doc.begin_edit("image", "paint")
    doc.touch(Rect(0, 0, 5, 5))
    doc.image[:5, :5] = 0
    doc.changed(Rect(0, 0, 5, 5))
    doc.end_edit()
    assert np.array_equal(cache.get(doc), to_lab(doc.image))


# -- object select ------------------------------------------------------------------------

def textured_object(seed=3) -> tuple[np.ndarray, np.ndarray]:
    """A yellow disc on a busy textured background; returns (image, the disc's pixels)."""
    rng = np.random.default_rng(seed)
    h, w = 240, 320
    noise = cv2.resize(rng.random((h // 8, w // 8, 3)).astype(np.float32), (w, h))
    image = np.clip((0.25 + 0.35 * noise + rng.normal(0, 0.06, (h, w, 3))) * 255, 0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    disc = (xx - 160) ** 2 + (yy - 120) ** 2 <= 60 ** 2
    image[disc] = np.clip(np.array([235, 200, 40]) + rng.normal(0, 8, (disc.sum(), 3)), 0, 255)
    return image, disc


def test_object_select_finds_the_object_inside_the_rectangle():
    image, disc = textured_object()
    doc = Document(image)
    patch = rect_select(doc, (85, 45, 235, 195), tool=ObjectSelectTool())
    got = doc.mask > 127
    iou = (got & disc).sum() / (got | disc).sum()
    assert iou > 0.9
    assert patch.label == "Object select" and steps(doc) == 1
    doc.undo()
    assert not doc.mask.any()


def test_an_alt_stroke_refines_the_object_as_one_more_undo_step():
    image, disc = textured_object()
    doc = Document(image)
    tool = ObjectSelectTool()
    rect_select(doc, (85, 45, 235, 195), tool=tool)
    first = doc.mask.copy()
    drag(doc, tool, [(130 + i, 120) for i in range(0, 60, 4)], alt=True)
    assert steps(doc) == 2
    assert doc.mask[120, 140:180].max() < 128 < first[120, 140:180].min()   # the stroke's pixels left the object
    doc.undo()
    assert np.array_equal(doc.mask, first)


@pytest.mark.parametrize("box, words", [((0, 0, 320, 240), "whole photo"), ((40, 40, 42, 41), "Drag a rectangle"),
                                         ((-90, -90, -20, -20), "outside the photo")])
def test_object_select_refuses_a_rectangle_of_everything_or_nothing(box, words):
    image, _ = textured_object()
    doc = Document(image)
    tool = ObjectSelectTool()
    tool.press(doc, P(box[0], box[1]))
    with pytest.raises(ToolError) as said:
        tool.release(doc, P(box[2], box[3]))
    assert "\n" not in str(said.value) and words in str(said.value)
    assert not doc.mask.any() and steps(doc) == 0


# -- one undo step, nothing outside touched ---------------------------------------------------

def _soft_far_away(doc) -> np.ndarray:
    rng = np.random.default_rng(5)
    mask = np.zeros_like(doc.mask)
    mask[150:, 200:] = rng.integers(0, 256, mask[150:, 200:].shape)
    doc.set_mask(mask, "setup")
    return mask


@pytest.mark.parametrize("make, gesture", [
    (ShapeSelectTool, lambda doc, t, **m: rect_select(doc, (20, 20, 90, 80), tool=t, **m)),
    (lambda: ShapeSelectTool(ellipse=True), lambda doc, t, **m: rect_select(doc, (20, 20, 90, 80), tool=t, **m)),
    (LassoTool, lambda doc, t, **m: drag(doc, t, [(20, 20), (90, 30), (60, 80), (25, 70)], **m)),
    (lambda: MagicWandTool(tolerance=4), lambda doc, t, **m: (t.press(doc, P(40, 40, **m)), t.release(doc, P(40, 40)))[1]),
])
@pytest.mark.parametrize("mods", [{"shift": True}, {"alt": True}])
def test_adding_or_subtracting_is_one_undo_step_and_leaves_the_mask_outside_untouched(make, gesture, mods):
    image = np.full((240, 320, 3), 90, np.uint8)
    image[20:80, 20:90] = (30, 160, 200)
    doc = Document(image)
    far = _soft_far_away(doc)
    if mods.get("alt"):
        doc.mask[20:80, 20:90] = 255                    # something to subtract from (history: not a step)
    before, count = doc.mask.copy(), steps(doc)
    patch = gesture(doc, make(), **mods)
    assert steps(doc) == count + 1 and patch is not None
    assert patch.rect.intersect(Rect(200, 150, 320, 240)).empty      # no tile of the far corner recorded
    assert np.array_equal(doc.mask[150:, 200:], far[150:, 200:])
    changed = np.argwhere(doc.mask != before)
    assert changed[:, 0].max() < 90 and changed[:, 1].max() < 100
    doc.undo()
    assert np.array_equal(doc.mask, before)


def test_occupied_tiles_marks_the_undo_tiles_a_region_touches():
    region = np.zeros((200, 300), np.uint8)
    region[0, 0] = region[100, 150] = region[199, 299] = 1
    at = Rect(37, 70, 337, 270)
    expected = {((y + at.y0) // 64 - at.y0 // 64, (x + at.x0) // 64 - at.x0 // 64) for y, x in np.argwhere(region)}
    assert set(map(tuple, np.argwhere(occupied_tiles(region, at)))) == expected
