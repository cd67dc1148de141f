"""The restoration networks, by the names the restoration code has always used.

One implementation underneath: the specs are :class:`~.specs.ModelSpec`
(``kind="restore"``, ``task`` one of :data:`RESTORE_TASKS`), resolved by
:func:`.registry.resolve` and loaded by :func:`.loading.load_net`, checksum
first and strictly. Listing needs no torch, so the UI can show the networks
at start-up. Networks and their contracts: :mod:`.inpaint_net`
(``net(image, mask)``), :mod:`.denoise_net` (``net(image)``), :mod:`.sr_net`
(``net(image, scale)``); the contract records are in :mod:`.architectures`.
"""

from __future__ import annotations

from pathlib import Path

from .builtins import shipped_restore_models  # noqa: F401  (the shipped list, no torch)
from .registry import resolve, spec_at, user_specs
from .specs import RESTORE_TASKS, ModelError, ModelSpec  # noqa: F401

# One spec type for every kind; the old name stays for the code that annotates with it.
RestoreModelSpec = ModelSpec


def find_restore_model(task: str) -> ModelSpec:
    """The shipped network for ``task`` (``inpaint``, ``denoise`` or ``sr``)."""
    for spec in shipped_restore_models():
        if spec.task == task:
            return spec
    raise ModelError(f"No restoration network for '{task}'. Tasks: {', '.join(RESTORE_TASKS)}.")


def spec_from_card(path: Path) -> ModelSpec:
    """The spec of a user checkpoint: ``NAME.safetensors`` (or ``NAME.json``) from training."""
    spec = spec_at(Path(path))
    if spec.kind != "restore":
        raise ModelError(f"Model '{spec.name}' is {spec.what()}, not a restoration network.")
    return spec


def user_restore_models(user_dir: Path | None) -> list[ModelSpec]:
    """Restoration networks trained or fine-tuned by the user (cards in ``user_dir``), by file name."""
    return [] if user_dir is None else user_specs(user_dir, "restore")


def resolve_restore_model(name_or_path: str | Path, user_dir: Path | None = None) -> ModelSpec:
    """A shipped model by name or task (``restore-sr``, ``sr``), a user model by name, or a checkpoint path."""
    return resolve(name_or_path, kind="restore", user_dir=user_dir)


def load_restore_net(name_or_path: str | Path | ModelSpec, device="cpu"):
    """Load a restoration network, checksum first, strictly, in eval mode.

    Parameters
    ----------
    name_or_path : str, Path or ModelSpec
        A shipped name (``restore-inpaint``), a task (``inpaint``) or a
        ``.safetensors`` path with its ``.json`` card beside it.
    device : str or torch.device

    Returns
    -------
    torch.nn.Module
        :class:`~.inpaint_net.InpaintNet`, :class:`~.denoise_net.DenoiseNet`
        or :class:`~.sr_net.SRNet`, with ``requires_grad`` off and a ``spec``
        attribute.

    Raises
    ------
    ModelError
        One line naming the file: missing, checksum mismatch, not
        safetensors, damaged values, or keys/shapes that do not fit.
    """
    from .loading import load_net

    spec = name_or_path if isinstance(name_or_path, ModelSpec) else resolve_restore_model(name_or_path)
    return load_net(spec, device)
