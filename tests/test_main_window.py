import threading

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from artstudio.core.imageio import load_image, save_image
from artstudio.ui import app as app_module
from artstudio.ui import file_ops

from window_helpers import dialogs, window  # noqa: F401


@pytest.fixture
def demo(window):
    assert file_ops.open_demo(window, wait=True)
    window.restore.panel.set_method("telea")  # classical: fast, and needs no trained weights
    return window


def shortcut(qtbot, window, sequence):
    for action in window.findChildren(type(window.undo_action)):
        if any(s.toString() == sequence for s in action.shortcuts()):
            action.trigger()
            return
    raise AssertionError(f"no action has the shortcut {sequence}")


def fill_and_wait(qtbot, window):
    ids = []
    with qtbot.waitSignal(window.runner.job_finished, timeout=20000,
                          check_params_cb=lambda i, r: i in ids):
        shortcut(qtbot, window, "Ctrl+Return")
        ids.append(window.restore._fill_job)


def test_the_window_opens_on_the_demo_with_its_scratch_mask(qtbot, demo):
    doc = demo.restore.document
    assert doc.path.name == "astronaut_scratched.png"
    assert doc.mask.any() and doc.size == (512, 512)
    assert "astronaut_scratched.png" in demo.windowTitle()
    assert demo.status.size_label.text() == "512 × 512 px"
    qtbot.waitUntil(lambda: demo.status.device_label.text().startswith(("CPU", "CUDA", "Apple")), timeout=60000)


def test_fill_compare_apply_undo_redo(qtbot, demo):
    doc = demo.restore.document
    original = doc.image.copy()
    fill_and_wait(qtbot, demo)
    assert demo.restore.canvas.comparing and doc.proposal is not None
    assert np.array_equal(doc.image, original)             # nothing applied yet
    demo.restore.apply()
    keep = doc.mask == 0
    assert np.array_equal(doc.image[keep], original[keep])
    assert not np.array_equal(doc.image[~keep], original[~keep])
    assert not demo.restore.canvas.comparing
    applied = doc.image.copy()
    shortcut(qtbot, demo, "Ctrl+Z")
    assert np.array_equal(doc.image, original)
    shortcut(qtbot, demo, "Ctrl+Y")
    assert np.array_equal(doc.image, applied)
    shortcut(qtbot, demo, "Ctrl+Z")
    shortcut(qtbot, demo, "Ctrl+Shift+Z")
    assert np.array_equal(doc.image, applied)


def test_revert_drops_the_result(qtbot, demo):
    original = demo.restore.document.image.copy()
    fill_and_wait(qtbot, demo)
    demo.restore.revert()
    assert demo.restore.document.proposal is None and not demo.restore.canvas.comparing
    assert np.array_equal(demo.restore.document.image, original)


def test_fill_with_an_empty_mask_explains_instead_of_running(qtbot, demo):
    demo.restore.mask_operation("clear")
    assert demo.restore.fill() is None
    assert not demo.runner.busy


def test_mask_menu_operations_and_undo(qtbot, demo):
    mask = demo.restore.document.mask
    before = mask.copy()
    shortcut(qtbot, demo, "Ctrl+I")
    assert np.array_equal(mask, 255 - before)
    shortcut(qtbot, demo, "Ctrl+Z")
    assert np.array_equal(mask, before)
    demo.restore.mask_operation("grow", 4)
    assert np.count_nonzero(mask) > np.count_nonzero(before)
    demo.restore.mask_operation("clear")
    assert not mask.any()


def test_tool_and_view_shortcuts(qtbot, demo):
    canvas = demo.restore.canvas
    shortcut(qtbot, demo, "E")
    assert canvas.brush.mode == "erase"
    shortcut(qtbot, demo, "X")
    assert canvas.brush.mode == "paint"
    size = canvas.brush.size
    shortcut(qtbot, demo, "]")
    assert canvas.brush.size > size
    shortcut(qtbot, demo, "Ctrl+1")
    assert canvas.scale == 1.0
    shortcut(qtbot, demo, "Ctrl+=")
    assert canvas.scale == pytest.approx(1.25)
    shortcut(qtbot, demo, "Ctrl+-")
    shortcut(qtbot, demo, "Ctrl+-")
    assert canvas.scale == pytest.approx(0.8)
    shortcut(qtbot, demo, "Ctrl+0")
    assert demo.status.zoom_label.text() == f"{canvas.scale * 100:.0f}%"


