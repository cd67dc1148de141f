"""The one long-lived worker thread that runs jobs for the GPU (or CPU).

Jobs are generators (see :mod:`artstudio.jobs.base`). The runner pulls them
from a queue one at a time, forwards their events as Qt signals (delivered on
the GUI thread through queued connections), and turns every failure into a
one-line message. For preview-type work ("latest wins"), submitting a job of
a kind drops queued jobs of that kind and cancels the running one.

One *background* job (a training run that lasts hours) can share the thread
with the others: it is advanced one event at a time, and before each of its
steps every queued foreground job runs to completion, so a fill or a slider
render never waits for the run to end, only for its step in flight. A
background job can be paused: its generator is parked (memory kept) and
simply not advanced until resumed, cancelled or the runner shuts down (which
closes it, so its ``finally``/``GeneratorExit`` clean-up, e.g. a checkpoint,
runs on this thread before the thread ends).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QThread, Signal

from ..jobs.base import CancelToken, Cancelled, JobError, Preview, Progress, is_out_of_memory

log = logging.getLogger(__name__)

PREVIEW_MIN_INTERVAL_S = 1 / 30

JobFactory = Callable[[CancelToken], Generator]


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended, as one value (sent by ``job_ended`` after the specific signal).

    ``status`` is ``"finished"`` (``result`` holds the job's return value),
    ``"failed"`` (``message`` is the one-line reason) or ``"cancelled"``.
    """

    id: int
    kind: str
    status: str
    result: Any = None
    message: str = ""


@dataclass(eq=False)
class _Job:
    id: int
    kind: str
    factory: JobFactory
    background: bool = False
    token: CancelToken = field(default_factory=CancelToken)
    generator: Generator | None = None
    paused: bool = False
    last_preview: float = 0.0
    held: Preview | None = None


def describe_error(exc: BaseException) -> str:
    """A one-line message a user can act on."""
    if isinstance(exc, JobError):
        return str(exc)
    if is_out_of_memory(exc):
        if "cuda" in str(exc).lower() or "mps" in str(exc).lower() or type(exc).__name__ == "OutOfMemoryError":
            return "The GPU ran out of memory. Try a smaller image, or switch the device to CPU in Settings."
        return "Not enough memory for this job. Try a smaller image or a smaller masked area."
    text = str(exc).strip().splitlines()
    return f"Unexpected error ({type(exc).__name__}): {text[0] if text else 'no details'}"


def _merge(older: Preview, newer: Preview) -> Preview:
    """The newer image, dirty wherever either preview was."""
    if older.dirty is None or newer.dirty is None:
        return Preview(newer.image, None)
    return Preview(newer.image, newer.dirty.union(older.dirty))


