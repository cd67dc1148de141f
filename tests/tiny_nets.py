"""Tiny random restoration networks of the real architectures, saved as training saves them."""

from __future__ import annotations

import json
from pathlib import Path

CONFIGS = {"inpaint": {"width": 8}, "denoise": {"width": 8}, "sr": {"width": 8, "depth": 1}}


def save_tiny(folder: Path, task: str, seed: int = 0, **config) -> tuple[object, Path]:
    """(the network in eval mode, its ``tiny-TASK.safetensors`` with the card beside it)."""
    import torch
    from safetensors.torch import save_file

    from artstudio.models import denoise_net, inpaint_net, sr_net
    from artstudio.models.registry import sha256_file

    module = {"inpaint": inpaint_net, "denoise": denoise_net, "sr": sr_net}[task]
    config = {**CONFIGS[task], **config}
    torch.manual_seed(seed)
    net = module.build(config)
    weights = Path(folder) / f"tiny-{task}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    card = {"name": f"tiny-{task}", "task": task, "sha256": sha256_file(weights),
            "config": {**config, "architecture": module.ARCHITECTURE}}
    weights.with_suffix(".json").write_text(json.dumps(card))
    return net.eval(), weights


def smaller_tiles(monkeypatch, architecture: str, tile: int) -> None:
    """Make the jobs tile ``architecture``'s runs at ``tile`` px (they read its contract)."""
    from dataclasses import replace

    from artstudio.models.architectures import ARCHITECTURES

    entry = ARCHITECTURES[architecture]
    monkeypatch.setitem(ARCHITECTURES, architecture, replace(entry, contract=replace(entry.contract, tile=tile)))
