"""After a crash the next start offers the work back, undo history included; SIGTERM keeps it too."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from artstudio.core.imageio import save_image
from artstudio.core.recovery import find_crashed
from artstudio.ui import app as app_module
from artstudio.ui.crash_guard import offer_recovery


@pytest.fixture
def answer(monkeypatch):
    said = {"answer": QMessageBox.StandardButton.Yes, "asked": []}

    def question(parent, title, text, *args):
        said["asked"].append(text)
        return said["answer"]
    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)
    return said


def _window(qtbot):
    w = app_module.create_window()
    qtbot.addWidget(w)
    return w


def _crash(window):
    """What a kill -9 leaves: the journal as last written, the process gone."""
    assert window.crash_guard.flush()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    folder = window.crash_guard.journal.folder
    os.rename(folder, folder.with_name(f"session-{child.pid}"))
    window.crash_guard.journal.folder = folder.with_name("gone")   # the dead process writes no more
    window._close_confirmed = True
    window.close()


def _painted(qtbot, path, photo, scratch):
    """A window on ``photo`` (saved as ``path``) with ``scratch`` painted as its mask."""
    save_image(path, photo)
    window = _window(qtbot)
    window.open_path(path, wait=True)
    window.restore.replace_mask(scratch, "Paint")
    return window


def test_painted_mask_and_applied_fill_come_back_with_their_undo_steps(qtbot, answer, tmp_path, photo, scratch):
    path = tmp_path / "grandma.png"
    first = _painted(qtbot, path, photo, scratch)
    doc = first.restore.document
    doc.set_proposal(np.full_like(doc.image, 9))
    doc.apply_proposal("Fill")
    image, mask = doc.image.copy(), doc.mask.copy()
    _crash(first)

    second = _window(qtbot)
    assert offer_recovery(second)
    assert "grandma.png" in answer["asked"][0] and "2 undo steps" in answer["asked"][0]
    back = second.restore.document
    assert np.array_equal(back.image, image) and np.array_equal(back.mask, mask)
    assert back.modified and back.path == path
    second.undo_action.trigger()                     # the fill, undone as in the first session
    assert np.array_equal(second.restore.document.image, photo)
    assert find_crashed(second.paths.autosave) == []
    second._close_confirmed = True
    second.close()
    assert not second.crash_guard.journal.folder.exists()    # closed cleanly: nothing to offer


def test_declining_forgets_the_journal(qtbot, answer, tmp_path, photo, scratch):
    first = _painted(qtbot, tmp_path / "p.png", photo, scratch)
    _crash(first)
    answer["answer"] = QMessageBox.StandardButton.No
    second = _window(qtbot)
    assert not offer_recovery(second)
    assert find_crashed(second.paths.autosave) == []
    second._close_confirmed = True
    second.close()


def test_a_clean_close_leaves_nothing_to_recover(qtbot, answer):
    w = _window(qtbot)
    w.crash_guard.flush()
    assert w.crash_guard.journal.folder.exists()
    w._close_confirmed = True
    w.close()
    assert not w.crash_guard.journal.folder.exists()
    assert not offer_recovery(_window(qtbot)) and answer["asked"] == []


DRIVER = """
import sys
from pathlib import Path
import numpy as np
from PySide6.QtCore import QTimer
from artstudio.ui import app as app_module
orig = app_module._first_open
def first_open(window, photo):
    def paint(*_):                       # once the photo, decoded off the GUI thread, is shown
        mask = np.zeros(window.restore.document.mask.shape, np.uint8)
        mask[10:40, 10:60] = 255
        window.restore.replace_mask(mask, "Paint")
        print("PAINTED", flush=True)
    window.photo_loader.opened.connect(lambda *_: QTimer.singleShot(0, paint))
    orig(window, photo)
