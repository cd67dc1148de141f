import time

import numpy as np
import pytest

from artstudio.jobs.base import JobError, Preview, Progress
from artstudio.ui.job_runner import JobRunner


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


# -- the background job: interleaving, pause, resume, cancel, shutdown -------------------------

def endless(trace, delay=0.005):
    """A background job that logs each step into ``trace`` and ``"closed"`` when its clean-up runs."""
    def factory(token):
        try:
            step = 0
            while True:
                token.check()
                time.sleep(delay)
                step += 1
                trace.append(step)
                yield Progress(0.0, f"step {step}")
        finally:
            trace.append("closed")
    return factory


def start_background(qtbot, runner, factory, kind="train"):
    with qtbot.waitSignal(runner.job_progress, timeout=5000):
        return runner.submit(kind, factory, background=True)


def test_a_foreground_job_runs_while_a_background_job_is_midway(qtbot, runner):
    trace = []

    def training(token):
        for i in range(40):
            time.sleep(0.005)
            trace.append("bg")
            yield Progress((i + 1) / 40)
        return "trained"

    def fill(token):
        for _ in range(3):
            trace.append("fg")
            yield Progress(0.5)
        return "filled"

    results = {}
    runner.job_finished.connect(lambda i, r: results.__setitem__(i, r))
    job = start_background(qtbot, runner, training)
    with qtbot.waitSignal(runner.foreground_idle, timeout=5000):
        runner.submit("fill", fill)
    qtbot.waitUntil(lambda: job in results, timeout=5000)
    assert results[job] == "trained" and "filled" in results.values()
    first, last = trace.index("fg"), len(trace) - 1 - trace[::-1].index("fg")
    assert trace[first:last + 1] == ["fg"] * 3            # the fill ran in one piece…
    assert "bg" in trace[:first] and "bg" in trace[last:]  # …in the middle of the run
    assert trace.count("bg") == 40
    assert runner.background_job is None and not runner.busy


def test_only_one_background_job_and_escape_does_not_cancel_it(qtbot, runner):
    trace = []
    job = start_background(qtbot, runner, endless(trace))
    with pytest.raises(RuntimeError, match="already running"):
        runner.submit("train", endless([]), background=True)
    runner.cancel()                                   # Esc: the running foreground job, if any
    with qtbot.waitSignal(runner.foreground_idle, timeout=5000):
        runner.submit("fill", steps(1))
    count = len(trace)
    qtbot.waitUntil(lambda: len(trace) > count + 3, timeout=5000)
    assert runner.background_job == job and "closed" not in trace


def test_pause_parks_the_background_job_and_resume_continues(qtbot, runner):
    trace = []
    job = start_background(qtbot, runner, endless(trace))
    with qtbot.waitSignals([runner.job_paused, runner.idle], timeout=2000):
        assert runner.pause(job)
    assert not runner.busy and runner.is_paused(job)
    parked = len(trace)
    with qtbot.waitSignal(runner.job_finished, timeout=5000):
        runner.submit("fill", steps(3, delay=0.01))     # the thread still serves other work
    with pytest.raises(qtbot.TimeoutError):
        qtbot.waitUntil(lambda: len(trace) > parked, timeout=200)
    assert not runner.pause(job)                        # already paused
    with qtbot.waitSignal(runner.job_resumed, timeout=2000):
        assert runner.resume(job)
    qtbot.waitUntil(lambda: len(trace) > parked + 5, timeout=5000)
    assert runner.busy and not runner.is_paused(job) and "closed" not in trace


def test_cancel_while_paused_closes_the_generator(qtbot, runner):
    trace = []
    job = start_background(qtbot, runner, endless(trace))
    with qtbot.waitSignal(runner.idle, timeout=2000):
        runner.pause(job)
    with qtbot.waitSignal(runner.job_cancelled, timeout=2000) as cancelled:
        runner.cancel(job)
    assert cancelled.args == [job]
    assert trace[-1] == "closed"                         # its clean-up ran before the signal
    assert runner.background_job is None and not runner.busy
    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        runner.submit("train", steps(2, result="again"), background=True)
    assert finished.args[1] == "again"


def test_shutdown_closes_a_parked_background_job(qtbot):
    runner = JobRunner()
    runner.start()
    trace = []
    job = start_background(qtbot, runner, endless(trace))
    runner.pause(job)
    runner.shutdown()
    assert not runner.isRunning()
    assert trace[-1] == "closed"
    runner.shutdown()