class _JobThread(QThread):
    """The worker side of :class:`JobRunner`: runs one job at a time on a dedicated thread.

    Every signal carries the job id first; the GUI ignores results of jobs
    it no longer waits for.

    Signals
    -------
    job_event : (id, event) any event that is neither Progress nor Preview
        (training stats, log lines), forwarded unthrottled.
    job_paused, job_resumed : (id) the background job was parked / released
        (emitted by :meth:`pause` / :meth:`resume` on the caller's thread;
        an event already in flight may still arrive after ``job_paused``).
    idle : the thread has nothing left to run (no foreground job, and the
        background job, if any, is paused).
    foreground_idle : the last queued foreground job ended; a background
        job may still be running (the status bar's progress follows these).

    The runner's own state (``busy``, ``background_job``) is updated before
    any of ``job_finished``, ``job_failed``, ``job_cancelled`` or ``job_ended``
    is emitted, so a slot may submit the next job straight away.
    """

    job_started = Signal(int, str)
    job_progress = Signal(int, float, str)
    job_preview = Signal(int, object)      # jobs.base.Preview
    job_event = Signal(int, object)        # e.g. jobs.train_common.TrainStats / TrainLog
    job_finished = Signal(int, object)
    job_failed = Signal(int, str)
    job_cancelled = Signal(int)
    job_ended = Signal(object)             # JobOutcome, after whichever of the three above
    job_paused = Signal(int)
    job_resumed = Signal(int)
    idle = Signal()
    foreground_idle = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("ArtStudio job thread")
        self._lock = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._current: _Job | None = None
        self._background: _Job | None = None
        self._stopping = False
        self._ids = itertools.count(1)

    def _background_runnable(self) -> bool:  # call with the lock held
        job = self._background
        return job is not None and (not job.paused or job.token.cancelled)

    # -- worker thread -------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        finally:
            with self._lock:
                job, self._background = self._background, None
            if job is not None:  # parked (or never started) when the runner stopped
                self._end(job, Cancelled())

    def _loop(self) -> None:
        owe_idle = False
        while True:
            with self._lock:
                while not self._queue and not self._background_runnable() and not self._stopping:
                    if owe_idle:  # said under the lock, so a pause racing this check is not missed
                        owe_idle = False
                        self.idle.emit()
                    self._lock.wait()
                if self._stopping:
                    return
                job = self._current = self._queue.popleft() if self._queue else self._background
            ended = True
            try:
                if job.background:
                    ended = self._step(job)
                else:
                    while not self._step(job):
                        pass
            finally:
                with self._lock:
                    self._forget(job, ended)   # already done by _end when it ended normally
                    no_foreground = not self._queue
                owe_idle = True
                if not job.background and no_foreground:
                    self.foreground_idle.emit()

    def _step(self, job: _Job) -> bool:
        """Advance ``job`` by one event; True once it has ended (and said so)."""
        try:
            if job.generator is None:
                self.job_started.emit(job.id, job.kind)
                job.token.check()
                job.generator = job.factory(job.token)
            event = next(job.generator)
            job.token.check()
            self._forward(job, event)
            return False
        except StopIteration as stop:
            self._end(job, None, stop.value)
        except Exception as exc:  # Cancelled, or any failure: a message, never a crash
            self._end(job, exc)
        return True

    def _forward(self, job: _Job, event: Any) -> None:
        if isinstance(event, Progress):
            self.job_progress.emit(job.id, float(event.fraction), event.message)
        elif isinstance(event, Preview):
            # Throttle, but never lose what a dropped preview said had changed.
            job.held = event if job.held is None else _merge(job.held, event)
            now = time.monotonic()
            if now - job.last_preview >= PREVIEW_MIN_INTERVAL_S:
                job.last_preview = now
                self.job_preview.emit(job.id, job.held)
                job.held = None
        else:
            self.job_event.emit(job.id, event)

    def _end(self, job: _Job, error: Exception | None, result: Any = None) -> None:
        """Close the generator (its clean-up runs here), forget the job, then say how it ended."""
        if job.generator is not None:
            try:
                job.generator.close()
            except Exception as exc:  # clean-up failed (e.g. the final checkpoint could not be written)
                error = exc if error is None or isinstance(error, Cancelled) else error
        if isinstance(error, Cancelled):
            outcome = JobOutcome(job.id, job.kind, "cancelled")
        elif error is not None:
            if not isinstance(error, JobError):
                log.error("job %s (%s) failed", job.id, job.kind, exc_info=error)
            outcome = JobOutcome(job.id, job.kind, "failed", message=describe_error(error))
        else:
            if job.background and job.held is not None:   # the last sample grid of a run matters
                self.job_preview.emit(job.id, job.held)
            outcome = JobOutcome(job.id, job.kind, "finished", result)
        # State first: a slot that reacts to the end (re-enabling Start, submitting
        # the next run) must see the runner free, on whichever thread it runs.
        with self._lock:
            self._forget(job, True)
        self._tell(outcome)

    def _forget(self, job: _Job, ended: bool) -> None:  # call with the lock held
        if self._current is job:
            self._current = None
        if job.background and ended and self._background is job:
            self._background = None

    def _tell(self, outcome: JobOutcome) -> None:
        if outcome.status == "finished":
            self.job_finished.emit(outcome.id, outcome.result)
        elif outcome.status == "failed":
            self.job_failed.emit(outcome.id, outcome.message)
        else:
            self.job_cancelled.emit(outcome.id)
        self.job_ended.emit(outcome)


