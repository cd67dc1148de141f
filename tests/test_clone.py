"""Clone stamp and healing brush: Qt-free tools driven by fake pointer events,
then once through the real canvas and the window's Tools menu."""

import numpy as np
import pytest

from artstudio.core.brush import Brush, PointerEvent, segment_coverage
from artstudio.core.clone import CloneTool, HealTool
from artstudio.core.document import Document
from artstudio.core.rect import Rect
from artstudio.core.tools import ToolError

HARD = Brush(size=10, hardness=1.0, pressure_size=False)
SOFT = Brush(size=16, hardness=0.3, pressure_size=False)


def noise_image(h=96, w=128, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def ctrl_click(tool, doc, x, y):
    assert tool.press(doc, PointerEvent(x, y, ctrl=True)) is None
    return tool.release(doc, PointerEvent(x, y))


def stroke(tool, doc, points):
    events = [PointerEvent(x, y) for x, y in points]
    tool.press(doc, events[0])
    for e in events[1:]:
        tool.drag(doc, e)
    return tool.release(doc, events[-1])


def coverage_of(points, brush, shape):
    """Where the brush reached along ``points`` (max over segments), full image."""
    h, w = shape[:2]
    rect = Rect(0, 0, w, h)
    events = [PointerEvent(x, y) for x, y in points]
    cov = segment_coverage(events[0], events[0], brush, rect)
    for a, b in zip(events, events[1:]):
        cov = np.maximum(cov, segment_coverage(a, b, brush, rect))
    return cov


def shifted(image, dx, dy):
    """``out[y, x] = image[y + dy, x + dx]`` where that exists (else 0)."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    ys, xs = slice(max(0, -dy), min(h, h - dy)), slice(max(0, -dx), min(w, w - dx))
    out[ys, xs] = image[ys.start + dy:ys.stop + dy, xs.start + dx:xs.stop + dx]
    return out


def test_a_hard_clone_copies_the_source_exactly_and_leaves_the_rest_bit_identical():
    original = noise_image()
    doc = Document(original.copy())
    tool = CloneTool(HARD)
    ctrl_click(tool, doc, 30.5, 30.5)
    assert np.array_equal(doc.image, original) and not doc.history.can_undo   # setting the source changes nothing
    points = [(80.5, 60.5), (100.5, 64.5)]
    patch = stroke(tool, doc, points)
    assert patch.label == "Clone" and tool.offset == (-50, -30)
    cov = coverage_of(points, HARD, original.shape)
    full, none = cov >= 1.0, cov <= 0.0
    assert full.sum() > 200
    assert np.array_equal(doc.image[full], shifted(original, -50, -30)[full])
    assert np.array_equal(doc.image[none], original[none])


def test_aligned_keeps_the_offset_for_the_next_stroke_and_non_aligned_restarts_at_the_source():
    original = noise_image()
    for aligned, expected_source in ((True, (20, 60)), (False, (20, 20))):
        doc = Document(original.copy())
        tool = CloneTool(HARD, aligned=aligned)
        ctrl_click(tool, doc, 20.5, 20.5)
        stroke(tool, doc, [(60.5, 20.5), (70.5, 20.5)])
        stroke(tool, doc, [(60.5, 60.5)])
        sx, sy = expected_source
        assert np.array_equal(doc.image[58:63, 58:63], original[sy - 2:sy + 3, sx - 2:sx + 3]), aligned
    tool = CloneTool(HARD)
    ctrl_click(tool, doc, 20.5, 20.5)
    stroke(tool, doc, [(60.5, 20.5)])
    tool.set_aligned(False)
    tool.set_aligned(True)                       # a mode change starts again from the source
    stroke(tool, doc, [(60.5, 60.5)])
    assert tool.offset == (-40, -40)


def test_a_stroke_copies_the_pixels_as_they_were_when_it_began_not_its_own_output():
    # The stroke runs right along the row it copies from, 10 px behind: re-cloning
    # its own output would repeat the first 10 px all along the stroke.
    original = noise_image()
    doc = Document(original.copy())
    tool = CloneTool(HARD)
    ctrl_click(tool, doc, 10.5, 40.5)
    points = [(20.5 + 2 * i, 40.5) for i in range(40)]
    stroke(tool, doc, points)
    cov = coverage_of(points, HARD, original.shape)
    full = cov >= 1.0
    assert np.array_equal(doc.image[full], shifted(original, -10, 0)[full])
    assert not np.array_equal(doc.image[40, 30:40], doc.image[40, 40:50])


@pytest.mark.parametrize("kind", [CloneTool, HealTool])
def test_a_soft_stroke_changes_only_pixels_under_the_brush_and_undo_restores_exactly(kind):
    original = noise_image()
    doc = Document(original.copy())
    tool = kind(SOFT)
    ctrl_click(tool, doc, 25.5, 30.5)
    points = [(70.5, 50.5), (82.5, 56.5), (95.5, 48.5), (95.5, 70.5)]
    patch = stroke(tool, doc, points)
    cov = coverage_of(points, SOFT, original.shape)
    changed = (doc.image != original).any(axis=2)
    assert changed.sum() > 300
    assert not changed[cov <= 0.0].any()
    assert len(doc.history.steps[0]) == 1 and patch.label == tool.label       # one stroke, one undo step
    edited = doc.image.copy()
    doc.undo()
    assert np.array_equal(doc.image, original)
    doc.redo()
    assert np.array_equal(doc.image, edited)


def test_painting_without_a_source_is_refused_in_one_line():
    doc = Document(noise_image())
    with pytest.raises(ToolError, match="Ctrl\\+click") as refused:
        CloneTool(HARD).press(doc, PointerEvent(40, 40))
    assert "\n" not in str(refused.value) and not doc.editing


def test_a_source_outside_the_image_is_refused_and_nothing_changes():
    original = noise_image()
    doc = Document(original.copy())
    tool = CloneTool(HARD)
    with pytest.raises(ToolError, match="inside the image"):
        tool.press(doc, PointerEvent(-5, 20, ctrl=True))
    assert tool.source is None
    ctrl_click(tool, doc, 2.5, 2.5)
    stroke(tool, doc, [(100.5, 80.5)])                           # fixes the offset (-98, -78)
    after_first = doc.image.copy()
    with pytest.raises(ToolError, match="outside the image") as refused:
        tool.press(doc, PointerEvent(10.5, 10.5))                # its source would be at (-88, -68)
    assert "\n" not in str(refused.value)
    assert np.array_equal(doc.image, after_first) and not doc.editing
    assert len(doc.history.steps[0]) == 1


def test_a_source_partly_outside_paints_only_where_the_source_exists():
    original = noise_image()
    doc = Document(original.copy())
    tool = CloneTool(Brush(size=20, hardness=1.0, pressure_size=False))
    ctrl_click(tool, doc, 3.5, 40.5)
    stroke(tool, doc, [(40.5, 40.5)])                            # offset (-37, 0): source x from -7 to 13
    changed = (doc.image != original).any(axis=2)
    assert changed[:, 37:].any() and not changed[:, :37].any()
    assert np.array_equal(doc.image[40, 37:49], original[40, 0:12])


def two_level_texture(seed=1):
    """A textured photo whose left part is 60 levels brighter than the right."""
    rng = np.random.default_rng(seed)
    h, w = 96, 160
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    texture = 18 * np.sin(x * 1.3) * np.cos(y * 0.9) + rng.normal(0, 8, (h, w))
    level = np.where(x < 64, 150.0, 90.0) + 0.1 * y
    image = np.clip(level + texture, 0, 255)
    return np.repeat(image[..., None], 3, axis=2).astype(np.uint8)


def test_heal_matches_the_darker_surroundings_where_clone_stays_60_levels_off_and_keeps_the_texture():
    import cv2

    original = two_level_texture()
    brush = Brush(size=24, hardness=0.9, pressure_size=False)
    points = [(110.5, 48.5), (116.5, 50.5)]
    cov = coverage_of(points, brush, original.shape)
    core = cov >= 1.0
    ring = (coverage_of(points, Brush(size=40, hardness=1.0), original.shape) > 0) & (cov <= 0)
    surround = original[ring].astype(np.float32).mean()
    means, results = {}, {}
    for kind in (CloneTool, HealTool):
        doc = Document(original.copy())
        tool = kind(brush)
        ctrl_click(tool, doc, 30.5, 40.5)                       # in the bright part
        stroke(tool, doc, points)
        means[kind.key] = doc.image[core].astype(np.float32).mean()
        results[kind.key] = doc.image.astype(np.float32)
    assert abs(means["clone"] - surround) > 50
    assert abs(means["heal"] - surround) < 4
    source = shifted(original, -80, -8).astype(np.float32)

    def high_pass(a):
        return a - cv2.GaussianBlur(a, (0, 0), 2.0)
    texture = high_pass(source)[core]
    kept = high_pass(results["heal"])[core]
    assert np.corrcoef(texture.ravel(), kept.ravel())[0, 1] > 0.97
    assert 0.9 < kept.std() / texture.std() < 1.1


@pytest.mark.parametrize("edge", ["top", "left", "bottom", "right", "corner"])
def test_heal_removes_a_spot_touching_the_photos_edge_instead_of_smearing_it(edge):
    """The dab's border was pinned to the photo's edge row: a dark spot there stayed and
    smeared inwards (20, 28, 36 ... down the column). Mirrored across the edge, it heals."""
    image = np.full((120, 160, 3), 128, np.uint8)
    y, x = {"top": (2, 80), "left": (60, 2), "bottom": (117, 80), "right": (60, 157), "corner": (2, 2)}[edge]
    image[max(0, y - 3):y + 3, max(0, x - 3):x + 3] = 20
    doc = Document(image.copy())
    tool = HealTool(Brush(size=30, hardness=0.8, pressure_size=False))
    ctrl_click(tool, doc, 60, 60)                         # a clean grey source
    stroke(tool, doc, [(x, y)])
    spot = (slice(max(0, y - 3), y + 3), slice(max(0, x - 3), x + 3))
    assert np.abs(doc.image[spot].astype(int) - 128).max() <= 3
    assert np.abs(doc.image.astype(int) - 128).max() <= 3      # nothing smeared round it either


def test_the_poisson_solve_is_exact_on_any_crop_size():
    from artstudio.core.poisson import fast_side, harmonic_fill

    for h, w in ((40, 57), (fast_side(150), 23)):
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        exact = 0.02 * (x * x - y * y) + 3 * x - 2 * y + 5        # discretely harmonic
        border = exact.copy()
        border[1:-1, 1:-1] = 0
        assert np.abs(harmonic_fill(border) - exact).max() < 0.01
    assert fast_side(150) == 151 and fast_side(152) == 161 and fast_side(2) == 3


def test_a_large_dab_solves_at_half_size_within_a_level_of_the_exact_blend():
    from artstudio.core.poisson import COARSE_SIDE, fast_side, harmonic_fill, poisson_blend

    rng = np.random.default_rng(5)
    n = fast_side(COARSE_SIDE + 60)
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    source = np.dstack([128 + 40 * np.sin(x / 13) + rng.normal(0, 12, (n, n))] * 3).astype(np.float32)
    destination = np.dstack([150 + 30 * np.cos(y / 17) + rng.normal(0, 12, (n, n))] * 3).astype(np.float32)
    exact = source + harmonic_fill(destination - source)
    blended = poisson_blend(source, destination)
    inside = np.hypot(y + 0.5 - n / 2, x + 0.5 - n / 2) < n / 2 - 10     # where a round dab covers
    error = np.abs(blended - exact)[inside]
    assert error.mean() < 0.2 and error.max() < 1.5
    assert np.allclose(blended[0], destination[0], atol=1e-3)             # the ring is the destination
    small = fast_side(COARSE_SIDE - 30)                                  # smaller dabs: the exact solve
    assert np.array_equal(poisson_blend(source[:small, :small], destination[:small, :small]),
                          source[:small, :small] + harmonic_fill(destination[:small, :small] - source[:small, :small]))


def test_a_hard_heal_cut_by_the_sources_edge_matches_the_exact_solve_at_its_seam(monkeypatch):
    """Where a large dab reaches its box's edge (here the source's edge cuts the box), the
    half-size solve was up to 10 levels off, right at the seam: such dabs solve exactly."""
    from artstudio.core import poisson

    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:700, 0:700].astype(np.float32)
    image = np.clip(np.dstack([128 + 50 * np.sin(x / 11) + 30 * np.cos(y / 7) + rng.normal(0, 15, (700, 700))] * 3)
                    + np.dstack([x / 7, y / 9, (x + y) / 20]), 0, 255).astype(np.uint8)

    def heal(coarse_side):
        monkeypatch.setattr(poisson, "COARSE_SIDE", coarse_side)
        doc = Document(image.copy())
        tool = HealTool(Brush(size=300, hardness=1.0, pressure_size=False))
        ctrl_click(tool, doc, 150.5, 150.5)
        stroke(tool, doc, [(450.5, 400.5), (470.5, 420.5)])
        return doc.image.astype(int)

    assert np.abs(heal(224) - heal(10 ** 6)).max() <= 1


def test_the_overlay_shows_the_brush_and_a_source_crosshair_that_follows_the_pointer():
    doc = Document(noise_image())
    tool = CloneTool(HARD)
    assert tool.overlay().crosshairs == () and "Ctrl+click" in tool.hint
    ctrl_click(tool, doc, 20.5, 20.5)
    assert tool.overlay().crosshairs == ((20.5, 20.5),)         # no offset yet: at the source
    stroke(tool, doc, [(60.5, 30.5)])
    tool.hover(doc, PointerEvent(70.0, 50.0))
    overlay = tool.overlay()
    assert overlay.crosshairs == ((30.0, 40.0),) and overlay.circle == 5.0
    tool.leave()                                                 # off the canvas: nothing left behind
    assert tool.overlay().crosshairs == ()
    tool.hover(doc, PointerEvent(80.0, 50.0))
    assert tool.overlay().crosshairs == ((40.0, 40.0),)


# -- the real canvas and window ---------------------------------------------------------
@pytest.fixture
def canvas(canvas):
    canvas.set_brush(Brush(size=8, hardness=1.0))     # conftest's canvas, with an 8 px brush
    return canvas


def at(canvas, x, y):
    from PySide6.QtCore import QPointF

    return canvas.widget_pos(QPointF(x + 0.5, y + 0.5)).toPoint()


def test_ctrl_click_then_drag_on_the_canvas_clones_as_one_undo_step(qtbot, canvas):
    from PySide6.QtCore import Qt

    from artstudio.ui.tool_bar import ToolBar

    bar = ToolBar(canvas)
    qtbot.addWidget(bar)
    tool = bar.choose("clone")
    assert canvas.tool is tool and isinstance(tool, CloneTool) and tool.brush == canvas.brush
    page = bar.options.currentWidget()
    assert "not set" in page.source_label.text()
    doc = canvas.document
    original = doc.image.copy()
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, ctrl, at(canvas, 20, 30))
    assert tool.source is not None and np.array_equal(doc.image, original)
    assert "20, 30" in page.source_label.text()
    with qtbot.waitSignal(canvas.stroke_finished) as done:
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 60, 50))
        qtbot.mouseMove(canvas, at(canvas, 75, 50))
        qtbot.mouseMove(canvas, at(canvas, 90, 50))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 90, 50))
    dx, dy = tool.offset
    assert abs(dx + 40) <= 1 and abs(dy + 20) <= 1
    assert np.array_equal(doc.image[48:53, 62:88], original[48 + dy:53 + dy, 62 + dx:88 + dx])
    assert done.args[0].label == "Clone" and doc.modified
    page.aligned_box.setChecked(False)
    assert not tool.aligned
    doc.undo()
    assert np.array_equal(doc.image, original)


def test_s_and_j_in_the_window_pick_clone_and_heal_listed_in_the_tools_menu(qtbot, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    from artstudio.ui import app as app_module

    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    window = app_module.create_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        tools_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Tools")
        by_shortcut = {a.shortcut().toString(): a.text() for a in tools_menu.actions()}
        assert by_shortcut["S"] == "Clone" and by_shortcut["J"] == "Heal"
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
        canvas = window.restore.canvas
        canvas.setFocus()
        qtbot.keyClick(canvas, Qt.Key.Key_S)
        assert isinstance(canvas.tool, CloneTool) and window.restore.tools.current == "clone"
        qtbot.keyClick(canvas, Qt.Key.Key_J)
        assert isinstance(canvas.tool, HealTool) and window.restore.tools.current == "heal"
    finally:
        window._close_confirmed = True
        window.close()


def test_ctrl_click_repaints_where_the_source_crosshair_was(qtbot, canvas, monkeypatch):
    """In aligned mode the crosshair follows the pointer at the last stroke's offset; a
    Ctrl+click that sets a new source moves it: its old place must be repainted, or a stale
    crosshair stays painted on the photo (seen under Xvfb)."""
    from PySide6.QtCore import QPointF, QRect, Qt
    from window_helpers import repaint_requests

    tool = CloneTool(canvas.brush)
    canvas.set_active_tool(tool)
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, ctrl, at(canvas, 20, 30))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 60, 50))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 60, 50))
    qtbot.mouseMove(canvas, at(canvas, 100, 80))                 # crosshair now at (60, 60)
    crosshair = canvas.widget_pos(QPointF(60.5, 60.5)).toPoint()
    repainted = repaint_requests(monkeypatch, canvas)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, ctrl, at(canvas, 100, 80))
    assert abs(tool.source[0] - 100) <= 1 and abs(tool.source[1] - 80) <= 1
    old_cross = QRect(crosshair.x() - 10, crosshair.y() - 10, 21, 21)
    assert any(r.contains(old_cross) for r in repainted), repainted


def test_the_hint_follows_the_source_and_mode_and_a_new_photo_forgets_the_source(qtbot, canvas):
    """The hint kept saying "Ctrl+click where to copy from" after a source was set and
    "Aligned" after unticking it; a source Ctrl+clicked on one photo stayed set on the next,
    copying from a place never chosen there."""
    from PySide6.QtCore import Qt

    from artstudio.ui.tool_bar import ToolBar

    bar = ToolBar(canvas)
    qtbot.addWidget(bar)
    tool = bar.choose("heal")
    page = bar.options.currentWidget()
    assert "where to copy from" in bar.options.hint_label.text()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, at(canvas, 20, 30))
    assert "Paint to copy" in bar.options.hint_label.text()
    page.aligned_box.setChecked(False)
    assert "Not aligned" in bar.options.hint_label.text()
    canvas.set_document(Document(canvas.document.image.copy()))       # another photo
    assert tool.source is None and "not set" in page.source_label.text()
    assert "where to copy from" in bar.options.hint_label.text()
    doc = canvas.document
    with pytest.raises(ToolError, match="No clone source"):
        tool.press(doc, PointerEvent(40, 40))
    ctrl_click(tool, doc, 20, 30)
    tool.prepare(doc)                                                  # the same photo: kept
    assert tool.source == (20, 30)
