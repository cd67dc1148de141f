"""Seeing the mask: a tint that stands out on the photo, a colour of one's
own, hidden (H), alone (Shift+H), and marching ants around it."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from artstudio.core.display import DEFAULT_COLOUR, HIDDEN, MASK_ONLY, DisplayPyramid, contrasting_colour
from artstudio.core.document import Document
from artstudio.core.rect import Rect
from artstudio.core.selection_outline import mask_outline, outline_area, reduction_for_scale
from artstudio.ui.canvas import CanvasWidget


def hue(rgb) -> float:
    import colorsys

    return colorsys.rgb_to_hsv(*(c / 255 for c in rgb))[0] * 360


def hue_gap(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


@pytest.mark.parametrize("colours", [[(200, 30, 40)], [(40, 160, 50)], [(200, 30, 40), (30, 60, 200)],
                                     [(220, 170, 140), (120, 170, 230)]])
def test_the_automatic_tint_is_far_in_hue_from_every_colour_of_the_photo(colours):
    image = np.zeros((90, 60, 3), np.uint8)
    for i, c in enumerate(colours):
        image[i * 90 // len(colours):(i + 1) * 90 // len(colours)] = c
    tint = contrasting_colour(image)
    assert min(hue_gap(hue(tint), hue(c)) for c in colours) >= 90
    assert max(tint) >= 250 and min(tint) <= 5                      # saturated and bright


def test_a_grey_photo_keeps_the_default_tint():
    assert contrasting_colour(np.full((50, 50, 3), 128, np.uint8)) == DEFAULT_COLOUR


def test_hidden_and_mask_only_views_composite_as_they_say(photo, scratch):
    pyramid = DisplayPyramid(photo, scratch, (255, 0, 0), 0.5, view=HIDDEN)
    assert np.array_equal(pyramid.levels[0][..., :3], photo)
    pyramid.set_overlay((255, 0, 0), 0.5, MASK_ONLY)
    shown = pyramid.levels[0]
    assert np.array_equal(shown[..., 0], scratch) and np.array_equal(shown[..., 2], scratch)
    with pytest.raises(ValueError):
        pyramid.set_overlay((255, 0, 0), 0.5, "sideways")


def test_the_outline_of_a_square_is_its_four_corners_and_a_thin_line_survives_zooming_out():
    mask = np.zeros((400, 600), np.uint8)
    mask[100:200, 300:400] = 255
    (square,) = mask_outline(mask, Rect(0, 0, 600, 400))
    assert sorted(map(tuple, square.tolist())) == [(300.5, 100.5), (300.5, 199.5), (399.5, 100.5), (399.5, 199.5)]
    mask[:] = 0
    mask[50, 10:590] = 200                                     # a 1 px scratch
    assert len(mask_outline(mask, Rect(0, 0, 600, 400), reduction_for_scale(0.2))) == 1
    assert reduction_for_scale(2.0) == 1 and reduction_for_scale(0.5) == 2 and reduction_for_scale(0.2) == 4
    assert outline_area(Rect(10, 10, 20, 20), 1, (600, 400)) == Rect(0, 0, 256, 256)


@pytest.fixture
def canvas(qtbot, photo, scratch):
    c = CanvasWidget()
    qtbot.addWidget(c)
    c.resize(520, 400)
    c.show()
    qtbot.waitExposed(c)
    red = photo.copy()
    red[...] = (210, 40, 50)                                   # a red saucer
    c.set_document(Document(red, scratch.copy()))
    return c


def pixel(canvas, x, y):
    colour = canvas.grab().toImage().pixelColor(canvas.widget_pos(QPointF(x + 0.5, y + 0.5)).toPoint())
    return colour.red(), colour.green(), colour.blue()


def test_the_mask_on_a_red_photo_is_not_tinted_red(canvas):
    assert canvas.mask_display.auto and hue_gap(hue(canvas.mask_display.colour), hue((210, 40, 50))) >= 90
    masked = pixel(canvas, 25, 65)                             # inside the blotch
    assert hue_gap(hue(masked), hue((210, 40, 50))) >= 60
    canvas.mask_display.set(auto=False)
    canvas.set_overlay((0, 0, 255), 0.5)
    r, g, b = pixel(canvas, 25, 65)
    assert b > 100 and r < 160


def test_hide_and_mask_only_show_the_photo_alone_and_the_mask_alone(canvas):
    canvas.mask_display.set(visible=False)
    assert pixel(canvas, 25, 65) == (210, 40, 50)
    canvas.mask_display.set(visible=True, mask_only=True)
    assert pixel(canvas, 25, 65) == (255, 255, 255) and pixel(canvas, 100, 20) == (0, 0, 0)
    canvas.mask_display.set(mask_only=False)
    assert pixel(canvas, 100, 20) == (210, 40, 50)


def test_marching_ants_outline_the_mask_and_crawl(qtbot, canvas):
    canvas.actual_size()
    canvas.pan_by(-canvas.widget_pos(QPointF(0, 0)).x(), -canvas.widget_pos(QPointF(0, 0)).y())
    canvas.mask_display.set(ants=True)
    canvas.repaint()
    qtbot.waitUntil(lambda: canvas.mask_display.crawling, timeout=2000)
    first = canvas.grab().toImage()
    edge = [first.pixelColor(x, 60) for x in range(21, 29)]     # the blotch's top row: its outline
    assert any(c.lightness() < 30 for c in edge) and any(c.lightness() > 225 for c in edge)
    qtbot.wait(400)
    later = canvas.grab().toImage()
    assert [later.pixelColor(x, 60) for x in range(21, 29)] != edge    # the dashes moved
    canvas.mask_display.set(ants=False)
    canvas.repaint()
    assert not canvas.mask_display.crawling
    assert all(canvas.grab().toImage().pixelColor(x, 60).lightness() not in (0, 255) for x in range(21, 29))


@pytest.fixture
def window(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from artstudio.ui import app as app_module
    from artstudio.ui import file_ops

    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    w = app_module.create_window()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert file_ops.open_demo(w, wait=True)
    yield w
    w._close_confirmed = True
    w.close()


def action_for(window, sequence):
    from PySide6.QtGui import QAction

    found = [a for a in window.findChildren(QAction) if any(s.toString() == sequence for s in a.shortcuts())]
    assert len(found) == 1, f"{sequence}: {[a.text() for a in found]}"
    return found[0]


def test_view_menu_keys_hide_the_mask_show_it_alone_and_stop_the_ants(window):
    shown = window.restore.canvas.mask_display
    for key, name in (("H", "visible"), ("Shift+H", "mask_only"), ("Ctrl+H", "ants")):
        action = action_for(window, key)
        before = getattr(shown, name)
        action.trigger()
        assert getattr(shown, name) is (not before) and action.isChecked() is (not before)
        action.trigger()
        assert getattr(shown, name) is before


def test_every_shortcut_in_the_window_belongs_to_one_action(window):
    from PySide6.QtGui import QAction

    seen = {}
    for action in window.findChildren(QAction):
        for sequence in action.shortcuts():
            text = sequence.toString()
            assert text not in seen or seen[text] is action, f"{text}: {seen[text].text()} and {action.text()}"
            seen[text] = action
    for key in ("M", "Shift+M", "L", "Shift+L", "W", "Shift+W", "Q", "H", "Shift+H", "Ctrl+H"):
        assert key in seen


def test_choosing_a_mask_colour_turns_the_automatic_tint_off_and_is_kept_in_settings(window, monkeypatch):
    from PySide6.QtGui import QAction, QColor
    from PySide6.QtWidgets import QColorDialog

    monkeypatch.setattr(QColorDialog, "getColor", lambda *a: QColor(10, 200, 30))
    canvas = window.restore.canvas
    assert canvas.mask_display.auto
    item = next(a for a in window.findChildren(QAction) if a.text().replace("&", "") == "Mask Colour…")
    item.trigger()
    assert window.settings.mask_color == (10, 200, 30)
    assert not canvas.mask_display.auto and canvas.mask_display.colour == (10, 200, 30)
    assert not window.mask_view_actions["auto"].isChecked()
    assert canvas.layers.base.pyramid.color == (10, 200, 30)


def test_a_new_outline_has_the_old_one_erased_even_outside_what_is_repainted(qtbot, canvas, monkeypatch):
    """A clone stroke that applied a compared fill drew the ants from the outline cached
    before the compare; the new outline was repainted only in its own box, so the old one
    stayed on screen round a mask that no longer existed."""
    from window_helpers import repaint_requests

    canvas.actual_size()
    canvas.pan_by(-canvas.widget_pos(QPointF(0, 0)).x(), -canvas.widget_pos(QPointF(0, 0)).y())
    doc = canvas.document
    doc.mask[:] = 0
    doc.mask[20:40, 20:40] = 255
    canvas.mask_display.changed()
    canvas.mask_display.set(ants=True)
    canvas.repaint()
    old = canvas.mask_display.ants_area(canvas.view).toAlignedRect()
    assert old.width() > 10
    doc.mask[:] = 0
    doc.mask[150:170, 200:220] = 255
    canvas.mask_display.changed()
    asked = repaint_requests(monkeypatch, canvas)
    canvas.repaint(canvas.view.widget_rect(Rect(195, 145, 225, 175)))     # only the new box
    assert any(r.contains(old) for r in asked), (old, asked)