def test_shutdown_during_a_foreground_job_also_closes_the_background_one(qtbot):
    runner = JobRunner()
    runner.start()
    trace = []
    start_background(qtbot, runner, endless(trace))
    with qtbot.waitSignal(runner.job_progress, timeout=5000, check_params_cb=lambda i, f, m: m == "step 1"):
        runner.submit("slow", steps(10_000, delay=0.01))
    runner.shutdown()
    assert not runner.isRunning() and trace[-1] == "closed"


def test_other_events_are_forwarded_unthrottled(qtbot, runner):
    def chatty(token):
        for i in range(50):
            yield ("stats", i)
            yield Preview(np.full((2, 2, 3), i, np.uint8))
        return "done"

    events, previews = [], []
    runner.job_event.connect(lambda i, e: events.append(e))
    runner.job_preview.connect(lambda i, p: previews.append(int(p.image[0, 0, 0])))
    with qtbot.waitSignal(runner.job_finished, timeout=5000):
        runner.submit("train", chatty, background=True)
    assert events == [("stats", i) for i in range(50)]
    assert previews[-1] == 49                      # a run's last sample grid is never dropped


# -- the end of a job: state before signals, one typed outcome ----------------------------------

def _on_worker(signal, slot):
    """Connect ``slot`` so it runs on the worker thread at the instant of emission:
    what it sees is exactly the runner's state when the signal was sent (no race)."""
    from PySide6.QtCore import Qt

    signal.connect(slot, Qt.ConnectionType.DirectConnection)


@pytest.mark.parametrize("how", ["finished", "failed", "cancelled"])
def test_a_background_job_is_forgotten_before_its_end_is_announced(qtbot, runner, how):
    def run(token):
        yield Progress(0.5)
        if how == "failed":
            raise JobError("no data")
        if how == "cancelled":
            token.cancel()
            token.check()
        return "ok"

    seen = []
    signal = {"finished": runner.job_finished, "failed": runner.job_failed,
              "cancelled": runner.job_cancelled}[how]
    _on_worker(signal, lambda *args: seen.append((runner.background_job, runner.busy)))
    _on_worker(runner.job_ended, lambda outcome: seen.append(outcome))
    with qtbot.waitSignal(runner.job_ended, timeout=5000):
        job = runner.submit("train", run, background=True)
    # A slot re-enabling Start would have seen the runner free, and could start the next run.
    assert seen[0] == (None, False)
    outcome = seen[1]
    assert (outcome.id, outcome.kind, outcome.status) == (job, "train", how)
    assert (outcome.result == "ok") == (how == "finished")
    assert (outcome.message == "no data") == (how == "failed")
    with qtbot.waitSignal(runner.job_finished, timeout=5000):
        runner.submit("train", steps(1), background=True)


def test_the_next_run_can_start_from_the_end_signal_itself(qtbot, runner):
    started = []
    _on_worker(runner.job_finished,
               lambda i, r: started.append(runner.submit("train", steps(1, result="second"), background=True))
               if r == "first" else None)
    with qtbot.waitSignal(runner.job_finished, timeout=5000,
                          check_params_cb=lambda i, r: r == "second"):
        runner.submit("train", steps(1, result="first"), background=True)
    assert len(started) == 1


def test_a_dropped_queued_job_also_reports_an_outcome(qtbot, runner):
    outcomes = []
    runner.job_ended.connect(outcomes.append)
    with qtbot.waitSignal(runner.job_progress, timeout=5000):
        runner.submit("slow", steps(50, delay=0.02))
    queued = runner.submit("render", steps(1))
    runner.submit("render", steps(1), latest_wins=True)
    qtbot.waitUntil(lambda: any(o.id == queued for o in outcomes), timeout=5000)
    assert [o.status for o in outcomes if o.id == queued] == ["cancelled"]
    runner.cancel()


@pytest.mark.parametrize("error, words", [
    (MemoryError(), "Not enough memory"),
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.8 GiB total)"), "The GPU ran out"),
    (type("OutOfMemoryError", (RuntimeError,), {})("CUDA error"), "The GPU ran out"),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"),
     "Not enough memory"),
    (RuntimeError("shape mismatch"), "Unexpected error (RuntimeError): shape mismatch"),
])
def test_every_form_of_out_of_memory_reads_as_such(error, words):
    from artstudio.ui.job_runner import describe_error

    assert describe_error(error).startswith(words)
