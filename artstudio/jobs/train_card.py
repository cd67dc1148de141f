"""The one model-card writer for every trained kind, and the command that re-runs its recipe.

A card (``NAME.json`` beside ``NAME.safetensors``) has one schema for all
kinds. Common fields: ``name``, ``kind``, ``sha256``, ``step``, ``steps``,
``seconds``, ``seed``, ``losses``, ``data`` (folder, images, skipped),
``recipe``, ``command``, ``train_state``, ``hardware``, ``time``, ``source``,
``licence``, ``card_version``. The loaders also read kind-specific fields,
passed in by the trainer: ``latent_dim``, ``resolution``, ``config`` and
``description`` (GAN/VAE, see :mod:`artstudio.models.registry`); ``task``,
``architecture`` and ``config`` (restoration, with ``kind`` "restore", see
:mod:`artstudio.models.restore_models`).

``command`` is made from the recipe alone and names every option that
changes the weights, with today's defaults written out, so that it still
re-runs the same training after a default changes.
"""

from __future__ import annotations

import math
import platform
import shlex
from datetime import datetime, timezone
from pathlib import Path

CARD_VERSION = 2

# recipe key -> CLI option, in the order they are written.
GEN_OPTIONS = (("preset", "--preset"), ("size", "--size"), ("steps", "--steps"), ("batch", "--batch"),
               ("seed", "--seed"), ("latent", "--latent"), ("width", "--width"), ("lr", "--lr"),
               ("crop", "--crop"), ("text", "--text"))
RESTORE_HEAD = (("init", "--init"), ("seed", "--seed"), ("width", "--width"), ("depth", "--depth"),
                ("scale", "--scale"))
RESTORE_TAIL = (("steps", "--steps"), ("size", "--size"), ("batch", "--batch"), ("lr", "--lr"),
                ("damage", "--damage"), ("hard_crops", "--hard-crops"), ("hard_negatives", "--hard-negatives"))


def command_for(recipe: dict, data: Path | str, steps: int) -> str:
    """``artstudio train ...`` that trains ``recipe`` on ``data`` for ``steps`` steps.

    ``recipe`` is a trainer's recipe: with ``kind`` (gan, vae) or ``task``
    (inpaint, denoise, sr). Values are written so that the CLI parses them
    back to equal values (floats by ``repr``, tuples comma-separated).
    """
    values = {**recipe, "steps": steps, **(recipe.get("config") or {})}
    what = recipe.get("task") or recipe["kind"]
    words = ["artstudio", "train", what, "--data", str(data), "--out", recipe["name"]]
    options = GEN_OPTIONS if "task" not in recipe else RESTORE_HEAD + RESTORE_TAIL
    for key, option in options:
        text = _option_text(values.get(key))
        if text is not None:
            words += [option, text]
    return shlex.join(words)


def _option_text(value) -> str | None:
    if value is None or isinstance(value, (tuple, list)) and not value:
        return None
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return repr(float(value)) if isinstance(value, float) else str(value)


def make_card(*, name: str, kind: str, sha256: str, recipe: dict, data: dict, step: int, steps: int,
              seconds: float, seed: int, losses: dict, train_state: str, hardware: str, licence: str,
              fields: dict) -> dict:
    """A card (JSON-able dict) with the common schema plus the kind's ``fields``.

    ``data`` is ``{"folder": str, "images": int, "skipped": list[str]}``;
    ``recipe`` must hold ``data``-independent options only (see :func:`command_for`).
    """
    card = {
        "name": name, "kind": kind, **fields, "sha256": sha256,
        "step": step, "steps": steps, "seconds": round(seconds, 1), "seed": seed,
        "losses": {k: round(float(v), 6) for k, v in losses.items() if math.isfinite(v)},
        "data": {"folder": str(data["folder"]), "images": int(data["images"]),
                 "skipped": list(data["skipped"])},
        "recipe": recipe, "command": command_for(recipe, data["folder"], steps),
        "train_state": train_state, "hardware": hardware,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": "trained in ArtStudio", "licence": licence, "card_version": CARD_VERSION,
    }
    return card


def hardware_line(device, processes: int = 1) -> str:
    """``"CPU (4 threads) x1; x86_64"``: where a run trained, for its card."""
    from ..models.device import describe_device

    return f"{describe_device(device)} x{processes}; {platform.processor() or platform.machine()}"
