"""The main window: wires workspaces, menus, shortcuts, status bar and the job thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStackedWidget

from .. import __version__
from ..core.paths import AppPaths
from ..core.settings import Settings
from ..jobs.system import run_probe_device
from . import file_ops, generate_files, menus
from .close_guard import LongJobWatch
from .crash_guard import CrashGuard
from .photo_loader import PhotoLoader
from .job_runner import JobOutcome, JobRunner
from .generate_workspace import GenerateWorkspace
from .restore_workspace import RestoreWorkspace
from .status_bar import StudioStatusBar
from .stylize_controller import stylize_generated_with_palette
from .train_workspace import TRAIN_KIND, TrainWorkspace
from .view_panels import ViewPanels

WORKSPACES = ("Restore", "Generate", "Train")
DEVICE_PROBE_DELAY_MS = 300
# Jobs too short or too frequent (slider renders) to flash the progress bar for, and the
# training run, which shows its own progress in the Train workspace.
QUIET_KINDS = {"device", "generate.render", "generate.describe", TRAIN_KIND}
# Jobs that only refresh a preview: their failures are not worth a dialog.
PREVIEW_KINDS = {"generate.render", "generate.frames", "generate.breed", "generate.describe"}


class MainWindow(QMainWindow):
    def __init__(self, paths: AppPaths, settings: Settings):
        super().__init__()
        self.paths, self.settings = paths, settings
        self.setWindowTitle("ArtStudio")
        self.setAcceptDrops(True)
        self.resize(1400, 900)
        self.runner = JobRunner(self)
        self.restore = RestoreWorkspace(self.runner, paths, settings)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.restore)
        self.generate = GenerateWorkspace(self.runner, paths, settings)
        self.stack.addWidget(self.generate)
        self.train = TrainWorkspace(self.runner, paths, settings)
        self.stack.addWidget(self.train)
        self.setCentralWidget(self.stack)
        self.status = StudioStatusBar()
        self.setStatusBar(self.status)
        self.photo_loader = PhotoLoader(self)
        self.workspace_buttons = menus.build_workspace_bar(self, WORKSPACES)
        self.panels = ViewPanels(self)          # Navigator, History, the zoom field
        self.undo_action, self.redo_action, self.recent_menu = menus.build_menus(self, WORKSPACES)
        self._connect()
        self.runner.start()
        self.crash_guard = CrashGuard(self)
        self.long_jobs = LongJobWatch(self.runner, QUIET_KINDS | PREVIEW_KINDS)
        self._device_job: int | None = None
        self._loud_job: int | None = None
        self._close_confirmed = False
        self._keep_journal = False

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._device_job is None:
            # Importing torch holds the GIL for over a second; start it only
            # once the window has had time to paint.
            self._device_job = 0
            QTimer.singleShot(DEVICE_PROBE_DELAY_MS, self, lambda: self._probe_device(self.settings.device))

    def _probe_device(self, preference: str) -> None:
        if self.runner.isRunning():
            self._device_job = self.runner.submit(
                "device", lambda token: run_probe_device(preference, token))

    # -- construction ------------------------------------------------------------------
    def show_workspace(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.workspace_buttons.button(index).setChecked(True)
        if self.stack.currentWidget() is self.generate:
            self.generate.activate()
        self.panels.follow_workspace(self.stack.currentWidget() is self.restore)
        self._on_document_changed()

    def undo(self) -> None:
        (self.generate if self.stack.currentWidget() is self.generate else self.restore).undo()
        self._on_document_changed()

    def redo(self) -> None:
        (self.generate if self.stack.currentWidget() is self.generate else self.restore).redo()
        self._on_document_changed()

    def _connect(self) -> None:
        r, ws = self.runner, self.restore
        file_ops.connect_photo_loader(self)
        r.job_started.connect(self._on_runner_started)
        r.job_progress.connect(self._on_runner_progress)
        r.job_ended.connect(self._on_runner_ended)
        r.foreground_idle.connect(lambda: self.status.set_busy(False))
        ws.training.show_train.connect(lambda: self.show_workspace(WORKSPACES.index("Train")))
        self.status.cancel_requested.connect(self.runner.cancel)
        ws.document_changed.connect(self._on_document_changed)
        ws.message.connect(lambda text: self.status.showMessage(text, 6000))
        ws.canvas.view_changed.connect(self.status.set_zoom)
        self.generate.message.connect(lambda text: self.status.showMessage(text, 6000))
        self.generate.history_changed.connect(self._on_document_changed)
        self.generate.describe.palette_for_stylize.connect(
            lambda swatch, name: stylize_generated_with_palette(self, swatch, name))
        self.train.message.connect(lambda text: self.status.showMessage(text, 8000))
        self.train.open_in_generate.connect(self._open_in_generate)

    # -- job thread -------------------------------------------------------------------------
    def _on_runner_started(self, job_id: int, kind: str) -> None:
        # The training run interleaves with other jobs: only the loud job drives the bar.
        if kind not in QUIET_KINDS:
            self._loud_job = job_id
            self.status.set_busy(True)

    def _on_runner_ended(self, outcome: JobOutcome) -> None:
        {"finished": self._on_job_finished, "failed": self._on_job_failed,
         "cancelled": self._on_job_cancelled}[outcome.status](outcome)

    def _on_job_cancelled(self, outcome: JobOutcome) -> None:
        # Dropped slider renders are routine, not news; nor is a job another of its kind replaced
        # (a second Fill): the workspace has said why, and the new one reports its progress.
        if outcome.id == self._loud_job and not self.runner.superseded(outcome):
            self.status.showMessage("Cancelled", 4000)

    def _on_runner_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id == self._loud_job:
            self.status.set_progress(fraction, message)

    def _on_job_finished(self, outcome: JobOutcome) -> None:
        if outcome.id == self._device_job:
            self._on_device_probed(outcome.result)

    def _on_device_probed(self, probe) -> None:
        """Show the device jobs run on; grey out the ones this machine lacks; when the chosen one
        is missing, say so and go back to Automatic instead of keeping it checked (issue 15 B7)."""
        self.status.set_device(str(probe))
        available = getattr(probe, "available", None)
        for choice, item in getattr(self, "device_actions", {}).items():
            missing = available is not None and choice != "auto" and choice not in available
            item.setEnabled(not missing)
            item.setToolTip(f"Not found on this machine (PyTorch {probe.torch_version})" if missing else "")
        note = getattr(probe, "note", "")
        if note:
            self.settings.device = "auto"
            self.device_actions["auto"].setChecked(True)
            self.status.device_label.setToolTip(note)
        self.status.showMessage(note or "Ready", 15000 if note else 3000)

    def _on_job_failed(self, outcome: JobOutcome) -> None:
        if outcome.id == self._device_job:
            self.status.set_device("Device: unavailable")
        self.status.showMessage(outcome.message, 10000)
        # A preview that failed (a slider render) says so in the status bar; a
        # dialog per drag step would bury the window. The next render retries.
        if outcome.kind not in PREVIEW_KINDS:
            QMessageBox.warning(self, "ArtStudio", outcome.message)

    def choose_device(self, choice: str) -> None:
        self.settings.device = choice
        self._probe_device(choice)

    # -- document state ---------------------------------------------------------------------------
    def _on_document_changed(self) -> None:
        in_restore = self.stack.currentWidget() is self.restore
        self.status.size_label.setVisible(in_restore)
        self.status.zoom_label.setVisible(in_restore)
        if self.stack.currentWidget() is self.generate:
            history = self.generate.history
            self.undo_action.setEnabled(history.can_undo)
            self.redo_action.setEnabled(history.can_redo)
            self.undo_action.setText("&Undo")
            self.redo_action.setText("&Redo")
            return
        doc = self.restore.document
        self.undo_action.setEnabled(bool(doc and doc.history.can_undo))
        self.redo_action.setEnabled(bool(doc and doc.history.can_redo))
        if doc is not None:
            self.undo_action.setText(f"&Undo {doc.history.undo_label}".rstrip())
            self.redo_action.setText(f"&Redo {doc.history.redo_label}".rstrip())
            self.status.set_image_size(*doc.size)
            name = doc.path.name if doc.path else "Untitled"
            self.setWindowTitle(f"{name}{' *' if doc.modified else ''} — ArtStudio")
        else:
            self.status.set_image_size(0, 0)
            self.setWindowTitle("ArtStudio")

    def _open_in_generate(self, name: str) -> None:
        self.show_workspace(WORKSPACES.index("Generate"))
        self.generate.select_model(name)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for file in self.settings.recent_files:
            action = self.recent_menu.addAction(file)
            action.triggered.connect(lambda _=False, f=file: self.open_path(Path(f)))
        self.recent_menu.setEnabled(bool(self.settings.recent_files))

    def open_path(self, path: Path, wait: bool = False) -> bool:
        """Open a photo, a latent file, or a PNG carrying an ArtStudio recipe.

        A photo is decoded off the GUI thread; True means it is on its way
        (with ``wait``: that it was opened).
        """
        path = Path(path)
        if path.suffix.lower() == ".npz":
            self.show_workspace(1)
            return generate_files.load_latent_file(self.generate, path)
        state, note = file_ops.recipe_in(self, path)
        if state is not None:
            self.show_workspace(1)
            self.generate.open_state(state)
            self.status.showMessage(f"Restored the recipe of {path.name}", 6000)
            return True
        self.show_workspace(0)
        return file_ops.open_path(self, path, wait=wait, note=note)

    def about(self) -> None:
        QMessageBox.about(self, "About ArtStudio",
                          f"ArtStudio {__version__}\nRestore photos and explore generative models.")

    # -- drag and drop, close --------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_path(Path(files[0]))

    def _confirm_end_training(self) -> bool:
        if not self.train.running:
            return True
        answer = QMessageBox.question(
            self, "Training in progress",
            "A training run is in progress. Close anyway? Its progress is saved as a checkpoint; "
            "tick Resume in the Train workspace to continue it later.",
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Close

    def quit_keeping_work(self) -> None:
        """Close at once (SIGTERM, logout) with the crash journal written, to offer it back."""
        self._close_confirmed = self._keep_journal = True
        self.close()

    def closeEvent(self, event) -> None:
        if not self._close_confirmed and not (file_ops.confirm_discard(self) and self._confirm_end_training()
                                              and self.long_jobs.confirm_close(self)):
            event.ignore()
            return
        self.photo_loader.shutdown()
        self.generate.shutdown()
        self.train.shutdown()
        self.runner.shutdown()       # a training run saves its checkpoint as it is closed
        file_ops.autosave_mask(self)
        if self._keep_journal:
            self.crash_guard.flush()     # quitting on a signal: the work comes back next start
        else:
            self.crash_guard.close_cleanly()
        try:
            self.settings.save(self.paths.settings_file)
        except OSError as exc:
            self.status.showMessage(f"Could not save settings: {exc}")
        event.accept()
