"""Housekeeping jobs for the worker thread."""

from __future__ import annotations

from collections.abc import Generator

from .base import CancelToken, Event, Progress


def run_probe_device(preference: str, cancel: CancelToken) -> Generator[Event, None, str]:
    """Import torch off the GUI thread and describe the chosen device.

    Returns a label such as ``"CPU (2 threads)"``. The window submits this
    after it has painted, so start-up never waits for torch.
    """
    yield Progress(0.0, "Loading PyTorch…")
    from ..models.device import choose_device, describe_device

    cancel.check()
    return describe_device(choose_device(preference))
