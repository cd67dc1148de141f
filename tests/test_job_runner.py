import time

import numpy as np
import pytest

from artstudio.jobs.base import JobError, Preview, Progress
from artstudio.ui.job_runner import JobRunner


@pytest.fixture
def runner(qtbot):
    r = JobRunner()
    r.start()
    yield r
    r.shutdown()
    assert not r.isRunning()


def steps(n, delay=0.0, result="done"):
    def factory(token):
        for i in range(n):
            token.check()
            time.sleep(delay)
            yield Progress((i + 1) / n, f"step {i + 1}")
            yield Preview(np.full((4, 4, 3), i, np.uint8))
        return result
    return factory


def record(runner):
    log = []
    runner.job_started.connect(lambda i, k: log.append(("started", i, k)))
    runner.job_progress.connect(lambda i, f, m: log.append(("progress", i, f)))
    runner.job_preview.connect(lambda i, img: log.append(("preview", i, int(img.image[0, 0, 0]))))
    runner.job_finished.connect(lambda i, r: log.append(("finished", i, r)))
    runner.job_failed.connect(lambda i, m: log.append(("failed", i, m)))
    runner.job_cancelled.connect(lambda i: log.append(("cancelled", i)))
    return log


def test_progress_preview_and_result_arrive_in_order(qtbot, runner):
    log = record(runner)
    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        job = runner.submit("test", steps(3, result=42))
    assert finished.args == [job, 42]
    kinds = [e[0] for e in log]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert [e[2] for e in log if e[0] == "progress"] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert "preview" in kinds


def test_errors_become_messages_and_the_thread_keeps_working(qtbot, runner):
    def broken(token):
        yield Progress(0.1)
        raise JobError("The model file is damaged.")

    def out_of_memory(token):
        yield Progress(0.1)
        raise MemoryError()

    with qtbot.waitSignal(runner.job_failed, timeout=5000) as failed:
        runner.submit("test", broken)
    assert failed.args[1] == "The model file is damaged."
    with qtbot.waitSignal(runner.job_failed, timeout=5000) as failed:
        runner.submit("test", out_of_memory)
    assert "Not enough memory" in failed.args[1]
    with qtbot.waitSignal(runner.job_finished, timeout=5000):
        runner.submit("test", steps(1))


def test_unexpected_exceptions_are_reported_in_one_line(qtbot, runner):
    def buggy(token):
        yield Progress(0.0)
        {}["missing"]

    with qtbot.waitSignal(runner.job_failed, timeout=5000) as failed:
        runner.submit("test", buggy)
    assert "KeyError" in failed.args[1] and "\n" not in failed.args[1]


def test_cancel_stops_a_running_job_within_half_a_second(qtbot, runner):
    with qtbot.waitSignal(runner.job_progress, timeout=5000):
        job = runner.submit("slow", steps(1000, delay=0.05))
    start = time.perf_counter()
    with qtbot.waitSignal(runner.job_cancelled, timeout=2000) as cancelled:
        runner.cancel(job)
    assert cancelled.args == [job]
    assert time.perf_counter() - start < 0.5


def test_latest_wins_drops_queued_and_cancels_running(qtbot, runner):
    log = record(runner)
    with qtbot.waitSignal(runner.job_progress, timeout=5000):
        first = runner.submit("preview", steps(1000, delay=0.02), latest_wins=True)
    second = runner.submit("preview", steps(1, result="second"), latest_wins=True)
    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        third = runner.submit("preview", steps(1, result="third"), latest_wins=True)
    assert finished.args == [third, "third"]
    cancelled = {e[1] for e in log if e[0] == "cancelled"}
    assert {first, second} <= cancelled
    assert not any(e[0] == "finished" and e[1] in (first, second) for e in log)


def test_other_kinds_are_not_dropped_by_latest_wins(qtbot, runner):
    results = []
    runner.job_finished.connect(lambda i, r: results.append(r))
    runner.submit("fill", steps(2, delay=0.02, result="fill"))
    with qtbot.waitSignal(runner.idle, timeout=5000):
        runner.submit("preview", steps(1, result="preview"), latest_wins=True)
    assert results == ["fill", "preview"]


def test_shutdown_mid_job_ends_the_thread(qtbot):
    runner = JobRunner()
    runner.start()
    with qtbot.waitSignal(runner.job_progress, timeout=5000):
        runner.submit("slow", steps(10_000, delay=0.01))
    start = time.perf_counter()
    runner.shutdown()
    assert not runner.isRunning()
    assert time.perf_counter() - start < 1.0
    runner.shutdown()  # idempotent


def test_latest_wins_can_let_the_running_render_finish(qtbot, runner):
    """During a slider drag every finished render is shown; only queued requests are dropped."""
    log = record(runner)
    with qtbot.waitSignal(runner.job_progress, timeout=5000):
        first = runner.submit("render", steps(5, delay=0.05, result="first"), latest_wins=True,
                              cancel_running=False)
    second = runner.submit("render", steps(1, result="second"), latest_wins=True, cancel_running=False)
    with qtbot.waitSignal(runner.job_finished, timeout=5000, check_params_cb=lambda i, r: r == "third"):
        third = runner.submit("render", steps(1, result="third"), latest_wins=True, cancel_running=False)
    finished = [e[1] for e in log if e[0] == "finished"]
    assert finished == [first, third]
    assert ("cancelled", second) in log
