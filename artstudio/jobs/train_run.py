"""The skeleton every training job runs: steps, stats, previews, checkpoints, stop, cancel, out of memory.

A trainer (:mod:`.train_gen`, :mod:`.train_restore`) hands :func:`run_loop`
a :class:`Loop`: how many steps, and three hooks (one step, one checkpoint,
one preview). The loop owns the rules they share:

- an event every step (the GUI runner lets other jobs in between events),
  :class:`~.train_common.TrainStats` every ``stats_every`` steps;
- losses are read (a GPU sync) only on those steps and before every
  checkpoint, where a loss that is not finite ends the run with one line
  and no checkpoint of the diverged weights;
- a stop request ends the run after the step in flight; a cancel (or the
  generator's close) saves the last completed step on its way out;
- out of memory in a step saves the last completed step, then ends the
  run with one line (the step in flight is lost).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..core.dataset import DatasetError
from .base import CancelToken, Cancelled, JobError, Preview, Progress
from .train_common import Pace, Smoother, TrainControl, TrainLog, TrainStats

MAX_LOGGED_SKIPS = 20


@dataclass
class Loop:
    """One run's schedule and hooks.

    ``step(k)`` trains step ``k`` and returns its losses (tensors or floats);
    ``save(done, seconds)`` writes the checkpoint after ``done`` steps and may
    yield events; ``preview()`` returns a ``uint8 (H, W, 3)`` picture or None.
    ``rescue(done, seconds)``, when given, replaces ``save`` on the way out
    of a cancelled or out-of-memory run (no collective operations there:
    the other processes may be gone). ``saved`` is the step already on disk
    (-1: none of this run).
    """

    start: int
    steps: int
    images_per_step: int
    step: Callable[[int], dict]
    save: Callable[[int, float], Iterator]
    preview: Callable[[], np.ndarray | None]
    control: TrainControl | None = None
    stats_every: int = 5
    checkpoint_every: int = 500
    preview_every: int = 0
    saved: int = -1
    seconds: float = 0.0
    smoothing: float = 0.9
    hint: str = "try a lower learning rate"
    rescue: Callable[[int, float], None] | None = None


@dataclass
class LoopEnd:
    """Where the loop ended: the last completed step, whether it was stopped, seconds trained."""

    done: int
    stopped: bool
    seconds: float
    losses: dict


def read_data(load: Callable, what: str, folder, cancel: CancelToken):
    """Run ``load(should_stop) -> (data, DataReport)`` as the first part of a job; returns its result.

    Yields the progress line and the data report for the log (the first
    skipped files by name); a folder with nothing usable is a one-line
    :class:`JobError`, a cancel while decoding a :class:`Cancelled`.
    """
    yield Progress(0.0, f"Reading {what} from {folder}…")
    try:
        data, report = load(lambda: cancel.cancelled)
    except DatasetError as error:
        raise JobError(str(error)) from None
    except InterruptedError:
        raise Cancelled() from None
    yield TrainLog(f"Data: {report.summary()}.")
    for line in report.skipped[:MAX_LOGGED_SKIPS]:
        yield TrainLog(f"  skipped {line}")
    if len(report.skipped) > MAX_LOGGED_SKIPS:
        yield TrainLog(f"  … and {len(report.skipped) - MAX_LOGGED_SKIPS} more skipped")
    return data, report


def is_out_of_memory(error: BaseException) -> bool:
    """True for torch's OutOfMemoryError and for RuntimeErrors that say "out of memory"."""
    return type(error).__name__ == "OutOfMemoryError" or (
        isinstance(error, RuntimeError) and "out of memory" in str(error).lower())


class _Runner:
    def __init__(self, loop: Loop, smoother: Smoother) -> None:
        self.loop, self.smoother = loop, smoother
        self.pace = Pace(loop.images_per_step)
        self.done, self.saved, self.began = loop.start, loop.saved, time.perf_counter()

    def seconds(self) -> float:
        return self.loop.seconds + time.perf_counter() - self.began

    def checkpoint(self) -> Iterator:
        self.saved = self.done
        yield from self.loop.save(self.done, self.seconds())

    def rescue(self) -> None:
        self.saved = self.done
        if self.loop.rescue is not None:
            self.loop.rescue(self.done, self.seconds())
        else:
            for _ in self.loop.save(self.done, self.seconds()):
                pass      # a run on its way out shows nothing more; the files are what count

    def report(self, losses: dict) -> Iterator:
        loop, done = self.loop, self.done
        shown = done % loop.stats_every == 0 or done == loop.steps
        if not shown and done % loop.checkpoint_every:
            yield Progress(done / loop.steps, "")
            return
        values = {k: float(v) for k, v in losses.items()}
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise JobError(f"Training diverged at step {done} ({', '.join(bad)} loss is not finite); "
                           f"{loop.hint}.")
        if not shown:              # read only so that no diverged weights are checkpointed
            yield Progress(done / loop.steps, "")
            return
        smooth = self.smoother.update(values)
        rate = self.pace.images_per_second()
        yield TrainStats(done, loop.steps, smooth, rate, self.pace.eta(done, loop.steps))
        text = "  ".join(f"{k} {v:.4f}" for k, v in smooth.items())
        yield Progress(done / loop.steps, f"step {done}/{loop.steps}  loss {text}  {rate:.1f} images/s")

    def one_step(self, step: int) -> dict:
        try:
            return self.loop.step(step)
        except (RuntimeError, MemoryError) as error:
            if not is_out_of_memory(error):
                raise
        _free_accelerator_memory()
        kept = "nothing new to save"
        if self.done > self.loop.start:
            self.rescue()
            kept = f"step {self.done} is saved: free memory and resume it"
        raise JobError(f"Out of memory at step {step + 1}; {kept}, or start again with a smaller batch "
                       "or size.")


def run_loop(loop: Loop, cancel: CancelToken, smoother: Smoother | None = None):
    """Run ``loop`` from ``loop.start`` to ``loop.steps``; a generator returning :class:`LoopEnd`."""
    run = _Runner(loop, smoother or Smoother(loop.smoothing))
    run.pace.tick(loop.start)
    stopped = False
    try:
        for step in range(loop.start, loop.steps):
            if loop.control is not None and loop.control.stop_requested:
                stopped = True
                break
            cancel.check()
            losses = run.one_step(step)
            run.done = step + 1
            run.pace.tick(run.done)
            yield from run.report(losses)
            if loop.preview_every and run.done % loop.preview_every == 0:
                picture = loop.preview()
                if picture is not None:
                    yield Preview(picture)
            if run.done % loop.checkpoint_every == 0:
                yield from run.checkpoint()
    except (Cancelled, GeneratorExit, KeyboardInterrupt):
        if run.done > run.saved and run.done > loop.start:
            run.rescue()        # closing mid-run keeps everything up to the last step
        raise
    if run.done > run.saved:
        yield from run.checkpoint()
    return LoopEnd(run.done, stopped, run.seconds(), dict(run.smoother.values))


def _free_accelerator_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
