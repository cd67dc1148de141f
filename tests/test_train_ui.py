"""The Train workspace as a user drives it, with fake training jobs (and one real, tiny run)."""

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from artstudio.core.paths import AppPaths
from artstudio.core.settings import Settings
from artstudio.jobs.base import JobError, Preview, Progress
from artstudio.jobs.train_common import TrainLog, TrainResult, TrainStats
from artstudio.jobs.train_gen import TrainGenRequest
from artstudio.jobs.train_restore import TrainRestoreRequest
from artstudio.ui import app as app_module
from artstudio.ui.train_panel import count_images
from artstudio.ui.train_workspace import TrainWorkspace

LONG = 1_000_000


class FakeTraining:
    """A stand-in for run_train_gen / run_train_restore: one TrainStats per step,
    a log line, a sample grid every 5 steps; honours stop, cancel and close."""

    def __init__(self, delay=0.002, fail_at=None, stats_every=1):
        self.delay, self.fail_at, self.stats_every = delay, fail_at, stats_every
        self.requests, self.steps_done, self.closed = [], [], []

    def __call__(self, request, token):
        self.requests.append(request)
        return self._run(request, token)

    def _result(self, request, step, stopped):
        weights = Path(request.out) / f"{request.name}.safetensors"
        return TrainResult(request.name, getattr(request, "kind", "restore"), weights,
                           weights.with_suffix(".json"), step, request.steps, stopped, 1.0, 6)

    def _run(self, request, token):
        try:
            yield Progress(0.0, "Reading images…")
            yield TrainLog("6 images, 0 skipped")
            for step in range(1, request.steps + 1):
                if request.control.stop_requested:
                    return self._result(request, step - 1, stopped=True)
                token.check()
                if step == self.fail_at:
                    raise JobError("No usable images: every file is damaged.")
                time.sleep(self.delay)
                self.steps_done.append(step)
                if step % self.stats_every == 0:
                    yield TrainStats(step, request.steps, {"D": 1.0 / step, "G": 2.0 + step / 100}, 250.0,
                                     (request.steps - step) * self.delay)
                if step % 5 == 0:
                    yield Preview(np.full((16, 32, 3), step % 256, np.uint8))
            return self._result(request, request.steps, stopped=False)
        finally:
            self.closed.append(True)


def write_images(folder: Path, count: int = 6, size: int = 80) -> Path:
    rng = np.random.default_rng(0)
    (folder / "nested").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / ("nested" if i >= 4 else "") / f"img{i}.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


@pytest.fixture
def images(tmp_path):
    return write_images(tmp_path / "photos")


@pytest.fixture
def fake():
    return FakeTraining()


@pytest.fixture
def paths():
    return AppPaths.from_environment().ensure()


@pytest.fixture
def ws(qtbot, runner, fake, paths):
    w = TrainWorkspace(runner, paths, Settings(), jobs={"gen": fake, "restore": fake})
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    return w


def click(qtbot, button):
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def start(qtbot, ws, images, **fields):
    ws.panel.configure(folder=images, name=fields.pop("name", "my-faces"), **fields)
    with qtbot.waitSignal(ws.runner.job_started, timeout=5000):
        click(qtbot, ws.panel.start_button)


def buttons(ws):
    p = ws.panel
    return p.start_button.isEnabled(), p.pause_button.isEnabled(), p.stop_button.isEnabled()


def log_text(ws):
    return ws.log.toPlainText()


def test_images_are_counted_recursively_by_extension_as_the_jobs_scan_them(images):
    (images / ".thumbs").mkdir()
    for hidden in (images / ".thumbs" / "a.png", images / ".b.png"):
        hidden.write_bytes(b"")
    assert count_images(images) == 6
    assert count_images(images, limit=3) == 3
    assert count_images(images / "missing") == 0


def test_start_needs_a_folder_with_images_and_a_valid_name(ws, images, tmp_path):
    p = ws.panel
    assert buttons(ws) == (False, False, False)
    p.configure(name="my-faces")
    assert not p.start_button.isEnabled()
    p.configure(folder=tmp_path / "nowhere")
    assert "does not exist" in p.count_label.text() and not p.start_button.isEnabled()
    (tmp_path / "empty").mkdir()
    p.configure(folder=tmp_path / "empty")
    assert "No images" in p.count_label.text() and not p.start_button.isEnabled()
    p.configure(folder=images)
    assert p.count_label.text() == "6 images found" and p.start_button.isEnabled()
    p.configure(name="dcgan-faces")
    assert "built-in" in p.name_hint.text() and not p.start_button.isEnabled()
    p.configure(name="bad name")
    assert not p.start_button.isEnabled()
    p.configure(name="")
    assert not p.start_button.isEnabled()


