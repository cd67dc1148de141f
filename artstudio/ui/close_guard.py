"""Asking before closing the window ends long work (issue 15 B10).

A training run asks on its own (it saves a checkpoint). Any other job that
has run, or by its progress will run, for :data:`LONG_JOB_S` seconds or more
(a Deep Image Prior run, a content-aware fill of a large hole, a projection)
would be lost by closing, so the window asks the same way. Short jobs (a
Telea fill, a slider render) end without a question: nothing worth keeping
is lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

LONG_JOB_S = 5.0


@dataclass
class _Running:
    started: float
    fraction: float = 0.0
    message: str = ""


class LongJobWatch(QObject):
    """Follows ``runner``'s jobs (a JobRunner), except those of ``ignored`` kinds, to know which are long."""

    def __init__(self, runner, ignored: set[str] | frozenset[str] = frozenset(), clock=time.monotonic):
        super().__init__(runner)
        self._ignored = frozenset(ignored)
        self._clock = clock
        self._running: dict[int, _Running] = {}
        runner.job_started.connect(self._on_runner_started)
        runner.job_progress.connect(self._on_runner_progress)
        runner.job_ended.connect(self._on_runner_ended)

    def _on_runner_started(self, job_id: int, kind: str) -> None:
        if kind not in self._ignored:
            self._running[job_id] = _Running(self._clock())

    def _on_runner_progress(self, job_id: int, fraction: float, message: str) -> None:
        job = self._running.get(job_id)
        if job is not None:
            job.fraction, job.message = fraction, message or job.message

    def _on_runner_ended(self, outcome) -> None:
        self._running.pop(outcome.id, None)

    def long_job(self) -> tuple[str, float | None] | None:
        """``(what it says, seconds left or None)`` of a running long job, or None."""
        now = self._clock()
        for job in self._running.values():
            elapsed = now - job.started
            total = elapsed / job.fraction if job.fraction > 0 else None
            if elapsed >= LONG_JOB_S or (total is not None and total >= LONG_JOB_S):
                return job.message, None if total is None else max(total - elapsed, 0.0)
        return None

    def confirm_close(self, parent) -> bool:
        """True when no long job runs, or the user agrees to end it by closing."""
        job = self.long_job()
        if job is None:
            return True
        message, left = job
        what = message.split(":")[0].strip() or "A job"
        eta = f" (about {_duration(left)} to go)" if left is not None else ""
        answer = QMessageBox.question(
            parent, "Job in progress",
            f"{what} is still running{eta}. Close anyway? Its result will be lost; "
            "Cancel keeps the window open and the job running.",
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Close


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
