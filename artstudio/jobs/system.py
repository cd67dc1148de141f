"""Housekeeping jobs for the worker thread."""

from __future__ import annotations

from collections.abc import Generator

from .base import CancelToken, Event, Progress


def run_probe_device(preference: str, cancel: CancelToken,
                     reserve_gui_core: bool = True) -> Generator[Event, None, str]:
    """Import torch off the GUI thread and describe the chosen device.

    Returns a label such as ``"CPU (1 thread)"``. The window submits this
    after it has painted, so start-up never waits for torch.

    With ``reserve_gui_core``, torch gets one CPU fewer than the process may
    use. On a quiet 2-core machine both settings give similar slider fps (two
    threads render faster), but when other processes use a core, torch's
    second thread stalls the renders (27 fps, p95 118 ms, against 106 fps at
    one thread); docs/BENCHMARKS.md section 4.
    """
    yield Progress(0.0, "Loading PyTorch…")
    import torch

    from ..models.device import choose_device, describe_device
    from .base import usable_cpus

    if reserve_gui_core:
        torch.set_num_threads(max(1, usable_cpus() - 1))
    cancel.check()
    return describe_device(choose_device(preference))