def test_a_run_updates_stats_chart_log_and_samples_and_offers_generate(qtbot, ws, images, fake, paths):
    start(qtbot, ws, images, kind="gan", steps=20, batch=4, seed=7)
    assert ws.state in ("running", "finished")
    request = fake.requests[0]
    assert isinstance(request, TrainGenRequest) and dataclasses.is_dataclass(request)
    assert (request.kind, request.preset, request.size, request.steps, request.batch, request.seed) == \
        ("gan", "stable", 64, 20, 4, 7)
    assert request.data == images and request.out == paths.models and request.cache == paths.cache
    assert request.control is ws.control and request.resume is None
    qtbot.waitUntil(lambda: ws.state == "finished", timeout=5000)
    assert "Step 20 / 20" in ws.stats_label.text() and "elapsed" in ws.stats_label.text()
    assert set(ws.chart.series) == {"D", "G"} and len(ws.chart.series["G"]) == 20
    assert ws.chart.series["D"][-1] == (20, pytest.approx(1 / 20))
    log = log_text(ws)
    assert "6 images, 0 skipped" in log and "Finished at step 20 of 20" in log
    assert f"Saved as my-faces in {paths.models} — open it in Generate" in log
    assert ws.samples.has_image()
    assert buttons(ws) == (True, False, False) and ws.panel.type_combo.isEnabled()
    assert ws.open_button.isVisible()
    with qtbot.waitSignal(ws.open_in_generate) as opened:
        click(qtbot, ws.open_button)
    assert opened.args == ["my-faces"]


def test_buttons_follow_the_run_and_pause_stops_progress_until_resume(qtbot, ws, images, fake):
    start(qtbot, ws, images, steps=LONG)
    qtbot.waitUntil(lambda: len(fake.steps_done) >= 3, timeout=5000)
    assert ws.state == "running" and buttons(ws) == (False, True, True)
    assert not ws.panel.type_combo.isEnabled() and not ws.panel.folder_edit.isEnabled()
    click(qtbot, ws.panel.pause_button)
    assert ws.state == "paused" and ws.panel.pause_button.text() == "Resume"
    assert "Paused" in ws.stats_label.text()
    qtbot.waitUntil(lambda: not ws.runner.busy, timeout=2000)   # the step in flight is done
    parked = len(fake.steps_done)
    with pytest.raises(qtbot.TimeoutError):
        qtbot.waitUntil(lambda: len(fake.steps_done) > parked, timeout=200)
    click(qtbot, ws.panel.pause_button)
    assert ws.state == "running" and ws.panel.pause_button.text() == "Pause"
    qtbot.waitUntil(lambda: len(fake.steps_done) > parked + 3, timeout=5000)
    assert not fake.closed


def test_stop_asks_the_job_to_stop_and_ends_stopped(qtbot, ws, images, fake):
    start(qtbot, ws, images, kind="vae", steps=LONG)
    qtbot.waitUntil(lambda: len(fake.steps_done) >= 2, timeout=5000)
    click(qtbot, ws.panel.stop_button)
    assert fake.requests[0].control.stop_requested
    assert ws.state in ("stopping", "stopped")
    qtbot.waitUntil(lambda: ws.state == "stopped", timeout=5000)
    assert "Stopped at step" in log_text(ws) and "Saved as my-faces" in log_text(ws)
    assert fake.closed and buttons(ws) == (True, False, False)
    assert ws.open_button.isVisible() and ws.trained_name == "my-faces"


def test_the_header_ends_on_the_step_the_log_reports_not_the_last_stats_step(qtbot, ws, images, fake):
    # Runs send stats every few steps; the header said "Step 250" while the log said 252 (issue 15 B8).
    fake.stats_every = 7
    start(qtbot, ws, images, steps=LONG)
    qtbot.waitUntil(lambda: len(fake.steps_done) >= 10 and len(fake.steps_done) % 7 != 0, timeout=5000)
    click(qtbot, ws.panel.stop_button)
    qtbot.waitUntil(lambda: ws.state == "stopped", timeout=5000)
    stopped_at = int(log_text(ws).split("Stopped at step ")[1].split()[0])
    assert stopped_at == len(fake.steps_done)
    assert f"Step {stopped_at:,} / " in ws.stats_label.text()


def test_stop_while_paused_resumes_so_the_run_can_stop(qtbot, ws, images, fake):
    start(qtbot, ws, images, steps=LONG)
    qtbot.waitUntil(lambda: len(fake.steps_done) >= 2, timeout=5000)
    click(qtbot, ws.panel.pause_button)
    click(qtbot, ws.panel.stop_button)
    assert buttons(ws) == (False, False, False)
    qtbot.waitUntil(lambda: ws.state == "stopped", timeout=5000)
    assert ws.runner.background_job is None