def test_a_corrupt_file_shows_one_message_and_keeps_the_open_photo(qtbot, demo, dialogs, tmp_path):
    doc = demo.restore.document
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg" * 10)
    assert not demo.open_path(bad, wait=True)
    assert len(dialogs["warning"]) == 1 and "broken.jpg" in dialogs["warning"][0]
    assert "\n" not in dialogs["warning"][0]
    assert demo.restore.document is doc


def test_dropping_a_file_opens_it(qtbot, window, tmp_path, photo):
    path = tmp_path / "dropped.png"
    save_image(path, photo)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.restore.document is not None and window.restore.document.path == path)
    assert np.array_equal(window.restore.document.image, photo)


def test_a_photo_decodes_off_the_gui_thread_and_the_newest_request_wins(qtbot, window, tmp_path, photo,
                                                                       monkeypatch):
    from artstudio.jobs import open_photo

    slow, fast = tmp_path / "slow.png", tmp_path / "fast.png"
    save_image(slow, photo)
    save_image(fast, photo[::-1].copy())
    real_load, gui = open_photo.load_image, threading.get_ident()
    threads, release = [], threading.Event()

    def load(path):
        threads.append(threading.get_ident())
        if path.name == "slow.png":
            release.wait(10)             # a decode that takes a while
        return real_load(path)
    monkeypatch.setattr(open_photo, "load_image", load)
    assert window.open_path(slow)        # returns at once: the window keeps painting
    qtbot.waitUntil(lambda: len(threads) == 1)
    window.open_path(fast)               # asked for while the first still decodes
    qtbot.waitUntil(lambda: window.restore.document is not None and window.restore.document.path == fast)
    release.set()
    qtbot.wait(200)
    assert window.restore.document.path == fast          # the slow one arrived late and was dropped
    assert gui not in threads


def test_saving_over_the_original_needs_confirmation(qtbot, window, dialogs, tmp_path, photo, scratch,
                                                     monkeypatch):
    original = tmp_path / "family.png"
    save_image(original, photo)
    window.open_path(original, wait=True)
    window.restore.replace_mask(scratch, "mask")
    bytes_before = original.read_bytes()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(original), ""))
    dialogs["answer"] = QMessageBox.StandardButton.Cancel
    window.restore.document.image[scratch > 0] = 0
    assert not file_ops.save_as(window)
    assert "original photo" in dialogs["question"][-1]
    assert original.read_bytes() == bytes_before
    dialogs["answer"] = QMessageBox.StandardButton.Yes
    assert file_ops.save_as(window)
    assert load_image(original).pixels[scratch > 0].max() == 0
    asked = len(dialogs["question"])
    window.restore.document.image[:4] = 255
    window.restore.document.modified = True
    assert file_ops.save(window)                    # Ctrl+S again: its old pixels are already gone
    assert len(dialogs["question"]) == asked and load_image(original).pixels[:4].min() == 255


def test_save_as_new_file_and_export_copy(qtbot, window, dialogs, tmp_path, photo, monkeypatch):
    src = tmp_path / "in.png"
    save_image(src, photo)
    window.open_path(src, wait=True)
    out, copy = tmp_path / "out.tif", tmp_path / "copy.webp"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    assert file_ops.save_as(window)
    assert window.restore.document.path == out
    window.restore.document.modified = True
    assert file_ops.save(window) and dialogs["question"] == []     # the file ArtStudio made: no "overwrite?"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
    assert file_ops.export_copy(window)
    assert window.restore.document.path == out
    assert np.array_equal(load_image(out).pixels, photo)
    assert copy.exists()


