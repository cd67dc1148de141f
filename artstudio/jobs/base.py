"""The job protocol: long work written as plain generators.

A job is ``run_x(request, cancel) -> Generator[Event, None, Result]``. It
yields :class:`Progress` and :class:`Preview` events, checks ``cancel``
between steps (raising :class:`Cancelled`), and returns its result. The GUI
runs jobs on its one worker thread; the CLI and tests simply drive them with
:func:`run_sync`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..core.rect import Rect

R = TypeVar("R")


@dataclass(frozen=True)
class Progress:
    """``fraction`` in [0, 1]; ``message`` for the status bar."""

    fraction: float
    message: str = ""


@dataclass(frozen=True)
class Preview:
    """An intermediate image, ``uint8 (H, W, 3|4)``, safe to keep (a copy).

    ``dirty`` bounds what changed since the job's previous preview (None:
    anything may have), so a viewer can refresh only that rectangle.
    """

    image: np.ndarray
    dirty: Rect | None = None


Event = Progress | Preview
Job = Generator[Event, None, Any]


class Cancelled(Exception):
    """The user cancelled; not an error."""


class JobError(Exception):
    """A failure with a one-line message meant for the user."""


class CancelToken:
    """Set from any thread; checked by the job between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled()


def run_sync(job: Generator[Event, None, R],
             on_event: Callable[[Event], None] | None = None) -> R:
    """Drive a job to completion on the calling thread and return its result."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        if on_event is not None:
            on_event(event)


def readonly_copy(array: np.ndarray) -> np.ndarray:
    """A private, immutable copy to hand to another thread."""
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


def usable_cpus() -> int:
    """CPUs this process may run on (affinity-aware), not all of the host's."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` means the machine or the GPU ran out of memory, in any of its forms.

    ``MemoryError``; torch's ``OutOfMemoryError`` (recognised by name, so torch
    need not be imported); and the ``RuntimeError`` texts of CUDA ("CUDA out of
    memory"), MPS and the CPU allocator ("DefaultCPUAllocator: can't allocate
    memory", "[enforce fail at alloc_cpu.cpp]").
    """
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    if not isinstance(exc, RuntimeError):
        return False
    text = str(exc).lower()
    return any(words in text for words in ("out of memory", "can't allocate memory", "alloc_cpu",
                                             "not enough memory"))
