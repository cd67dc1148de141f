"""One workspace's jobs: submitted to the shared runner, results routed by an explicit map."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject


class JobRoutes(QObject):
    """Submits a workspace's jobs and hands each result to the handler of its kind.

    Only the newest job of a kind has its result handled; an older one that
    finishes later is stale and dropped. A *streamed* kind (slider renders) is
    the exception: every result newer than the last one handled is shown, so
    frames keep arriving during a drag, and a running job of that kind is not
    cancelled by the next one (it is one short step).

    Parameters
    ----------
    runner : JobRunner
        The window's job thread (``submit``, ``job_finished``, ``job_preview``,
        ``job_failed``, ``job_cancelled``).
    handlers : dict
        ``{kind: handler(result)}``; only these kinds can be submitted.
    streamed : iterable of str
        Kinds shown as they come (see above).
    on_preview : callable, optional
        ``on_preview(preview)`` for the previews of this workspace's jobs.
    parent : QObject, optional
        The workspace; its destruction disconnects the runner's signals.
    """

    def __init__(self, runner, handlers: dict[str, Callable], *, streamed: Iterable[str] = (),
                 on_preview: Callable | None = None, parent=None):
        super().__init__(parent)
        self.runner = runner
        self._handlers = dict(handlers)
        self._streamed = frozenset(streamed)
        self._on_preview = on_preview
        self._jobs: dict[int, str] = {}
        self._latest: dict[str, int] = {}
        self._handled: dict[str, int] = {}
        runner.job_finished.connect(self._on_runner_finished)
        runner.job_preview.connect(self._on_runner_preview)
        runner.job_failed.connect(self._on_runner_ended)
        runner.job_cancelled.connect(self._on_runner_ended)

    def submit(self, kind: str, factory, *, latest_wins: bool = True) -> int | None:
        """Queue a job of ``kind``; returns its id, or None when the runner is closing.

        Raises
        ------
        ValueError
            If no handler takes results of ``kind``.
        """
        if kind not in self._handlers:
            raise ValueError(f"no handler for {kind!r} results")
        try:
            job_id = self.runner.submit(kind, factory, latest_wins=latest_wins,
                                        cancel_running=kind not in self._streamed)
        except RuntimeError:  # the window is closing
            return None
        self._jobs[job_id] = kind
        self._latest[kind] = job_id
        return job_id

    def forget(self, kind: str) -> None:
        """Cancel the jobs of ``kind`` and drop their results: what they were for is gone."""
        for job_id in [j for j, k in self._jobs.items() if k == kind]:
            self.runner.cancel(job_id)
        self._latest.pop(kind, None)

    def pending(self, kind: str) -> bool:
        """Whether a job of ``kind`` is queued or running."""
        return kind in self._jobs.values()

    def _on_runner_finished(self, job_id: int, result) -> None:
        kind = self._jobs.pop(job_id, None)
        if kind is None:
            return  # another workspace's job
        if kind in self._streamed:
            if job_id < self._handled.get(kind, 0):
                return  # an older frame finished after a newer one
        elif self._latest.get(kind) != job_id:
            return  # stale
        self._handled[kind] = job_id
        self._handlers[kind](result)

    def _on_runner_preview(self, job_id: int, preview) -> None:
        if job_id in self._jobs and self._on_preview is not None:
            self._on_preview(preview)

    def _on_runner_ended(self, job_id: int, *_args) -> None:
        self._jobs.pop(job_id, None)
