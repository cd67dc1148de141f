"""The Restore panel's Network lists, kept in step with the user's models folder.

Each restore task that runs a network (the registry's ``network`` field)
offers the shipped network first, then the ones the user trained (cards in
``paths.models``). The choice is remembered while the app runs; the lists
are re-read whenever the workspace is shown (a training run may have just
added one).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..core.paths import AppPaths
from ..models.restore_models import RestoreModelSpec, shipped_restore_models, user_restore_models
from .restore_panel import RestorePanel


class NetworkLists:
    """Fills ``panel``'s Network lists and answers which model a request runs."""

    def __init__(self, panel: RestorePanel, paths: AppPaths | None, tell: Callable[[str], None]):
        self.panel, self.paths, self.tell = panel, paths, tell

    def refresh(self) -> None:
        """Re-read the user's restoration networks into the lists.

        A chosen network that is gone falls back to the shipped one (with a
        message). Unreadable cards are skipped by ``user_restore_models``; a
        listed network that fails to load fails its job with a one-line error.
        """
        user = user_restore_models(self.paths.models) if self.paths is not None else []
        for shipped in shipped_restore_models():
            if shipped.task not in self.panel.network_tasks():
                continue        # a network with no list to choose it in (the damage finder's)
            choices = [(shipped.name, f"{shipped.name} (shipped)", shipped.description)]
            choices += [_choice(spec) for spec in user if spec.task == shipped.task]
            gone = self.panel.set_networks(shipped.task, choices)
            if gone:
                self.tell(f"The network '{gone}' is no longer in the models folder; using {shipped.name}.")

    def model(self, network: str) -> str:
        """The model for a request: the panel's choice, or the task (the shipped network)."""
        return self.panel.network(network) or network

    def label(self, label: str, network: str) -> str:
        """``label`` (status line, undo history) naming the user's network when one is chosen."""
        model = self.model(network)
        return f"{label} with {Path(model).stem}" if model.endswith(".safetensors") else label


def _choice(spec: RestoreModelSpec) -> tuple[str, str, str]:
    """A user network as a Network list entry: (its weights path for the request, label, tooltip)."""
    tip = f"{spec.description}\n{spec.weights}" if spec.description else str(spec.weights)
    return str(spec.weights), spec.name, tip
