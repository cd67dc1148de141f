"""What every training job shares: its events, its stop control, its result, its pace.

Training jobs (:mod:`.train_gan`, :mod:`.train_vae`, :mod:`.train_restore`)
follow the job protocol of :mod:`.base` and yield, besides
:class:`~.base.Progress` and :class:`~.base.Preview` (a sample grid):

- :class:`TrainStats` every few steps: the step, the losses (smoothed), the
  measured images per second and the time left, for charts and the ETA;
- :class:`TrainLog` lines for the run's log (data report, checkpoints).

A run ends in one of three ways. It finishes; it is *stopped*
(:meth:`TrainControl.request_stop`): it writes a checkpoint, registers the
model and returns a :class:`TrainResult` with ``stopped=True``; or it is
*cancelled* (the window closes): it writes a checkpoint before the
:class:`~.base.Cancelled` (or the generator's close) propagates, so closing
mid-run loses at most the step in flight. Pausing is the GUI runner's
business: it simply stops advancing the generator.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .base import JobError

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"


@dataclass(frozen=True)
class TrainStats:
    """Where a run is. ``losses`` maps a short name ("D", "G", "recon", "KL",
    "L1") to an exponential moving average; ``eta_seconds`` is None until the
    pace is known."""

    step: int
    steps: int
    losses: dict[str, float]
    images_per_second: float
    eta_seconds: float | None


@dataclass(frozen=True)
class TrainLog:
    """One line for the run's log."""

    line: str


@dataclass(frozen=True)
class TrainResult:
    """What a finished or stopped run left behind (``weights`` + its ``card``)."""

    name: str
    kind: str
    weights: Path
    card: Path
    step: int
    steps: int
    stopped: bool
    seconds: float
    images: int
    skipped: tuple[str, ...] = ()
    losses: dict[str, float] = field(default_factory=dict)
    digest: str = ""      # sha256 of every trained tensor: equal digests, equal runs (and ranks)


class TrainControl:
    """Set from any thread: ask a run to stop cleanly after the current step."""

    def __init__(self) -> None:
        self._stop = threading.Event()

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()


class Pace:
    """Images per second over a sliding window, and the time left."""

    def __init__(self, batch: int, window_steps: int = 20) -> None:
        self.batch, self.window = batch, window_steps
        self._marks: list[tuple[float, int]] = []

    def tick(self, step: int) -> None:
        self._marks.append((time.perf_counter(), step))
        del self._marks[:-self.window - 1]

    def images_per_second(self) -> float:
        if len(self._marks) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._marks[0], self._marks[-1]
        return (s1 - s0) * self.batch / max(t1 - t0, 1e-9)

    def eta(self, step: int, steps: int) -> float | None:
        rate = self.images_per_second()
        return None if rate <= 0 else (steps - step) * self.batch / rate


class Smoother:
    """Exponential moving averages of named losses (the first value is taken as is)."""

    def __init__(self, decay: float = 0.9) -> None:
        self.decay, self.values = decay, {}

    def update(self, losses: dict[str, float]) -> dict[str, float]:
        for key, value in losses.items():
            old = self.values.get(key)
            self.values[key] = value if old is None else self.decay * old + (1 - self.decay) * value
        return dict(self.values)


def check_name(name: str) -> None:
    """:class:`JobError` unless ``name`` is a usable model (file) name."""
    if not re.fullmatch(NAME_PATTERN, name or ""):
        raise JobError(f"'{name}' is not a usable model name: use letters, digits, '-', '_' and '.', "
                       "starting with a letter or digit.")


def device_for(preference: str | None):
    """The torch device for ``preference`` (None or "auto": the best there is), or a one-line JobError."""
    from ..models.device import choose_device

    try:
        return choose_device(preference or "auto")
    except ValueError as error:      # an unknown device name in the request or $ARTSTUDIO_DEVICE
        raise JobError(str(error)) from None


def format_eta(seconds: float | None) -> str:
    """``"1 h 02 min"``, ``"3 min 05 s"``, ``"12 s"``, or ``"–"`` when unknown."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"
