"""The Train panel's model name: what makes it unusable, which model it would
replace, and the hint shown under it (Qt-free, so plain tests read it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..jobs.train_common import NAME_PATTERN


def name_problem(name: str, reserved: set[str]) -> str | None:
    """Why ``name`` cannot name a new model, or None."""
    if not name:
        return "Give the model a name."
    if not re.fullmatch(NAME_PATTERN, name):
        return "Use letters, digits, '-', '_' and '.', starting with a letter or digit."
    if name in reserved:
        return f"'{name}' is a built-in model: choose another name."
    return None


def existing_card(models: Path, name: str) -> dict | None:
    """The card of the user model ``name`` in ``models`` ({} if unreadable), or None when there is none."""
    if not (models / f"{name}.safetensors").is_file():
        return None
    try:
        card = json.loads((models / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def name_hint(name: str, card: dict | None, resume: bool) -> str:
    """Where the run will be saved, or what it continues or overwrites."""
    if card is None:
        return f"Saved as {name} in your models folder."
    kind, step, steps = card.get("task") or card.get("kind", "?"), card.get("step"), card.get("steps")
    where = f" ({kind}, step {step} of {steps})" if step is not None else ""
    if resume:
        return f"Continues {name}{where} from its checkpoint."
    return (f"A model named {name} exists{where}: it will be overwritten. "
            "Tick Resume to continue training it instead.")