def test_a_failure_is_shown_in_the_log_and_the_status_bar(qtbot, ws, images, fake):
    fake.fail_at = 3
    ws.panel.configure(folder=images, name="broken", steps=50)
    with qtbot.waitSignal(ws.message, timeout=5000,
                          check_params_cb=lambda text: "every file is damaged" in text):
        click(qtbot, ws.panel.start_button)
    assert ws.state == "failed" and "Failed" in ws.stats_label.text()
    assert "Failed: No usable images: every file is damaged." in log_text(ws)
    assert buttons(ws) == (True, False, False) and not ws.open_button.isVisible()


def test_a_folder_that_emptied_since_it_was_counted_is_refused(qtbot, ws, images, fake):
    ws.panel.configure(folder=images, name="my-faces")
    for png in images.rglob("*.png"):
        png.unlink()
    with qtbot.waitSignal(ws.message, timeout=1000) as said:
        ws.panel.start_button.click()
    assert "No images" in said.args[0] and not fake.requests and ws.state == "idle"
    assert not ws.panel.start_button.isEnabled()


def test_preset_only_for_gan_and_restoration_offers_crop_sizes(ws):
    p = ws.panel
    p.configure(kind="gan")
    assert p.preset_combo.isEnabled() and p.size_label.text() == "Resolution"
    p.configure(kind="vae")
    assert not p.preset_combo.isEnabled() and not p.text_combo.isEnabled()
    assert [p.size_combo.itemData(i) for i in range(p.size_combo.count())] == [32, 64, 128]
    p.configure(kind="cgan")
    assert p.text_combo.isEnabled() and not p.preset_combo.isEnabled() and "caption" in p.type_hint.text()
    p.configure(kind="denoise")
    assert not p.preset_combo.isEnabled() and p.size_label.text() == "Crop size"
    assert [p.size_combo.itemData(i) for i in range(p.size_combo.count())] == [64, 128, 256]
    assert p.size_combo.currentData() == 128 and p.batch_spin.value() == 8
    p.configure(kind="gan")
    assert p.batch_spin.value() == 32 and p.size_combo.currentData() == 64


def test_an_existing_model_can_be_resumed(qtbot, ws, images, fake, paths):
    (paths.models / "my-faces.safetensors").write_bytes(b"weights")
    (paths.models / "my-faces.json").write_text(json.dumps({"kind": "gan", "step": 1500, "steps": 2000}))
    p = ws.panel
    p.configure(folder=images, name="other")
    assert not p.resume_check.isEnabled()
    p.configure(name="my-faces")
    assert p.resume_check.isEnabled()
    assert "exists (gan, step 1500 of 2000): it will be overwritten" in p.name_hint.text()
    p.configure(resume=True, steps=3)
    assert "Continues my-faces" in p.name_hint.text()
    with qtbot.waitSignal(ws.state_changed, timeout=5000, check_params_cb=lambda s: s == "finished"):
        click(qtbot, p.start_button)
    assert fake.requests[0].resume == paths.models / "my-faces.safetensors"


def test_resume_adopts_the_checkpoint_recipe_batch_and_size(qtbot, ws, images, fake, paths):
    (paths.models / "my-faces.safetensors").write_bytes(b"weights")
    card = {"kind": "gan", "step": 10, "steps": 20, "recipe": {"kind": "gan", "batch": 12, "size": 128}}
    (paths.models / "my-faces.json").write_text(json.dumps(card))
    p = ws.panel
    p.configure(folder=images, kind="gan", name="my-faces")
    assert p.batch_spin.value() == 32                      # the type's default until Resume is ticked
    p.configure(resume=True, steps=3)
    assert p.batch_spin.value() == 12 and p.size_combo.currentData() == 128
    with qtbot.waitSignal(ws.state_changed, timeout=5000, check_params_cb=lambda s: s == "finished"):
        click(qtbot, p.start_button)
    assert (fake.requests[0].batch, fake.requests[0].size) == (12, 128)


def test_restoration_fine_tuning_builds_its_request(qtbot, ws, images, fake, paths):
    start(qtbot, ws, images, kind="sr", size=64, steps=5)
    qtbot.waitUntil(lambda: ws.state == "finished", timeout=5000)
    request = fake.requests[0]
    assert isinstance(request, TrainRestoreRequest)
    assert (request.task, request.size, request.init) == ("sr", 64, "shipped")
    assert "artstudio upscale … --model my-faces" in log_text(ws) and not ws.open_button.isVisible()


