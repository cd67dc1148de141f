"""The Train workspace: train a GAN or VAE, or fine-tune a restoration network, on a folder.

A run is the runner's *background* job: it is advanced one event at a time so
Restore fills and Generate renders keep working while it trains, and it can
be paused (its generator is parked). Stop asks the job to end cleanly through
a :class:`TrainControl` (it saves and registers the model); closing the window
cancels it, and the job saves a checkpoint on its way out.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton, QScrollArea,
                               QSplitter, QVBoxLayout, QWidget)

from ..jobs import train_defaults as D
from ..jobs.train_checkpoint import recover_folder
from ..jobs.train_common import TrainControl, TrainLog, TrainStats, format_eta
from ..jobs.train_gen import TrainGenRequest, run_train_gen
from ..jobs.train_restore import TrainRestoreRequest, run_train_restore
from .loss_chart import LossChart
from .sample_view import SampleView
from .train_panel import GENERATOR_TYPES, MODEL_TYPES, TrainPanel, TrainSettings, count_images

TRAIN_KIND = "train"
ACTIVE_STATES = ("running", "paused", "stopping")
LOG_LINES = 5000

CLI_COMMANDS = {"inpaint": "restore", "denoise": "denoise", "sr": "upscale"}


class TrainWorkspace(QWidget):
    """Settings on the left; samples, losses, stats and the run's log in the middle.

    Parameters
    ----------
    runner : the app's JobRunner (the run is its background job).
    paths : AppPaths; models are written to ``paths.models``, dataset caches to ``paths.cache``.
    settings : Settings (for the compute device).
    jobs : optional ``{"gen": run_train_gen, "restore": run_train_restore}`` replacements
        (tests pass fakes with the same signature).

    Signals
    -------
    message : one-line text for the status bar.
    open_in_generate : (model name) the user wants to explore a model just trained.
    state_changed : (state) idle, running, paused, stopping, finished, stopped, failed, cancelled.
    """

    message = Signal(str)
    open_in_generate = Signal(str)
    state_changed = Signal(str)

    def __init__(self, runner, paths, settings, jobs: dict | None = None, parent=None):
        super().__init__(parent)
        self.runner, self.paths, self.settings = runner, paths, settings
        self.jobs = {"gen": run_train_gen, "restore": run_train_restore, **(jobs or {})}
        self.state = "idle"
        self.job_id: int | None = None
        self.control: TrainControl | None = None
        self.trained_name: str | None = None
        self._run: TrainSettings | None = None
        self._last_stats: TrainStats | None = None
        self._phase = "Starting…"
        self._elapsed, self._since = 0.0, None
        self._clock = QTimer(self, interval=1000)
        self._clock.timeout.connect(self._show_stats)
        self._build()
        self._connect()
        self._set_state("idle")
        self._recover()

    def _recover(self) -> None:
        """Finish checkpoints a killed run left half-replaced, before the panel reads their cards."""
        try:
            for name, outcome in recover_folder(self.paths.models):
                self._log(f"{name}: {'completed' if outcome == 'forward' else 'removed'} the checkpoint "
                          "a stopped run left half-written.")
        except OSError as error:       # a read-only or vanished folder: nothing to finish
            self._log(f"Could not check the models folder for interrupted checkpoints: {error}")

    # -- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.panel = TrainPanel(self.paths.models)
        side = QScrollArea()  # the panel is taller than small screens
        side.setWidget(self.panel)
        side.setWidgetResizable(True)
        side.setMinimumWidth(self.panel.minimumWidth() + 16)
        side.setMaximumWidth(self.panel.maximumWidth() + 16)
        self.samples = SampleView(placeholder="Samples from the model appear here while it trains.\n\n"
                                              "Choose a folder of images on the left and press Start.")
        self.chart = LossChart()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setPlaceholderText("The run's log")
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.stats_label = QLabel("Not training")
        self.stats_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.open_button = QPushButton("Open in Generate")
        self.open_button.setObjectName("primary")
        self.open_button.setVisible(False)
        header = QHBoxLayout()
        header.addWidget(self.stats_label, 1)
        header.addWidget(self.open_button)
        # Sample grids are square: beside them, the chart and the log use the width a wide window has.
        readouts = QSplitter(Qt.Orientation.Vertical)
        readouts.addWidget(self.chart)
        readouts.addWidget(self.log)
        readouts.setSizes([1, 1])
        middle = QSplitter(Qt.Orientation.Horizontal)
        middle.addWidget(self.samples)
        middle.addWidget(readouts)
        middle.setSizes([600, 440])       # proportions: the splitter scales them to its width
        middle.setCollapsible(0, False)
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(8, 6, 4, 4)
        column.addLayout(header)
        column.addWidget(self.progress)
        column.addWidget(middle, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(side)
        splitter.addWidget(centre)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(1, False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _connect(self) -> None:
        p, r = self.panel, self.runner
        p.start_requested.connect(self.start)
        p.pause_requested.connect(self.toggle_pause)
        p.stop_requested.connect(self.stop)
        p.changed.connect(lambda: self.panel.set_run_state(self.state))
        self.open_button.clicked.connect(lambda: self.open_in_generate.emit(self.trained_name or ""))
        r.job_progress.connect(self._on_runner_progress)
        r.job_preview.connect(self._on_runner_preview)
        r.job_event.connect(self._on_runner_event)
        r.job_finished.connect(self._on_runner_finished)
        r.job_failed.connect(self._on_runner_failed)
        r.job_cancelled.connect(self._on_runner_cancelled)
        r.job_paused.connect(lambda job_id: self._on_runner_pause(job_id, "paused"))
        r.job_resumed.connect(lambda job_id: self._on_runner_pause(job_id, "running"))

    @property
    def running(self) -> bool:
        """True while a run is under way (also when paused or stopping)."""
        return self.state in ACTIVE_STATES

    def _set_state(self, state: str) -> None:
        if state in ACTIVE_STATES and self.state not in ACTIVE_STATES:
            self._elapsed, self._since = 0.0, None
        if state == "running" and self._since is None:
            self._since = time.monotonic()
            self._clock.start()
        elif state != "running" and self._since is not None:
            self._elapsed += time.monotonic() - self._since
            self._since = None
            self._clock.stop()
        self.state = state
        self.panel.set_run_state(state)
        self._show_stats()
        self.state_changed.emit(state)

    # -- the user's commands ----------------------------------------------------------------
    def start(self) -> bool:
        """Check the form, build the request and submit the run; False (with a message) if refused."""
        if self.running:
            return False
        self.panel.refresh()                  # the folder may have changed since it was counted
        s = self.panel.settings()
        problem = self._refusal(s)
        if problem is not None:
            self._say(problem)
            return False
        control = TrainControl()
        factory = self._factory(s, control)
        try:
            job_id = self.runner.submit(TRAIN_KIND, factory, background=True)
        except RuntimeError as error:           # another background job, or the window is closing
            self._say(str(error))
            return False
        self.job_id, self.control, self._run = job_id, control, s
        self.trained_name, self._last_stats, self._phase = None, None, "Starting…"
        self.open_button.setVisible(False)
        self.progress.setValue(0)
        self.chart.clear(s.steps)
        self.samples.set_image(None)
        self._log(f"— {MODEL_TYPES[s.kind]} '{s.name}' on {s.data} ({self.panel.image_count} images): "
                  f"{s.steps} steps, batch {s.batch}, {s.size} px, seed {s.seed}"
                  + (", resuming" if s.resume else ""))
        self._set_state("running")
        return True

    def _refusal(self, s: TrainSettings) -> str | None:
        if not self.panel.folder_edit.text().strip():
            return "Choose a folder of training images first."
        if not s.data.is_dir():
            return f"Training data folder '{s.data}' does not exist."
        if count_images(s.data, limit=1) == 0:
            return f"No images in '{s.data}' (looked for PNG, JPEG, WebP, TIFF and BMP files)."
        return self.panel.name_problem()

    def _factory(self, s: TrainSettings, control: TrainControl):
        """The job for ``s``; the request is a frozen copy made here, on the GUI thread."""
        out = Path(self.paths.models)
        resume = out / f"{s.name}.safetensors" if s.resume else None
        if s.kind in GENERATOR_TYPES:
            request = TrainGenRequest(kind=s.kind, data=s.data, out=out, name=s.name, preset=s.preset,
                                      size=s.size, steps=s.steps, batch=s.batch, seed=s.seed, resume=resume,
                                      device=self.settings.device, cache=Path(self.paths.cache),
                                      control=control)
            run = self.jobs["gen"]
        else:
            request = TrainRestoreRequest(task=s.kind, data=s.data, out=out, name=s.name, steps=s.steps,
                                          size=s.size, batch=s.batch, seed=s.seed, resume=resume,
                                          device=self.settings.device, control=control, init=D.INIT,
                                          cache=Path(self.paths.cache))
            run = self.jobs["restore"]
        return lambda token: run(request, token)

    def toggle_pause(self) -> None:
        if self.state == "running":
            self.pause()
        elif self.state == "paused":
            self.resume()

    def pause(self) -> None:
        if self.job_id is not None and self.runner.pause(self.job_id):
            self._log("Paused (the step in flight finishes first).")

    def resume(self) -> None:
        if self.job_id is not None and self.runner.resume(self.job_id):
            self._log("Resumed.")

    def stop(self) -> None:
        """Ask the run to end after its current step; it saves and registers the model."""
        if self.control is None or self.state not in ("running", "paused"):
            return
        self.control.request_stop()
        paused = self.state == "paused"
        self._set_state("stopping")
        if paused:
            self.runner.resume(self.job_id)   # a parked job must run to notice the request
        self._log("Stopping after the current step and saving…")

    def shutdown(self) -> None:
        """Stop the clock before the job thread goes away (the runner closes the run itself)."""
        self._clock.stop()

    # -- runner events -------------------------------------------------------------------------
    def _on_runner_pause(self, job_id: int, state: str) -> None:
        if job_id == self.job_id and self.state in ("running", "paused"):
            self._set_state(state)

    def _on_runner_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id != self.job_id:
            return
        self.progress.setValue(int(round(fraction * 1000)))
        if message:
            self._phase = message                  # e.g. "Reading images…" before the first step
            if self._last_stats is None:
                self._show_stats()

    def _on_runner_preview(self, job_id: int, preview) -> None:
        if job_id == self.job_id:
            self.samples.set_image(preview.image)

    def _on_runner_event(self, job_id: int, event) -> None:
        if job_id != self.job_id:
            return
        if isinstance(event, TrainStats):
            self._last_stats = event
            self.chart.add_point(event.step, event.losses, event.steps)
            self.progress.setValue(int(round(event.step / max(event.steps, 1) * 1000)))
            self._show_stats()
        elif isinstance(event, TrainLog):
            self._log(event.line)

    def _on_runner_finished(self, job_id: int, result) -> None:
        if job_id != self.job_id:
            return
        stopped = bool(getattr(result, "stopped", False))
        name = getattr(result, "name", None) or Path(result.weights).stem
        folder = Path(result.weights).parent
        step, steps = getattr(result, "step", None), getattr(result, "steps", None) or self._run.steps
        generator = self._run.kind in GENERATOR_TYPES
        self._log(f"{'Stopped' if stopped else 'Finished'} at step {step} of {steps} after "
                  f"{format_eta(self._elapsed_seconds())}. Saved as {name} in {folder}"
                  + (" — open it in Generate" if generator else
                     f" — choose it in the Restore panel's Network list, or use it with: "
                     f"artstudio {CLI_COMMANDS.get(self._run.kind, self._run.kind)} … --model {name}"))
        self.trained_name = name
        self.open_button.setVisible(generator)
        if not stopped:
            self.progress.setValue(1000)
        self._end("stopped" if stopped else "finished", f"Training {'stopped' if stopped else 'finished'}: "
                  f"saved {name}")

    def _on_runner_failed(self, job_id: int, text: str) -> None:
        if job_id == self.job_id:
            self._log(f"Failed: {text}")
            self._end("failed", f"Training failed: {text}")

    def _on_runner_cancelled(self, job_id: int) -> None:
        if job_id == self.job_id:
            self._log("Cancelled (its last checkpoint is kept; tick Resume to continue it).")
            self._end("cancelled", "Training cancelled")

    def _end(self, state: str, message: str) -> None:
        self.job_id, self.control = None, None
        self._set_state(state)
        self.panel.refresh()      # the name now exists: Resume becomes possible
        self.message.emit(message)

    # -- display ------------------------------------------------------------------------------
    def _elapsed_seconds(self) -> float:
        return self._elapsed + (time.monotonic() - self._since if self._since is not None else 0.0)

    def _show_stats(self) -> None:
        s = self._last_stats
        if s is None:
            self.stats_label.setText({"idle": "Not training", "running": self._phase,
                                      "paused": f"Paused   ·   {self._phase}", "stopping": "Stopping…"}
                                     .get(self.state, self.state.capitalize()))
            return
        parts = [f"Step {s.step:,} / {s.steps:,}", f"{s.images_per_second:.1f} images/s"]
        if self.state == "running":
            parts.append(f"{format_eta(s.eta_seconds)} left")
        parts.append(f"{format_eta(self._elapsed_seconds())} elapsed")
        if self.state != "running":
            parts.append(self.state.capitalize())
        self.stats_label.setText("   ·   ".join(parts))

    def _log(self, line: str) -> None:
        self.log.appendPlainText(line)

    def _say(self, text: str) -> None:
        self._log(text)
        self.message.emit(text)
