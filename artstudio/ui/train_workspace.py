"""The Train workspace: train a GAN or VAE, or fine-tune a restoration network, on a folder.

A run is the runner's *background* job: it is advanced one event at a time so
Restore fills and Generate renders keep working while it trains, and it can
be paused (its generator is parked). Stop asks the job to end cleanly through
a :class:`TrainControl` (it saves and registers the model); closing the window
cancels it, and the job saves a checkpoint on its way out.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSplitter, QWidget

from ..jobs import train_defaults as D
from ..core.checkpoint_files import recover_folder
from ..jobs.quality import COUNT as QUALITY_SAMPLES, QualityPoint
from ..jobs.train_common import TrainControl, TrainLog, TrainStats, format_eta
from ..jobs.train_gen import TrainGenRequest, run_train_gen
from ..jobs.train_restore import TrainRestoreRequest, run_train_restore
from .train_monitor import TrainMonitor
from .train_panel import GENERATOR_TYPES, MODEL_TYPES, TrainPanel, TrainSettings, count_images

TRAIN_KIND = "train"
ACTIVE_STATES = ("running", "paused", "stopping")

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
        self.monitor = TrainMonitor()
        m = self.monitor
        self.samples, self.chart, self.log = m.samples, m.chart, m.log
        self.stats_label, self.progress, self.open_button = m.stats_label, m.progress, m.open_button
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(side)
        splitter.addWidget(self.monitor)
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
        self.monitor.set_state(state, state in ACTIVE_STATES, self.state in ACTIVE_STATES)
        self.state = state
        self.panel.set_run_state(state)
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
        self.trained_name = None
        self.monitor.begin(s.steps)
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
                                      control=control, quality=QUALITY_SAMPLES, text=s.text)
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
        self.monitor.stop_clock()

    # -- runner events -------------------------------------------------------------------------
    def _on_runner_pause(self, job_id: int, state: str) -> None:
        if job_id == self.job_id and self.state in ("running", "paused"):
            self._set_state(state)

    def _on_runner_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id != self.job_id:
            return
        self.monitor.set_phase(fraction, message)

    def _on_runner_preview(self, job_id: int, preview) -> None:
        if job_id == self.job_id:
            self.samples.set_image(preview.image)

    def _on_runner_event(self, job_id: int, event) -> None:
        if job_id != self.job_id:
            return
        if isinstance(event, TrainStats):
            self.monitor.add_stats(event)
        elif isinstance(event, TrainLog):
            self._log(event.line)
        elif isinstance(event, QualityPoint):
            self.monitor.add_quality(event)

    def _on_runner_finished(self, job_id: int, result) -> None:
        if job_id != self.job_id:
            return
        stopped = bool(getattr(result, "stopped", False))
        name = getattr(result, "name", None) or Path(result.weights).stem
        folder = Path(result.weights).parent
        step, steps = getattr(result, "step", None), getattr(result, "steps", None) or self._run.steps
        generator = self._run.kind in GENERATOR_TYPES
        self._log(f"{'Stopped' if stopped else 'Finished'} at step {step} of {steps} after "
                  f"{format_eta(self.monitor.elapsed_seconds())}. Saved as {name} in {folder}"
                  + (" — open it in Generate" if generator else
                     f" — choose it in the Restore panel's Network list, or use it with: "
                     f"artstudio {CLI_COMMANDS.get(self._run.kind, self._run.kind)} … --model {name}"))
        self.trained_name = name
        self.monitor.end_at(step, steps)
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
    def _show_stats(self) -> None:
        self.monitor.show_stats()

    def _log(self, line: str) -> None:
        self.monitor.append_log(line)

    def _say(self, text: str) -> None:
        self._log(text)
        self.message.emit(text)