def test_load_mask_of_the_wrong_size_is_refused(qtbot, demo, dialogs, tmp_path):
    from artstudio.core.imageio import save_mask
    small = tmp_path / "small_mask.png"
    save_mask(small, np.full((10, 10), 255, np.uint8))
    before = demo.restore.document.mask.copy()
    assert not file_ops.load_mask_file(demo, small)
    assert "small_mask.png" in dialogs["warning"][-1]
    assert np.array_equal(demo.restore.document.mask, before)


def test_closing_mid_job_cancels_and_ends_the_thread(qtbot, dialogs, tmp_path):
    w = app_module.create_window()
    qtbot.addWidget(w)
    w.show()
    big = np.random.default_rng(0).integers(0, 255, (900, 1200, 3), dtype=np.uint8)
    path = tmp_path / "big.png"
    save_image(path, big)
    w.open_path(path, wait=True)
    mask = np.zeros(big.shape[:2], np.uint8)
    for y in range(20, 900, 60):
        mask[y:y + 30, 50:1150] = 255                        # slow for biharmonic
    w.restore.replace_mask(mask, "mask")
    with qtbot.waitSignal(w.runner.job_progress, timeout=10000):
        w.restore.fill("biharmonic", 5)
    w._close_confirmed = True
    w.close()
    assert not w.runner.isRunning()


def test_unsaved_changes_are_not_lost_on_close_without_consent(qtbot, demo, dialogs):
    fill_and_wait(qtbot, demo)
    demo.restore.apply()
    dialogs["answer"] = QMessageBox.StandardButton.Cancel
    assert not demo.close()
    assert demo.isVisible() and demo.runner.isRunning()
    assert "unsaved changes" in dialogs["question"][-1]


def test_painting_through_the_window_then_undo(qtbot, demo):
    canvas = demo.restore.canvas
    demo.restore.mask_operation("clear")
    a = canvas.widget_pos(QPointF(100, 100)).toPoint()
    b = canvas.widget_pos(QPointF(300, 100)).toPoint()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(canvas, b)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=b)
    assert demo.restore.document.mask[100, 110:290].min() == 255
    assert demo.undo_action.isEnabled()
    shortcut(qtbot, demo, "Ctrl+Z")
    assert not demo.restore.document.mask.any()


def test_opened_files_appear_in_open_recent(qtbot, window, tmp_path, photo):
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    save_image(first, photo)
    save_image(second, photo[::-1].copy())
    window.open_path(first, wait=True)
    window.open_path(second, wait=True)
    window.fill_recent_menu()
    entries = [a.text() for a in window.recent_menu.actions()]
    assert entries[:2] == [str(second.resolve()), str(first.resolve())]
    window.recent_menu.actions()[1].trigger()
    qtbot.waitUntil(lambda: window.restore.document.path.name == "first.png")


def test_undoing_an_image_change_drops_a_stale_result(qtbot, demo):
    doc = demo.restore.document
    fill_and_wait(qtbot, demo)
    demo.restore.apply()
    applied = doc.image.copy()
    fill_and_wait(qtbot, demo)                    # a second result, computed from `applied`
    assert doc.proposal is not None
    shortcut(qtbot, demo, "Ctrl+Z")               # the image under it changes back
    assert doc.proposal is None and not demo.restore.canvas.comparing
    assert not np.array_equal(doc.image, applied)


def test_the_painted_mask_comes_back_when_the_photo_is_reopened(qtbot, dialogs, tmp_path, photo, scratch):
    path = tmp_path / "grandma.png"
    save_image(path, photo)
    first = app_module.create_window()
    qtbot.addWidget(first)
    first.open_path(path, wait=True)
    first.restore.replace_mask(scratch, "paint")
    first._close_confirmed = True
    first.close()
    second = app_module.create_window()
    qtbot.addWidget(second)
    second.open_path(path, wait=True)
    assert np.array_equal(second.restore.document.mask, scratch)
    assert not second.restore.document.modified
    second.restore.mask_operation("clear")
    second._close_confirmed = True
    second.close()
    third = app_module.create_window()
    qtbot.addWidget(third)
    third.open_path(path, wait=True)
    assert not third.restore.document.mask.any()
    third._close_confirmed = True
    third.close()


