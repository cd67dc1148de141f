"""Training checkpoints as safetensors: every tensor a run needs to continue bit-exactly.

A training state file ``NAME.train.safetensors`` holds, under prefixes,

- ``<module>.<key>``: the state dicts of the trainer's modules (weights,
  BatchNorm statistics, spectral-norm vectors, the moving average);
- ``<optimiser>.<param index>.<slot>``: Adam's ``step``, ``exp_avg`` and
  ``exp_avg_sq``;

and, as safetensors metadata (strings), ``artstudio`` = JSON with the step,
the seconds trained, the recipe, the smoothed losses and each optimiser's
hyper-parameters. Nothing in it is pickled. Files are written to a
temporary name and renamed, so a crash mid-write leaves the previous
checkpoint intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .base import JobError

FORMAT = "artstudio-train-state-v1"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` then rename ``tmp`` over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def save_train_state(path: Path, modules: dict, optimizers: dict, info: dict) -> None:
    """Write modules, optimisers and ``info`` (JSON-able) to ``path`` atomically."""
    from safetensors.torch import save_file

    tensors = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{name}.{key}"] = value.detach().cpu().contiguous()
    groups = {}
    for name, optimizer in optimizers.items():
        state = optimizer.state_dict()
        for index, slots in state["state"].items():
            for slot, value in slots.items():
                tensors[f"{name}.{index}.{slot}"] = value.detach().cpu().contiguous().reshape(-1) \
                    if value.dim() == 0 else value.detach().cpu().contiguous()
        groups[name] = state["param_groups"]
    meta = {"format": FORMAT, **info, "param_groups": groups}
    atomic_write(Path(path), lambda tmp: save_file(tensors, str(tmp), metadata={"artstudio": json.dumps(meta)}))


def read_train_info(path: Path) -> dict:
    """The ``info`` saved with a training state, without loading its tensors."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {}).get("artstudio", "{}"))
    except FileNotFoundError:
        raise JobError(f"Checkpoint '{path}' does not exist.") from None
    except Exception as error:     # safetensors raises its own error types for damaged files
        raise JobError(f"Checkpoint '{Path(path).name}' is not a readable training state ({_first(error)}).") \
            from None
    if meta.get("format") != FORMAT:
        raise JobError(f"'{Path(path).name}' is not an ArtStudio training checkpoint.")
    return meta


def load_train_state(path: Path, modules: dict, optimizers: dict) -> dict:
    """Restore modules and optimisers in place from ``path``; returns its ``info``.

    Every mismatch (a missing or extra key, a wrong shape) is a :class:`JobError`.
    """
    from safetensors.torch import load_file

    meta = read_train_info(path)
    try:
        tensors = load_file(str(path), device="cpu")
        for name, module in modules.items():
            prefix = f"{name}."
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            module.load_state_dict(state, strict=True)
        for name, optimizer in optimizers.items():
            prefix = f"{name}."
            slots: dict[int, dict] = {}
            for key, value in tensors.items():
                if key.startswith(prefix):
                    index, slot = key[len(prefix):].split(".", 1)
                    slots.setdefault(int(index), {})[slot] = value.reshape(()) if slot == "step" else value
            optimizer.load_state_dict({"state": slots, "param_groups": meta["param_groups"][name]})
    except (RuntimeError, ValueError, KeyError) as error:
        raise JobError(f"Checkpoint '{Path(path).name}' does not fit this model ({_first(error)}).") from None
    return meta


def _first(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