class JobRunner(_JobThread):
    """Runs one job at a time on a dedicated thread; this class is its GUI-thread API
    (submit, cancel, pause, resume, state), the worker loop is :class:`_JobThread`.

    See :class:`_JobThread` for the signals and the ordering guarantee.
    """

    # -- GUI thread API ----------------------------------------------------------
    def submit(self, kind: str, factory: JobFactory, *, latest_wins: bool = False,
               cancel_running: bool = True, background: bool = False) -> int:
        """Queue ``factory(cancel_token)``; returns the job id.

        ``latest_wins`` drops queued jobs of the same kind and, with
        ``cancel_running``, cancels the running one. Short single-step jobs
        (a slider render) pass ``cancel_running=False``: the running render is
        nearly done, and showing it keeps frames flowing during a drag.

        ``background`` makes it *the* background job (see the module
        docstring). There is at most one: submitting another while one
        exists (running or paused) raises RuntimeError; cancel or finish the
        first. Background jobs are never "latest wins".
        """
        if background and latest_wins:
            raise ValueError("a background job cannot be 'latest wins'")
        job = _Job(next(self._ids), kind, factory, background)
        with self._lock:
            if self._stopping:
                raise RuntimeError("the job runner is shut down")
            if background:
                if self._background is not None:
                    raise RuntimeError(f"A background job ({self._background.kind}) is already running; "
                                       "stop it before starting another.")
                self._background = job
            else:
                if latest_wins:
                    self._drop_queued(kind)
                    current = self._current
                    if cancel_running and current is not None and not current.background \
                            and current.kind == kind:
                        current.token.cancel()
                self._queue.append(job)
            self._lock.notify()
        return job.id

    def _drop_queued(self, kind: str) -> None:
        for j in [j for j in self._queue if j.kind == kind]:
            self._queue.remove(j)
            self._tell(JobOutcome(j.id, j.kind, "cancelled"))

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel one job (queued, running or paused), or the running foreground one when None.

        The background job is cancelled only by its id, so Esc during a fill
        never ends a training run. A paused background job wakes up to end:
        its generator is closed on the worker thread (its clean-up runs) and
        ``job_cancelled`` follows.
        """
        with self._lock:
            current = self._current
            if current is not None and (job_id == current.id or (job_id is None and not current.background)):
                current.token.cancel()
            for j in [j for j in self._queue if j.id == job_id]:
                self._queue.remove(j)
                self._tell(JobOutcome(j.id, j.kind, "cancelled"))
            if self._background is not None and self._background.id == job_id:
                self._background.token.cancel()
                self._lock.notify()

    def pause(self, job_id: int) -> bool:
        """Park the background job ``job_id`` after its step in flight; False if it is not pausable."""
        with self._lock:
            job = self._background
            if job is None or job.id != job_id or job.paused or job.token.cancelled:
                return False
            job.paused = True
        self.job_paused.emit(job_id)
        return True

    def resume(self, job_id: int) -> bool:
        """Let a paused background job continue; False if it is not paused."""
        with self._lock:
            job = self._background
            if job is None or job.id != job_id or not job.paused:
                return False
            job.paused = False
            self._lock.notify()
        self.job_resumed.emit(job_id)
        return True

    def is_paused(self, job_id: int) -> bool:
        with self._lock:
            return self._background is not None and self._background.id == job_id and self._background.paused

    @property
    def background_job(self) -> int | None:
        """The id of the background job (running or paused), or None."""
        with self._lock:
            return None if self._background is None else self._background.id

    def superseded(self, outcome: JobOutcome) -> bool:
        """True when a newer job of the same kind is queued or running (the one that replaced it)."""
        with self._lock:
            jobs = list(self._queue) + ([self._current] if self._current is not None else [])
            return any(j.kind == outcome.kind and j.id > outcome.id for j in jobs)

    @property
    def busy(self) -> bool:
        """True while the thread has work: a foreground job, or an unpaused background job."""
        with self._lock:
            return self._current is not None or bool(self._queue) or self._background_runnable()

    def shutdown(self) -> None:
        """Cancel everything, close a parked background job and wait for the thread to end.

        Safe to call twice.
        """
        with self._lock:
            self._stopping = True
            for job in self._queue:
                job.token.cancel()
            self._queue.clear()
            for job in (self._current, self._background):
                if job is not None:
                    job.token.cancel()
            self._lock.notify()
        if self.isRunning():
            self.wait()
