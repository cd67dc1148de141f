"""Loading a state dict into a network with one clear line when it does not fit."""

from __future__ import annotations

from pathlib import Path

from .registry import ModelError


def load_strict(net, state: dict, path: Path, expected: str) -> None:
    """Load ``state`` into ``net``; every key and shape must match.

    BatchNorm's step counters are optional. ``expected`` names what the file
    should hold, for the message (e.g. "its card's architecture").
    """
    import torch

    wanted = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    missing = sorted(set(wanted) - set(state))
    unexpected = sorted(set(state) - set(wanted))
    wrong = sorted(k for k in set(wanted) & set(state) if tuple(wanted[k].shape) != tuple(state[k].shape))
    if missing or unexpected or wrong:
        parts = [f"{label} {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}"
                 for label, keys in (("missing", missing), ("unexpected", unexpected),
                                     ("wrong shape", wrong)) if keys]
        raise ModelError(f"Model file '{path.name}' does not match {expected}: {'; '.join(parts)}.")
    net.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=False)
