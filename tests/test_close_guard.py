"""Issue 15 B10: closing the window during a long job (Deep Image Prior) asks first."""

import threading
import time

import numpy as np
from PySide6.QtWidgets import QMessageBox

from artstudio.core.document import Document
from artstudio.jobs.base import Progress
from window_helpers import dialogs, window  # noqa: F401


def waiting_job(fraction, release):
    """A job that reports ``fraction`` done, then runs until cancelled or ``release`` is set."""
    def job(token):
        yield Progress(fraction, "Slow thing: step 1")
        while not release.is_set():
            token.check()
            time.sleep(0.01)
        return None
    return job


def test_closing_during_deep_image_prior_asks_and_cancel_keeps_it_running(qtbot, window, dialogs, photo):
    ws = window.restore
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[30:50, 40:70] = 255
    ws.set_document(Document(photo.copy(), mask))
    dialogs["answer"] = QMessageBox.StandardButton.Yes                 # yes, start the DIP run
    with qtbot.waitSignal(window.runner.job_progress, timeout=40000,
                          check_params_cb=lambda i, f, m: "iteration" in m):
        ws.fill("dip")
    assert dialogs["question"] and "Deep Image Prior" in dialogs["question"][-1]
    qtbot.wait(300)                                    # the window has heard its progress
    dialogs["answer"] = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert "Deep Image Prior fill is still running" in dialogs["question"][-1]
    assert "to go" in dialogs["question"][-1]
    assert window.isVisible() and window.runner.busy
    with qtbot.waitSignal(window.runner.job_progress, timeout=20000):   # it goes on
        pass
    dialogs["answer"] = QMessageBox.StandardButton.Close
    with qtbot.waitSignal(window.runner.job_cancelled, timeout=20000):
        assert window.close()
    assert not window.runner.isRunning()


def test_a_job_that_will_run_long_asks_before_it_is_ended(qtbot, window, dialogs):
    release = threading.Event()
    with qtbot.waitSignal(window.runner.job_progress, timeout=5000):
        window.runner.submit("restore.fill", waiting_job(0.0001, release))   # ~100 s at this pace
    qtbot.wait(300)
    dialogs["answer"] = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert "Slow thing is still running" in dialogs["question"][-1]
    release.set()


def test_a_short_job_ends_with_the_window_without_a_question(qtbot, window, dialogs):
    release = threading.Event()
    with qtbot.waitSignal(window.runner.job_progress, timeout=5000):
        window.runner.submit("restore.fill", waiting_job(0.9, release))
    qtbot.wait(100)                                    # its progress has arrived: nearly done
    assert window.close()
    assert dialogs["question"] == [] and not window.runner.isRunning()
