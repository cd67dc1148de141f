"""Housekeeping jobs for the worker thread."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from .base import CancelToken, Event, Progress

DEVICE_NAMES = {"cuda": "CUDA GPU", "mps": "Apple GPU (MPS)", "cpu": "CPU"}


@dataclass(frozen=True)
class DeviceProbe:
    """What the device probe found. ``label`` describes the device jobs will run
    on (``str()`` of the probe is the label); ``requested`` is the preference,
    ``used`` the device type it resolved to (``cuda``, ``mps`` or ``cpu``),
    ``available`` the device types this PyTorch build and machine offer."""

    label: str
    requested: str
    used: str
    available: tuple[str, ...]
    torch_version: str = ""

    def __str__(self) -> str:
        return self.label

    @property
    def fell_back(self) -> bool:
        """The user asked for a device this machine does not have."""
        return self.requested not in ("auto", self.used)

    @property
    def note(self) -> str:
        """One line for the user when :attr:`fell_back`, else ``""``."""
        if not self.fell_back:
            return ""
        return (f"No {DEVICE_NAMES.get(self.requested, self.requested)} here (PyTorch {self.torch_version} "
                f"finds none): jobs run on the {DEVICE_NAMES.get(self.used, self.used)}; "
                "the device setting is back to Automatic.")


def run_probe_device(preference: str, cancel: CancelToken,
                     reserve_gui_core: bool = True) -> Generator[Event, None, DeviceProbe]:
    """Import torch off the GUI thread and describe the chosen device.

    Returns a :class:`DeviceProbe` whose label reads e.g. ``"CPU (1 thread)"``. The window submits this
    after it has painted, so start-up never waits for torch.

    With ``reserve_gui_core``, torch gets one CPU fewer than the process may
    use. On a quiet 2-core machine both settings give similar slider fps (two
    threads render faster), but when other processes use a core, torch's
    second thread stalls the renders (27 fps, p95 118 ms, against 106 fps at
    one thread); docs/BENCHMARKS.md section 4.
    """
    yield Progress(0.0, "Loading PyTorch…")
    import torch

    from ..models.device import available_devices, choose_device, describe_device
    from .base import usable_cpus

    if reserve_gui_core:
        torch.set_num_threads(max(1, usable_cpus() - 1))
    cancel.check()
    device = choose_device(preference)
    return DeviceProbe(describe_device(device), preference, device.type, available_devices(),
                       torch.__version__)
