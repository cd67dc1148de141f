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


def test_a_refusal_stays_readable_while_a_job_reports_progress(qtbot, monkeypatch):
    from artstudio.ui import status_bar

    clock = [100.0]
    monkeypatch.setattr(status_bar.time, "monotonic", lambda: clock[0])
    bar = StudioStatusBar()
    qtbot.addWidget(bar)
    bar.set_busy(True)
    bar.set_progress(0.1, "Content-aware fill: variation 1 of 3")
    assert bar.currentMessage() == "Content-aware fill: variation 1 of 3"
    bar.showMessage("Content-aware fill is still running: wait for it, or press Esc", 6000)
    for t in (100.1, 101.0, 103.9):                  # progress ticks several times a second
        clock[0] = t
        bar.set_progress(0.5, "Content-aware fill: variation 2 of 3")
        assert bar.currentMessage().startswith("Content-aware fill is still running")
        assert bar.progress.value() == 500           # the bar itself keeps moving
    clock[0] = 104.1
    bar.set_progress(0.7, "Content-aware fill: variation 3 of 3")
    assert bar.currentMessage() == "Content-aware fill: variation 3 of 3"
