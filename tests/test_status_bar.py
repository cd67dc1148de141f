"""The status bar as the user sees it (issue 15 B8: a long message overlapped the device label)."""

from __future__ import annotations

import numpy as np
import pytest

from artstudio.ui.qimage import from_qimage
from artstudio.ui.status_bar import StudioStatusBar

LONG = ("Could not open 'a-very-long-file-name-from-the-scanner-archive-of-1957.tif': the file ends "
        "before its last row, it may be a truncated download; nothing was changed")


def pixels(widget) -> np.ndarray:
    return from_qimage(widget.grab().toImage())


@pytest.mark.parametrize("busy", [False, True])
def test_a_long_message_never_draws_over_the_device_label(qtbot, busy):
    bar = StudioStatusBar()
    qtbot.addWidget(bar)
    bar.resize(640, 28)
    bar.set_device("CUDA: NVIDIA H200 (139 GB)")
    bar.set_image_size(6000, 4000)
    bar.set_zoom(0.25)
    bar.set_busy(busy)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(50)
    label = bar.device_label.geometry()
    quiet = pixels(bar)
    if busy:
        bar.set_progress(0.5, LONG)
    else:
        bar.showMessage(LONG)
    qtbot.wait(50)
    loud = pixels(bar)
    assert bar.currentMessage() == LONG
    assert not np.array_equal(quiet, loud)                       # the message is drawn...
    x0, x1 = label.x() - 2, label.right() + 1
    assert np.array_equal(quiet[:, x0:x1], loud[:, x0:x1])      # ...but not over the label
