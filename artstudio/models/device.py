"""Choosing the compute device. torch is imported only when a function runs."""

from __future__ import annotations

import os

PREFERENCES = ("auto", "cuda", "mps", "cpu")


def choose_device(preference: str = "auto"):
    """Return a ``torch.device``: CUDA, then MPS, then CPU unless overridden.

    ``$ARTSTUDIO_DEVICE`` overrides ``preference``. An explicit choice that is
    not available falls back to the CPU rather than failing later mid-job.
    """
    import torch

    preference = os.environ.get("ARTSTUDIO_DEVICE", preference) or "auto"
    if preference not in PREFERENCES:
        raise ValueError(f"Unknown device '{preference}'. Choose one of: {', '.join(PREFERENCES)}.")
    have = available_devices()
    if preference in ("auto", "cuda") and "cuda" in have:
        return torch.device("cuda")
    if preference in ("auto", "mps") and "mps" in have:
        return torch.device("mps")
    return torch.device("cpu")


def available_devices() -> tuple[str, ...]:
    """The device types this PyTorch build and machine can run on, best first (``cpu`` always)."""
    import torch

    have = ["cuda"] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        have.append("mps")
    return (*have, "cpu")


def describe_device(device) -> str:
    """A short human label, e.g. ``"CPU (2 threads)"`` or ``"CUDA: NVIDIA H100 (80 GB)"``."""
    import torch

    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"CUDA: {props.name} ({props.total_memory / 2**30:.0f} GB)"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def as_device(device):
    """A ``torch.device``: ``device`` itself if it is one, else :func:`choose_device` of the preference."""
    return choose_device(device) if device is None or isinstance(device, str) else device
