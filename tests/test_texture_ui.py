"""Content-aware fill in the Restore workspace: variations to pick from, More like this, sampling areas."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt

from artstudio.core.document import Document
from artstudio.jobs.base import CancelToken, run_sync
from artstudio.jobs.texture_fill import TextureRequest, run_texture_fill

from test_texture import bark, box  # noqa: F401  (fixtures)


def _filled(qtbot, ws, runner, image, hole) -> Document:
    """A new document of ``image`` with ``hole`` as its mask, content-aware filled (not applied)."""
    doc = Document(image.copy())
    doc.mask[:] = hole
    ws.set_document(doc)
    _fill_texture(qtbot, ws, runner)
    return doc


def _fill_texture(qtbot, ws, runner):
    ws.panel.set_method("texture")
    with qtbot.waitSignal(runner.job_finished, timeout=60000):
        qtbot.mouseClick(ws.panel.fill_button, Qt.MouseButton.LeftButton)


def test_a_content_aware_fill_offers_three_variations_and_applies_the_one_picked(qtbot, workspace, runner,
                                                                                  bark, box):
    doc = _filled(qtbot, workspace, runner, bark, box)
    strip = workspace.variations.panel.strip
    assert strip.isVisible() and strip.count() == 3
    first = doc.proposal.copy()
    strip.chosen.emit(2)                      # as a click on the third thumbnail does
    third = doc.proposal.copy()
    assert not np.array_equal(first, third)
    alone = run_sync(run_texture_fill(TextureRequest(bark, box, seed=2, previews=False), CancelToken()))
    assert np.array_equal(third, alone.image)            # variation 3 is seed 2, reproducible
    assert "seed 2, network guide" in workspace.variations.panel.seed_label.text()
    assert "smooth guide" in strip.item(1).toolTip()          # the second thumbnail says how it was made
    workspace.apply()
    assert np.array_equal(doc.image, alone.image) and doc.proposal is None
    assert not strip.isVisible()
    workspace.undo()
    assert np.array_equal(doc.image, bark)


def test_more_like_this_rolls_new_seeds_with_the_picked_guide(qtbot, workspace, runner, bark, box):
    doc = _filled(qtbot, workspace, runner, bark, box)
    before = workspace.variations.result.seeds
    workspace.variations.panel.strip.chosen.emit(1)         # the smooth-guided one
    with qtbot.waitSignal(runner.job_finished, timeout=60000):
        qtbot.mouseClick(workspace.variations.panel.more, Qt.MouseButton.LeftButton)
    after = workspace.variations.result.seeds
    assert after == tuple(s + len(before) for s in before)
    assert workspace.variations.result.guides == ("smooth",) * 3       # more like the one picked
    with qtbot.waitSignal(runner.job_finished, timeout=60000):
        qtbot.mouseClick(workspace.panel.fill_button, Qt.MouseButton.LeftButton)
    assert workspace.variations.result.guides == ("network", "smooth", "network")   # a new fill alternates again
    assert not np.array_equal(workspace.variations.result.variants[0],
                              run_sync(run_texture_fill(TextureRequest(bark, box, seed=before[0], previews=False),
                                                        CancelToken())).variants[0])


def test_never_sample_painted_with_shift_g_keeps_a_badge_out(qtbot, workspace, runner, bark, box):
    image = bark.copy()
    image[40:120, 112:150] = (220, 30, 30)
    doc = Document(image)
    doc.mask[:] = box
    workspace.set_document(doc)
    canvas = workspace.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.tool.layer == "sample_never"
    canvas.set_brush(dataclasses.replace(canvas.brush, size=60, hardness=1.0))
    for y in range(40, 121, 10):                 # dab over the badge, top to bottom
        start = canvas.view.widget_pos(QPointF(131, y))
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(start.x()), round(start.y())))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(start.x()), round(start.y())))
    assert (doc.sample_never[40:120, 112:150] > 0).all()
    assert "sample_never" in _shown(qtbot, canvas)
    workspace.panel.set_method("texture")
    workspace.variations.panel.count.setValue(1)
    with qtbot.waitSignal(runner.job_finished, timeout=60000):
        qtbot.mouseClick(workspace.panel.fill_button, Qt.MouseButton.LeftButton)
    filled = doc.proposal[box > 0]
    assert not ((filled[:, 0] > 180) & (filled[:, 1] < 80)).any()
    # Ctrl+Shift+H hides the sampling areas (through the View menu in the window; here the display)
    canvas.sampling_display.set_visible(False)
    assert _shown(qtbot, canvas) == []


def _shown(qtbot, canvas):
    canvas.repaint()
    return canvas.sampling_display.shown_layers()


def test_undoing_under_the_variations_drops_them_so_no_undone_fill_comes_back(qtbot, workspace, runner,
                                                                               bark, box):
    doc = _filled(qtbot, workspace, runner, bark, box)
    workspace.apply()
    applied = doc.image.copy()
    other = np.zeros_like(box)
    other[4:20, 4:20] = 255
    workspace.replace_mask(other, "Rectangle")
    _fill_texture(qtbot, workspace, runner)                     # variations of a fill on `applied`
    strip = workspace.variations.panel.strip
    assert strip.isVisible()
    workspace.undo()                                            # the rectangle
    workspace.undo()                                            # the first fill: the pixels change
    assert np.array_equal(doc.image, bark) and doc.proposal is None
    assert not strip.isVisible() and not workspace.variations.panel.more.isEnabled()
    strip.chosen.emit(1)                                        # a click on a stale thumbnail
    assert doc.proposal is None and not workspace.canvas.comparing
    workspace.apply()
    assert np.array_equal(doc.image, bark)                      # nothing undone comes back
    assert not np.array_equal(applied, bark)


def test_a_new_photo_starts_its_variations_at_seed_0_again(qtbot, workspace, runner, bark, box):
    for _ in range(2):
        doc = _filled(qtbot, workspace, runner, bark, box)
        assert workspace.variations.result.seeds == (0, 1, 2)
    _fill_texture(qtbot, workspace, runner)                   # the same photo again: new seeds
    assert workspace.variations.result.seeds == (3, 4, 5)


def test_picking_a_thumbnail_then_apply_keeps_the_panel_in_place_and_the_keys_on_the_canvas(
        qtbot, workspace, runner, bark, box):
    """A clicked thumbnail used to keep the focus; Apply hid the strip, Qt moved the focus to
    the next control down and scrolled the side panel 350 px to show it."""
    from PySide6.QtWidgets import QScrollArea

    workspace.resize(1200, 700)
    workspace.show()
    qtbot.waitExposed(workspace)
    _filled(qtbot, workspace, runner, bark, box)
    bar = workspace.findChild(QScrollArea).verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    strip = workspace.variations.panel.strip
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton,
                     pos=strip.visualItemRect(strip.item(1)).center())
    assert strip.currentRow() == 1 and not strip.hasFocus()
    workspace.apply()
    qtbot.wait(20)
    assert bar.value() == 0
    assert workspace.window().focusWidget() is workspace.canvas


def test_enter_on_the_canvas_keeps_the_compared_fill_and_apply_sits_under_the_variations(
        qtbot, workspace, runner, bark, box):
    """Apply used to be the panel's last group, off screen in a 900 px window, with no key:
    now it sits under the variations, and Enter keeps the result as Photoshop's OK does."""
    doc = _filled(qtbot, workspace, runner, bark, box)
    layout = workspace.panel.layout()
    below = layout.itemAt(layout.indexOf(workspace.variations.panel) + 1).widget()
    assert workspace.panel.apply_button in below.findChildren(type(workspace.panel.apply_button))
    proposal = doc.proposal.copy()
    workspace.canvas.setFocus()
    qtbot.keyClick(workspace.canvas, Qt.Key.Key_Return)
    assert doc.proposal is None and np.array_equal(doc.image, proposal)
    qtbot.keyClick(workspace.canvas, Qt.Key.Key_Return)       # nothing compared: Enter does nothing
    assert np.array_equal(doc.image, proposal)
    doc.undo()                                                 # one undo step: the fill
    assert np.array_equal(doc.image, bark)
