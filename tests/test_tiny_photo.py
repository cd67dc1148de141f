"""A 1 x 1 photo opens, paints and refuses to fill in one line (a click on it used to raise in
the canvas's composite: OpenCV's Python binding reads a 1 x 1 array as a scalar)."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from artstudio.core.display import composite
from artstudio.core.document import Document
from artstudio.core.rect import Rect
from artstudio.core.selection_outline import mask_outline
from artstudio.jobs.base import CancelToken, JobError, run_sync
from artstudio.jobs.operations import RestoreRequest, operation


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1), (2, 2)])
def test_a_fully_masked_tiny_image_is_tinted(shape):
    image = np.full(shape + (3,), 100, np.uint8)
    mask = np.full(shape, 255, np.uint8)
    out = np.zeros(shape + (4,), np.uint8)
    composite(image, mask, Rect(0, 0, shape[1], shape[0]), (255, 0, 0), 0.5, out)
    assert (out[..., 0] > 150).all() and (out[..., 1] < 80).all()


def test_the_outline_of_a_one_pixel_selection_is_a_point():
    outlines = mask_outline(np.full((1, 1), 255, np.uint8), Rect(0, 0, 1, 1))
    assert len(outlines) == 1 and np.allclose(outlines[0], [[0.5, 0.5]])


def test_painting_on_a_one_pixel_photo_through_the_canvas(qtbot, canvas):
    canvas.set_document(Document(np.full((1, 1, 3), 90, np.uint8)))
    canvas.fit()
    target = canvas.widget_pos(QPointF(0.5, 0.5)).toPoint()
    with qtbot.waitSignal(canvas.stroke_finished):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=target)
    assert canvas.document.mask[0, 0] == 255
    canvas.repaint()                                   # the tinted pixel draws


@pytest.mark.parametrize("method", ["auto", "texture", "net"])
def test_filling_a_one_pixel_photo_says_how_small_it_is(method):
    request = RestoreRequest(np.full((1, 1, 3), 90, np.uint8), np.full((1, 1), 255, np.uint8), previews=False,
                             device="cpu")
    with pytest.raises(JobError, match=r"1 x 1 px: filling needs at least 8 x 8"):
        run_sync(operation("fill", method).job(request, CancelToken()))