def test_alt_number_switches_workspaces(qtbot, window):
    shortcut(qtbot, window, "Alt+3")
    assert window.stack.currentIndex() == 2 and window.workspace_buttons.button(2).isChecked()
    shortcut(qtbot, window, "Alt+1")
    assert window.stack.currentIndex() == 0


def wait_job(qtbot, window):
    qtbot.waitUntil(lambda: window.restore._fill_job is None and not window.runner.busy, timeout=60000)


def test_upscale_compares_at_the_new_size_and_apply_is_undoable(qtbot, demo):
    doc = demo.restore.document
    original, mask = doc.image.copy(), doc.mask.copy()
    demo.restore.upscale(2, "lanczos")
    wait_job(qtbot, demo)
    assert doc.proposal.shape == (1024, 1024, 3) and demo.restore.canvas.comparing
    assert doc.image.shape == (512, 512, 3)                     # nothing applied yet
    demo.restore.apply()
    assert doc.image.shape == (1024, 1024, 3) and doc.mask.shape == (1024, 1024)
    assert demo.status.size_label.text() == "1024 × 1024 px"
    shortcut(qtbot, demo, "Ctrl+Z")
    assert np.array_equal(doc.image, original) and np.array_equal(doc.mask, mask)
    assert demo.status.size_label.text() == "512 × 512 px"
    shortcut(qtbot, demo, "Ctrl+Y")
    assert doc.image.shape == (1024, 1024, 3)


def test_median_denoise_removes_specks_and_can_be_reverted(qtbot, window, tmp_path, photo):
    noisy = photo.copy()
    rng = np.random.default_rng(3)
    specks = rng.random(photo.shape[:2]) < 0.05
    noisy[specks] = 255
    path = tmp_path / "specks.png"
    save_image(path, noisy)
    window.open_path(path, wait=True)
    window.restore.denoise("median", "saltpepper")
    wait_job(qtbot, window)
    result = window.restore.document.proposal
    at_specks = np.abs(result[specks].astype(int) - photo[specks]).mean()
    assert at_specks < np.abs(noisy[specks].astype(int) - photo[specks]).mean() / 4
    window.restore.revert()
    assert np.array_equal(window.restore.document.image, noisy)


def test_escape_cancels_the_running_job(qtbot, window):
    import time

    from artstudio.jobs.base import Progress

    def slow(token):
        for i in range(10_000):
            token.check()
            time.sleep(0.01)
            yield Progress(i / 10_000, "slow")

    with qtbot.waitSignal(window.runner.job_progress, timeout=5000):
        job = window.runner.submit("fill", slow)
    window.activateWindow()
    with qtbot.waitSignal(window.runner.job_cancelled, timeout=5000) as cancelled:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert cancelled.args == [job]


def test_a_failed_slider_render_says_so_without_a_dialog(qtbot, window, dialogs):
    from artstudio.jobs.base import JobError

    def broken(token):
        raise JobError("The generator's weights are damaged.")
        yield

    with qtbot.waitSignal(window.runner.job_ended, timeout=5000):
        window.runner.submit("generate.render", broken, latest_wins=True)
    assert dialogs["warning"] == []
    assert "damaged" in window.status.currentMessage()
    with qtbot.waitSignal(window.runner.job_ended, timeout=5000):
        window.runner.submit("restore.fill", broken)
    assert dialogs["warning"] == ["The generator's weights are damaged."]


def test_a_fill_replaced_by_a_second_one_is_not_reported_as_cancelled(qtbot, demo, monkeypatch):
    from artstudio.ui.restore_workspace import FILL_KIND
    from job_helpers import gated_job

    shown = []
    original = demo.status.showMessage
    monkeypatch.setattr(demo.status, "showMessage", lambda text, timeout=0: (shown.append(text),
                                                                                original(text, timeout)))
    gate, waiting = gated_job()
    with qtbot.waitSignal(demo.runner.job_started, timeout=10000):
        demo.restore._submit(FILL_KIND, waiting)
    fill_and_wait(qtbot, demo)
    gate.set()
    assert "Cancelled" not in shown
    assert any("cancelled: starting" in text for text in shown)
    assert any("done in" in text for text in shown)
