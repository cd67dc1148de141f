"""A line in the Restore panel while a training run goes on in the background
(issue 15: "no sign in Restore that a training run is going on").

Fills and training share the one job thread and the CPU: a fill that takes
twice as long with no visible reason looks like a bug. The badge says why,
follows the run's step, and its button goes to the Train workspace.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from ..jobs.train_common import TrainStats
from .train_workspace import TRAIN_KIND


class TrainingBadge(QFrame):
    """Hidden unless the runner has a training run; ``show_train`` asks for the Train workspace."""

    show_train = Signal()

    def __init__(self, runner, parent=None):
        super().__init__(parent)
        self.setObjectName("training_badge")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.open_button = QPushButton("Show")
        self.open_button.setToolTip("Go to the Train workspace (Alt+3)")
        self.open_button.clicked.connect(self.show_train)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.open_button)
        self.setToolTip("Restore jobs and training share this computer's processor: "
                        "fills and denoising take longer until the run ends or is paused")
        self._job: int | None = None
        self._paused = False
        self._step = ""
        runner.job_started.connect(self._on_started)
        runner.job_event.connect(self._on_event)
        runner.job_paused.connect(lambda job_id: self._set_paused(job_id, True))
        runner.job_resumed.connect(lambda job_id: self._set_paused(job_id, False))
        runner.job_ended.connect(self._on_ended)
        self.setVisible(False)

    def _on_started(self, job_id: int, kind: str) -> None:
        if kind == TRAIN_KIND:
            self._job, self._paused, self._step = job_id, False, ""
            self._show()

    def _on_event(self, job_id: int, event) -> None:
        if job_id == self._job and isinstance(event, TrainStats):
            self._step = f": step {event.step:,} of {event.steps:,}"
            self._show()

    def _set_paused(self, job_id: int, paused: bool) -> None:
        if job_id == self._job:
            self._paused = paused
            self._show()

    def _on_ended(self, outcome) -> None:
        if outcome.id == self._job:
            self._job = None
            self.setVisible(False)

    def _show(self) -> None:
        state = "paused" if self._paused else "running"
        self.label.setText(f"Training {state} in the background{self._step}"
                           + ("" if self._paused else " (restore jobs run slower meanwhile)"))
        self.setVisible(True)