app_module._first_open = first_open
sys.exit(app_module.main(sys.argv[1]))
"""


def test_sigterm_keeps_the_work_for_the_next_start(tmp_path, photo):
    path = tmp_path / "scan.png"
    save_image(path, photo)
    home = tmp_path / "home"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ARTSTUDIO_HOME": str(home)}
    child = subprocess.Popen([sys.executable, "-c", DRIVER, str(path)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "PAINTED", child.stderr.read()
        time.sleep(0.3)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
    crashed = find_crashed(home / "autosave")
    assert len(crashed) == 1
    from artstudio.core.recovery import read_journal
    back = read_journal(crashed[0])
    assert back.photo == path and int(back.mask[10:40, 10:60].min()) == 255 and back.image is None


def test_generate_state_and_favourites_come_back(qtbot, answer):
    first = _window(qtbot)
    first.show()
    gen = first.generate
    first.show_workspace(1)
    qtbot.waitUntil(lambda: gen.info is not None and gen.view.has_image(), timeout=30000)
    qtbot.waitUntil(lambda: not first.runner.busy, timeout=30000)
    gen.add_favourite()
    gen.randomize()
    qtbot.waitUntil(lambda: not gen.jobs.pending("generate.render"), timeout=30000)
    gen.add_favourite()
    gen.session.set_edit(0, 1.5)
    state, favourites = gen.state, [s.latent.copy() for s in gen.session.favourites]
    _crash(first)

    second = _window(qtbot)
    second.show()
    assert offer_recovery(second)
    qtbot.waitUntil(lambda: second.generate.state is not None and second.generate.info is not None,
                    timeout=30000)
    back = second.generate.state
    assert back.model == state.model and back.seed == state.seed and back.edits == state.edits
    assert np.array_equal(back.latent, state.latent)
    assert [s.latent.tolist() for s in second.generate.session.favourites] == [f.tolist() for f in favourites]
    second._close_confirmed = True
    second.close()


def _filled(qtbot, path, photo, scratch):
    """``_painted`` plus an applied fill: unsaved changes to the photo itself."""
    window = _painted(qtbot, path, photo, scratch)
    doc = window.restore.document
    doc.set_proposal(np.full_like(doc.image, 9))
    doc.apply_proposal("Fill")
    assert doc.modified
    return window


def test_starting_on_a_photo_after_a_crash_keeps_the_recovered_work_without_asking_to_save_it(
        qtbot, answer, tmp_path, photo, scratch):
    path = tmp_path / "grandma.png"
    _crash(_filled(qtbot, path, photo, scratch))
    second = _window(qtbot)
    app_module._first_open(second, str(path))          # `artstudio grandma.png`, Yes to recover
    assert len(answer["asked"]) == 1 and "Recover" in answer["asked"][0]
    back = second.restore.document
    assert back.path == path and np.array_equal(back.mask, scratch) and back.modified
    second._close_confirmed = True
    second.close()


def test_starting_on_another_photo_after_a_crash_says_why_it_was_not_opened(
        qtbot, answer, tmp_path, photo, scratch):
    _crash(_filled(qtbot, tmp_path / "grandma.png", photo, scratch))
    other = tmp_path / "other.png"
    save_image(other, photo[::-1].copy())
    second = _window(qtbot)
    app_module._first_open(second, str(other))
    assert len(answer["asked"]) == 1                   # no "save them first?" over the recovered work
    assert second.restore.document.path.name == "grandma.png"
    message = second.status.currentMessage()
    assert "other.png was not opened" in message and "Ctrl+O" in message
    second._close_confirmed = True
    second.close()


def test_declining_recovery_opens_the_photo_asked_for(qtbot, answer, tmp_path, photo, scratch):
    _crash(_filled(qtbot, tmp_path / "grandma.png", photo, scratch))
    other = tmp_path / "other.png"
    save_image(other, photo[::-1].copy())
    answer["answer"] = QMessageBox.StandardButton.No
    second = _window(qtbot)
    app_module._first_open(second, str(other))
    qtbot.waitUntil(lambda: second.restore.document is not None
                    and second.restore.document.path == other, timeout=10000)
    second._close_confirmed = True
    second.close()
