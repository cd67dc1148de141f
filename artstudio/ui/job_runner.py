"""The one long-lived worker thread that runs jobs for the GPU (or CPU).

Jobs are generators (see :mod:`artstudio.jobs.base`). The runner pulls them
from a queue one at a time, forwards their events as Qt signals (delivered on
the GUI thread through queued connections), and turns every failure into a
one-line message. For preview-type work ("latest wins"), submitting a job of
a kind drops queued jobs of that kind and cancels the running one.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

from PySide6.QtCore import QThread, Signal

from ..jobs.base import CancelToken, Cancelled, JobError, Preview, Progress

log = logging.getLogger(__name__)

PREVIEW_MIN_INTERVAL_S = 1 / 30

JobFactory = Callable[[CancelToken], Generator]


@dataclass
class _Job:
    id: int
    kind: str
    factory: JobFactory
    token: CancelToken = field(default_factory=CancelToken)


def describe_error(exc: BaseException) -> str:
    """A one-line message a user can act on."""
    if isinstance(exc, JobError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "Not enough memory for this job. Try a smaller image or a smaller masked area."
    if type(exc).__name__ == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError, without importing torch
        return "The GPU ran out of memory. Try a smaller image, or switch the device to CPU in Settings."
    text = str(exc).strip().splitlines()
    return f"Unexpected error ({type(exc).__name__}): {text[0] if text else 'no details'}"


def _merge(older: Preview, newer: Preview) -> Preview:
    """The newer image, dirty wherever either preview was."""
    if older.dirty is None or newer.dirty is None:
        return Preview(newer.image, None)
    return Preview(newer.image, newer.dirty.union(older.dirty))


class JobRunner(QThread):
    """Runs one job at a time on a dedicated thread.

    Every signal carries the job id first; the GUI ignores results of jobs
    it no longer waits for.
    """

    job_started = Signal(int, str)
    job_progress = Signal(int, float, str)
    job_preview = Signal(int, object)      # jobs.base.Preview
    job_finished = Signal(int, object)
    job_failed = Signal(int, str)
    job_cancelled = Signal(int)
    idle = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("ArtStudio job thread")
        self._lock = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._current: _Job | None = None
        self._stopping = False
        self._ids = itertools.count(1)

    # -- GUI thread API ----------------------------------------------------------
    def submit(self, kind: str, factory: JobFactory, *, latest_wins: bool = False,
               cancel_running: bool = True) -> int:
        """Queue ``factory(cancel_token)``; returns the job id.

        ``latest_wins`` drops queued jobs of the same kind and, with
        ``cancel_running``, cancels the running one. Short single-step jobs
        (a slider render) pass ``cancel_running=False``: the running render is
        nearly done, and showing it keeps frames flowing during a drag.
        """
        job = _Job(next(self._ids), kind, factory)
        with self._lock:
            if self._stopping:
                raise RuntimeError("the job runner is shut down")
            if latest_wins:
                dropped = [j for j in self._queue if j.kind == kind]
                for j in dropped:
                    self._queue.remove(j)
                    self.job_cancelled.emit(j.id)
                if cancel_running and self._current is not None and self._current.kind == kind:
                    self._current.token.cancel()
            self._queue.append(job)
            self._lock.notify()
        return job.id

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel one job (queued or running), or the running one when None."""
        with self._lock:
            if self._current is not None and job_id in (None, self._current.id):
                self._current.token.cancel()
            for j in [j for j in self._queue if j.id == job_id]:
                self._queue.remove(j)
                self.job_cancelled.emit(j.id)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._current is not None or bool(self._queue)

    def shutdown(self) -> None:
        """Cancel everything and wait for the thread to end (safe to call twice)."""
        with self._lock:
            self._stopping = True
            self._queue.clear()
            if self._current is not None:
                self._current.token.cancel()
            self._lock.notify()
        if self.isRunning():
            self.wait()

    # -- worker thread -------------------------------------------------------------
    def run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                job = self._current = self._queue.popleft()
            try:
                self._execute(job)
            finally:
                with self._lock:
                    self._current = None
                    empty = not self._queue
                if empty:
                    self.idle.emit()

    def _execute(self, job: _Job) -> None:
        self.job_started.emit(job.id, job.kind)
        last_preview, held = 0.0, None
        generator = None
        try:
            job.token.check()
            generator = job.factory(job.token)
            while True:
                try:
                    event = next(generator)
                except StopIteration as stop:
                    result = stop.value
                    break
                job.token.check()
                if isinstance(event, Progress):
                    self.job_progress.emit(job.id, float(event.fraction), event.message)
                elif isinstance(event, Preview):
                    # Throttle, but never lose what a dropped preview said had changed.
                    held = event if held is None else _merge(held, event)
                    now = time.monotonic()
                    if now - last_preview >= PREVIEW_MIN_INTERVAL_S:
                        last_preview = now
                        self.job_preview.emit(job.id, held)
                        held = None
        except Cancelled:
            self.job_cancelled.emit(job.id)
            return
        except Exception as exc:  # every failure becomes a message, never a crash
            if not isinstance(exc, JobError):
                log.exception("job %s (%s) failed", job.id, job.kind)
            self.job_failed.emit(job.id, describe_error(exc))
            return
        finally:
            if generator is not None:
                generator.close()
        self.job_finished.emit(job.id, result)
