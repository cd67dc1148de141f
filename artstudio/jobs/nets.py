"""The loaded restoration networks, one per (weights, checksum, device) per process.

:func:`get_restore_net` is what every neural restore job calls; it turns a
model name, task or checkpoint path into a loaded network, or a one-line
:class:`~artstudio.jobs.base.JobError` that names the classical methods to
use instead. torch is imported only when a network is loaded.
"""

from __future__ import annotations

from .base import JobError


def get_restore_net(model: str, task: str, device: str = "auto"):
    """The loaded network ``model`` for ``task``, loaded once per process.

    Parameters
    ----------
    model : str
        A shipped name or task (``restore-sr``, ``sr``), the name of a network
        in the user's models folder, or a checkpoint path.
    task : str
        ``"inpaint"``, ``"denoise"`` or ``"sr"``: the network the job needs.
    device : str
        ``auto``, ``cuda``, ``mps`` or ``cpu``.

    Returns
    -------
    (torch.nn.Module, torch.device)

    Raises
    ------
    JobError
        One line, when the weights are missing, damaged or for another task.
    """
    from ..models.device import choose_device
    from ..models.loading import get_model
    from ..models.registry import ModelError, resolve
    from ..models.specs import TASK_NAMES

    try:
        target = choose_device(device)
        spec = resolve(model, kind=task)
        if not spec.weights.is_file():
            raise JobError(f"The {TASK_NAMES[task]} network is not installed ('{spec.weights.name}' is "
                           f"missing); {_alternatives(task)}")
        return get_model(spec, target), target
    except (ValueError, ModelError) as error:
        raise JobError(str(error)) from None


def _alternatives(network: str) -> str:
    """``use the telea, ns, biharmonic or dip method instead.``: the operations
    of the same task that need no network, from the registry."""
    from .operations import OPERATIONS

    task = next(op.task for op in OPERATIONS if op.network == network)
    keys = [op.key for op in OPERATIONS if op.task == task and op.network is None]
    return f"use the {', '.join(keys[:-1])} or {keys[-1]} method instead."


def clear_restore_nets() -> None:
    """Forget loaded networks (tests; freeing memory)."""
    from ..models.loading import clear_models

    clear_models()