# -- in the main window ------------------------------------------------------------------

@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)
    w = app_module.create_window()    # not shown: no device probe, so no torch import
    qtbot.addWidget(w)
    yield w
    w._close_confirmed = True
    w.close()
    assert not w.runner.isRunning()


def trigger(window, sequence):
    for action in window.findChildren(type(window.undo_action)):
        if any(s.toString() == sequence for s in action.shortcuts()):
            action.trigger()
            return action
    raise AssertionError(f"no action has the shortcut {sequence}")


def test_alt_3_opens_train_and_open_in_generate_selects_the_model(qtbot, window, monkeypatch):
    action = trigger(window, "Alt+3")
    assert action.text() == "Train Workspace"
    assert window.stack.currentWidget() is window.train and window.workspace_buttons.button(2).isChecked()
    chosen = []
    monkeypatch.setattr(window.generate, "select_model", lambda name, then=None: chosen.append(name))
    monkeypatch.setattr(window.generate, "activate", lambda: None)
    window.train.open_in_generate.emit("my-faces")
    assert window.stack.currentWidget() is window.generate and chosen == ["my-faces"]


def test_closing_the_window_mid_run_asks_then_closes_the_parked_run(qtbot, window, images, monkeypatch):
    fake = FakeTraining()
    ws = window.train
    ws.jobs.update(gen=fake, restore=fake)
    trigger(window, "Alt+3")
    start(qtbot, ws, images, steps=LONG)
    qtbot.waitUntil(lambda: len(fake.steps_done) >= 2, timeout=5000)
    ws.pause()
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert "training run is in progress" in asked[0] and window.runner.isRunning()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Close)
    assert window.close()
    assert not window.runner.isRunning() and fake.closed == [True]


# -- the real job ------------------------------------------------------------------------

def test_a_real_tiny_vae_trains_from_the_workspace(qtbot, runner, paths, tmp_path):
    images = write_images(tmp_path / "tiny")
    ws = TrainWorkspace(runner, paths, Settings(device="cpu"))
    qtbot.addWidget(ws)
    ws.panel.configure(folder=images, kind="vae", size=64, steps=3, batch=2, name="tiny-vae")
    with qtbot.waitSignal(ws.state_changed, timeout=120_000,
                          check_params_cb=lambda s: s in ("finished", "failed", "cancelled")):
        assert ws.start()
    assert ws.state == "finished", log_text(ws)
    assert (paths.models / "tiny-vae.safetensors").is_file()
    assert "Step 3 / 3" in ws.stats_label.text() and ws.chart.series
    assert "Saved as tiny-vae" in log_text(ws)


def test_the_loss_chart_draws_losses_orders_of_magnitude_apart(qtbot):
    from artstudio.ui.loss_chart import LossChart, tick_label

    chart = LossChart()
    qtbot.addWidget(chart)
    chart.resize(400, 200)
    blank = chart.grab().toImage()
    for step in range(5, 65, 5):
        chart.add_point(step, {"recon": 8500.0 - step, "KL": 100.0 / step}, steps=60)
    assert chart._ranges()[4]                                # log scale: both lines are readable
    assert chart.grab().toImage() != blank
    assert [tick_label(v) for v in (0.0123, 8517, 13400, 1.2e-5)] == ["0.0123", "8517", "13.4k", "1.2e-05"]


def test_restore_shows_a_training_run_going_on_in_the_background(qtbot, runner, fake, paths, images, workspace):
    # issue 15: "no sign in Restore that a training run is going on in the background"
    train = TrainWorkspace(runner, paths, Settings(), jobs={"gen": fake, "restore": fake})
    qtbot.addWidget(train)
    badge = workspace.training
    assert not badge.isVisible()
    start(qtbot, train, images, steps=LONG)
    qtbot.waitUntil(lambda: badge.isVisible() and "step" in badge.label.text(), timeout=5000)
    assert "Training running in the background: step" in badge.label.text()
    click(qtbot, train.panel.pause_button)
    assert "paused" in badge.label.text()
    with qtbot.waitSignal(badge.show_train):
        click(qtbot, badge.open_button)
    click(qtbot, train.panel.pause_button)
    click(qtbot, train.panel.stop_button)
    qtbot.waitUntil(lambda: train.state == "stopped", timeout=5000)
    assert not badge.isVisible()


def test_typing_a_folder_counts_its_images_once_typing_pauses(qtbot, ws, images):
    p = ws.panel
    qtbot.keyClicks(p.folder_edit, str(images))
    assert p.count_label.text() != "6 images found"          # not walked once per key
    qtbot.waitUntil(lambda: p.count_label.text() == "6 images found", timeout=3000)
