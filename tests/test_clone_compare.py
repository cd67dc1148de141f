"""Clone and heal strokes while a fill's result is being compared, or while a job runs.

A stroke used to paint under the "after" view (invisible), and Apply then
wrote the result over it: the touch-up was lost. Now a stroke applies the
compared result first and paints on it; while a job computes from the
photo, a stroke is refused in one line."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from artstudio.core.brush import Brush
from artstudio.core.document import Document
from artstudio.ui.restore_workspace import FILL_KIND
from job_helpers import gated_job

CTRL = Qt.KeyboardModifier.ControlModifier


def at(canvas, x, y):
    return canvas.widget_pos(QPointF(x + 0.5, y + 0.5)).toPoint()


def drag(qtbot, canvas, points):
    with qtbot.waitSignal(canvas.stroke_finished):
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, *points[0]))
        for p in points[1:]:
            qtbot.mouseMove(canvas, at(canvas, *p))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, *points[-1]))


@pytest.fixture
def compared(qtbot, workspace, photo, scratch):
    """The workspace after a Telea fill of ``scratch``: its result is being compared, not applied."""
    ws = workspace
    ws.set_document(Document(photo.copy(), scratch.copy()))
    with qtbot.waitSignal(ws.runner.job_finished, timeout=20000):
        ws.fill("telea")
    assert ws.document.proposal is not None and ws.canvas.comparing
    ws.canvas.set_brush(Brush(size=8, hardness=1.0))
    return ws


@pytest.mark.parametrize("key", ["clone", "heal"])
def test_a_stroke_on_a_compared_fill_applies_it_first_and_paints_on_it(qtbot, compared, photo, key):
    ws, canvas = compared, compared.canvas
    doc = canvas.document
    result = doc.proposal.copy()
    tool = ws.tools.choose(key)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, CTRL, at(canvas, 20, 60))
    assert doc.proposal is not None, "Ctrl+click only sets the source"
    drag(qtbot, canvas, [(60, 40), (75, 40), (90, 40)])
    assert doc.proposal is None and not canvas.comparing
    assert any("applied" in m for m in ws.messages)
    dx, dy = tool.offset
    painted = np.zeros(photo.shape[:2], bool)
    painted[36:45, 56:95] = True
    untouched = ~painted
    # Outside the stroke the photo is the fill's result (scratch filled), not the original.
    assert np.array_equal(doc.image[untouched], result[untouched])
    assert not np.array_equal(doc.image[scratch_pixels(doc)], photo[scratch_pixels(doc)])
    if key == "clone":             # the stroke copied the result's pixels, as seen on screen
        assert np.array_equal(doc.image[38:43, 62:88], result[38 + dy:43 + dy, 62 + dx:88 + dx])
    else:
        assert not np.array_equal(doc.image[38:43, 62:88], result[38:43, 62:88])
    ws.undo()                      # the stroke
    assert np.array_equal(doc.image, result)
    ws.undo()                      # the fill
    assert np.array_equal(doc.image, photo)


def scratch_pixels(doc):
    return doc.mask > 0


def test_the_mask_brush_on_a_compared_fill_keeps_comparing(qtbot, compared):
    ws, canvas = compared, compared.canvas
    ws.tools.choose("brush")
    drag(qtbot, canvas, [(100, 20), (110, 20)])
    assert canvas.document.proposal is not None and canvas.comparing


def test_a_stroke_while_a_job_runs_is_refused_and_changes_nothing(qtbot, workspace, photo):
    ws, canvas = workspace, workspace.canvas
    ws.set_document(Document(photo.copy()))
    canvas.set_brush(Brush(size=8, hardness=1.0))
    gate, waiting = gated_job()

    ws._job_label = "Fill"
    ws._submit(FILL_KIND, waiting)
    try:
        ws.tools.choose("clone")
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, CTRL, at(canvas, 20, 60))
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 60, 40))
        qtbot.mouseMove(canvas, at(canvas, 80, 40))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 80, 40))
        assert np.array_equal(canvas.document.image, photo)
        assert not canvas.document.modified
        assert any("still running" in m and "Esc" in m for m in ws.messages)
    finally:
        with qtbot.waitSignal(ws.runner.job_finished, timeout=10000):
            gate.set()


def test_a_second_fill_while_one_runs_says_the_first_is_cancelled(qtbot, workspace, photo, scratch):
    ws = workspace
    ws.set_document(Document(photo.copy(), scratch.copy()))
    gate, waiting = gated_job()

    ws._job_label = "Denoise"
    ws._submit(FILL_KIND, waiting)
    with qtbot.waitSignal(ws.runner.job_finished, timeout=20000):
        ws.fill("telea")
    gate.set()
    assert any(m.startswith("Denoise cancelled: starting") for m in ws.messages)
    assert ws.document.proposal is not None                 # the second fill's result
