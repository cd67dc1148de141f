"""Job results reach the handler of their kind; stale ones do not (a fake runner, no thread)."""

import pytest
from PySide6.QtCore import QObject, Signal

from artstudio.ui.job_routes import JobRoutes


class FakeRunner(QObject):
    job_finished = Signal(int, object)
    job_preview = Signal(int, object)
    job_failed = Signal(int, str)
    job_cancelled = Signal(int)

    def __init__(self):
        super().__init__()
        self.submitted = []
        self.closing = False

    def submit(self, kind, factory, *, latest_wins=False, cancel_running=True):
        if self.closing:
            raise RuntimeError("the runner is shutting down")
        self.submitted.append((kind, latest_wins, cancel_running))
        return len(self.submitted)


@pytest.fixture
def setup(qtbot):
    runner, seen = FakeRunner(), []
    routes = JobRoutes(runner, {"render": lambda r: seen.append(("render", r)),
                                "info": lambda r: seen.append(("info", r))},
                       streamed=("render",), on_preview=lambda p: seen.append(("preview", p)))
    return runner, routes, seen


def test_each_result_goes_to_the_handler_of_its_kind(setup):
    runner, routes, seen = setup
    info, render = routes.submit("info", None), routes.submit("render", None)
    assert routes.pending("info") and routes.pending("render")
    runner.job_finished.emit(render, "frame")
    runner.job_finished.emit(info, "model")
    assert seen == [("render", "frame"), ("info", "model")]
    assert not routes.pending("info") and not routes.pending("render")


def test_only_the_newest_job_of_a_kind_counts(setup):
    runner, routes, seen = setup
    old, new = routes.submit("info", None), routes.submit("info", None)
    runner.job_finished.emit(old, "stale")
    runner.job_finished.emit(new, "fresh")
    assert seen == [("info", "fresh")]


def test_a_streamed_kind_shows_every_newer_frame_but_no_older_one(setup):
    runner, routes, seen = setup
    a, b, c = (routes.submit("render", None) for _ in range(3))
    runner.job_finished.emit(b, "b")
    runner.job_finished.emit(a, "a")          # finished after a newer frame: dropped
    runner.job_finished.emit(c, "c")
    assert seen == [("render", "b"), ("render", "c")]
    assert [cancel for kind, _, cancel in runner.submitted] == [False, False, False]


def test_other_jobs_and_ended_jobs_are_ignored(setup):
    runner, routes, seen = setup
    job = routes.submit("info", None)
    runner.job_finished.emit(999, "someone else's")
    runner.job_preview.emit(999, "someone else's preview")
    runner.job_preview.emit(job, "mine")
    runner.job_cancelled.emit(job)
    assert not routes.pending("info")
    runner.job_finished.emit(job, "too late")
    assert seen == [("preview", "mine")]


def test_a_kind_without_a_handler_is_refused_and_closing_gives_no_id(setup):
    runner, routes, _ = setup
    with pytest.raises(ValueError, match="export"):
        routes.submit("export", None)
    runner.closing = True
    assert routes.submit("info", None) is None and not routes.pending("info")
