"""One checkpoint format for every trainer, written so that a kill at any instant is harmless.

A checkpoint of the run ``NAME`` is three files in the model folder:

- ``NAME.train.safetensors``: everything a resume needs, under prefixes:
  ``<module>.<key>`` (state dicts: weights, BatchNorm statistics,
  spectral-norm vectors, moving averages) and ``<optimiser>.<param
  index>.<slot>`` (Adam's ``step``, ``exp_avg``, ``exp_avg_sq``), with the
  safetensors metadata ``artstudio`` = JSON: :data:`FORMAT`, the step, the
  seconds trained, the recipe, the smoothed losses, each optimiser's
  hyper-parameters and ``tensors_sha256``, a digest of every tensor, checked
  on resume (safetensors itself has no checksum). Nothing is pickled.
- ``NAME.safetensors``: the model the app loads;
- ``NAME.json``: its card, whose ``sha256`` is that of ``NAME.safetensors``.

The three are replaced together through :func:`artstudio.core.file_commit.commit_files`
(temporaries, then one rename of the manifest ``NAME.commit``), so after
a kill -9 the folder holds the previous triple or, once :func:`recover`
has run, the new one. ``artstudio-train-state-v1`` files (GAN/VAE, same
tensors, no digest) still resume; the restoration trainer's older file
(optimizer moments only, no metadata) is refused in one line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from ..core.checkpoint_files import checkpoint_files, recover
from ..core.file_commit import commit_files
from .base import JobError

FORMAT = "artstudio-train-state-v2"
V1 = "artstudio-train-state-v1"


def save_checkpoint(folder: Path, name: str, trained: tuple[dict, dict, dict], model: dict,
                    card: Callable[[str], dict], metadata: dict | None = None) -> None:
    """Write the train state, the model and its card of run ``name`` as one change.

    Parameters
    ----------
    trained : (modules, optimizers, info)
        What resumes the run; ``info`` (JSON-able) holds the step, seconds, recipe, losses.
    model : dict of str to Tensor
        The weights the app loads (``NAME.safetensors``).
    card : callable
        ``card(sha256_of_weights) -> dict``, written as ``NAME.json``.
    """
    from safetensors.torch import save_file

    from ..core.file_commit import sha256_of

    state, weights, card_path = checkpoint_files(folder, name)
    tensors, meta = _pack(*trained)
    blob = {"artstudio": json.dumps(meta)}
    weights_tmp = weights.with_name(weights.name + ".tmp")
    parts = [
        (state, lambda tmp: save_file(tensors, str(tmp), metadata=blob)),
        (weights, lambda tmp: save_file(model, str(tmp), metadata=metadata)),
        # The card names the weights' checksum, so it goes in last.
        (card_path, lambda tmp: tmp.write_text(json.dumps(card(sha256_of(weights_tmp)), indent=2),
                                               encoding="utf-8")),
    ]
    Path(folder).mkdir(parents=True, exist_ok=True)
    commit_files(parts, Path(folder) / f"{name}.commit")


def read_train_info(path: Path) -> dict:
    """The ``info`` saved with a training state, without loading its tensors (after :func:`recover`)."""
    from safetensors import safe_open

    path = Path(path)
    recover(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get("artstudio")
            keys = list(handle.keys()) if raw is None else []
        meta = json.loads(raw) if raw is not None else {}
    except FileNotFoundError:
        raise JobError(f"Checkpoint '{path}' does not exist.") from None
    except Exception as error:     # safetensors raises its own error types for damaged files
        raise JobError(f"Checkpoint '{path.name}' is not a readable training state ({_first(error)}).") \
            from None
    if raw is None and keys and all(k.split(".", 1)[0].isdigit() for k in keys):
        raise JobError(f"'{path.name}' is a restoration checkpoint from an older ArtStudio that cannot be "
                       "resumed exactly; start a new run (its weights can be fine-tuned with --init).")
    if not isinstance(meta, dict) or meta.get("format") not in (FORMAT, V1):
        raise JobError(f"'{path.name}' is not an ArtStudio training checkpoint.")
    return meta


def load_train_state(path: Path, modules: dict, optimizers: dict) -> dict:
    """Restore modules and optimisers in place from ``path``; returns its ``info``.

    The tensors' digest is checked first; every mismatch (damaged data, a
    missing or extra key, a wrong shape) is a one-line :class:`JobError`.
    """
    from safetensors.torch import load_file

    meta = read_train_info(path)
    try:
        tensors = load_file(str(path), device="cpu")
    except Exception as error:     # a file cut short after its header
        raise JobError(f"Checkpoint '{Path(path).name}' is damaged ({_first(error)}).") from None
    if meta["format"] == FORMAT and digest(tensors) != meta.get("tensors_sha256"):
        raise JobError(f"Checkpoint '{Path(path).name}' is damaged (checksum mismatch).")
    try:
        _unpack(tensors, meta, modules, optimizers)
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        raise JobError(f"Checkpoint '{Path(path).name}' does not fit this model ({_first(error)}).") from None
    return meta


def check_resumable(saved: dict, wanted: dict, path: Path) -> None:
    """:class:`JobError` unless the saved recipe equals the one asked for (the name may differ).

    Continuing with other options would leave weights that the card's
    command, made from one recipe, does not reproduce.
    """
    different = [k for k in wanted if k != "name" and saved.get(k) != wanted[k]]
    if different:
        details = ", ".join(f"{k} {saved.get(k)!r} (asked {wanted[k]!r})" for k in different)
        raise JobError(f"Cannot resume from '{Path(path).name}': it was trained with {details}.")


def digest(tensors: dict) -> str:
    """sha256 over the names, dtypes, shapes and bytes of ``tensors`` (in name order)."""
    hasher = hashlib.sha256()
    for key in sorted(tensors):
        value = tensors[key].detach().cpu().contiguous()
        hasher.update(f"{key}\0{value.dtype}\0{tuple(value.shape)}\0".encode())
        hasher.update(value.view(-1).view(dtype=_byte_dtype()).numpy().tobytes() if value.numel() else b"")
    return hasher.hexdigest()


def _byte_dtype():
    import torch

    return torch.uint8


def _pack(modules: dict, optimizers: dict, info: dict) -> tuple[dict, dict]:
    tensors = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{name}.{key}"] = value.detach().cpu().contiguous()
    groups = {}
    for name, optimizer in optimizers.items():
        state = optimizer.state_dict()
        for index, slots in state["state"].items():
            for slot, value in slots.items():
                value = value.detach().cpu().contiguous()
                tensors[f"{name}.{index}.{slot}"] = value.reshape(-1) if value.dim() == 0 else value
        groups[name] = state["param_groups"]
    meta = {"format": FORMAT, **info, "param_groups": groups, "tensors_sha256": digest(tensors)}
    return tensors, meta


def _unpack(tensors: dict, meta: dict, modules: dict, optimizers: dict) -> None:
    for name, module in modules.items():
        prefix = f"{name}."
        module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)},
                               strict=True)
    for name, optimizer in optimizers.items():
        prefix, slots = f"{name}.", {}
        for key, value in tensors.items():
            if key.startswith(prefix):
                index, slot = key[len(prefix):].split(".", 1)
                slots.setdefault(int(index), {})[slot] = value.reshape(()) if slot == "step" else value
        optimizer.load_state_dict({"state": slots, "param_groups": meta["param_groups"][name]})


def _first(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
