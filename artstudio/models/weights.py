"""Checking loaded tensors and fitting a state dict into a network, with one clear line when they do not."""

from __future__ import annotations

from pathlib import Path

from .specs import ModelError

# Trained weights and BatchNorm statistics stay far below this; +-3e38 (finite in
# float32) would render solid black or white pictures without any error.
MAX_ABS_WEIGHT = 1e6


def _counter(key: str) -> bool:
    """BatchNorm's step counters: integers by design, and optional in a file."""
    return key.endswith("num_batches_tracked")


def check_tensors(state: dict, path: Path) -> None:
    """:class:`ModelError` ("damaged") unless every tensor is floating point, finite and bounded."""
    import torch

    for key, tensor in state.items():
        if _counter(key):
            continue
        if not tensor.is_floating_point():
            raise ModelError(f"Model file '{Path(path).name}' is damaged: '{key}' holds {tensor.dtype}, "
                             "not floating-point weights.")
        values = tensor.float()
        if not bool(torch.isfinite(values).all()):
            raise ModelError(f"Model file '{Path(path).name}' is damaged: '{key}' holds NaN or "
                             "infinite values.")
        if values.numel() and float(values.abs().max()) > MAX_ABS_WEIGHT:
            raise ModelError(f"Model file '{Path(path).name}' is damaged: '{key}' holds values beyond "
                             f"+-{MAX_ABS_WEIGHT:g}.")


def check_fits(net, state: dict, path: Path, expected: str) -> None:
    """:class:`ModelError` unless ``state`` has exactly ``net``'s keys and shapes.

    Only shapes are read, so ``net`` may live on the ``meta`` device: a card
    whose numbers describe a network far larger than its file is refused
    before that network is allocated. BatchNorm's step counters are optional.
    """
    wanted = {k: v for k, v in net.state_dict().items() if not _counter(k)}
    state = {k: v for k, v in state.items() if not _counter(k)}
    missing = sorted(set(wanted) - set(state))
    unexpected = sorted(set(state) - set(wanted))
    wrong = sorted(k for k in set(wanted) & set(state) if tuple(wanted[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong:
        parts = [f"{label} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
                 for label, keys in (("missing", missing), ("unexpected", unexpected),
                                     ("wrong shape", wrong)) if keys]
        raise ModelError(f"Model file '{Path(path).name}' does not match {expected}: {'; '.join(parts)}.")


def load_strict(net, state: dict, path: Path, expected: str) -> None:
    """Load ``state`` into ``net`` (as float32); every key and shape must match (:func:`check_fits`).

    ``expected`` names what the file should hold, for the message (e.g.
    "the 'dcgan' architecture").
    """
    import torch

    check_fits(net, state, path, expected)
    net.load_state_dict({k: v.to(torch.float32) for k, v in state.items() if not _counter(k)}, strict=False)
