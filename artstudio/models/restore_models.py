"""The restoration networks ArtStudio ships, and loading any restoration checkpoint safely.

The list (:func:`shipped_restore_models`) needs no torch, so the UI can show
it at start-up. :func:`load_restore_net` imports torch when called.

A checkpoint is a pair ``NAME.safetensors`` + ``NAME.json`` (the card that
:mod:`artstudio.jobs.train_restore` writes: ``task``, ``architecture``,
``config``, ``sha256``, recipe, data, scores). Shipped models have their
checksum pinned here; a user checkpoint is checked against its card.
Either way the file is hashed *before* a byte of it is parsed, and loading
is strict: a wrong, truncated or tampered file is a one-line
:class:`~.registry.ModelError` naming the file, never a traceback.

Networks and their contracts: :mod:`.inpaint_net` (``net(image, mask)``),
:mod:`.denoise_net` (``net(image)``), :mod:`.sr_net` (``net(image, scale)``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..core.paths import resources_dir
from .registry import ModelError, sha256_file
from .weights import load_strict

RESTORE_TASKS = ("inpaint", "denoise", "sr")
_ARCHITECTURES = {"inpaint": "gated-unet-v4", "denoise": "unshuffle-resunet-v1", "sr": "espcn-residual-v1"}


@dataclass(frozen=True)
class RestoreModelSpec:
    """One restoration network. ``config`` as sorted pairs so the spec hashes."""

    name: str
    task: str
    weights: Path
    sha256: str
    card: Path | None
    config: tuple[tuple[str, object], ...]
    description: str = ""

    @property
    def options(self) -> dict[str, object]:
        return dict(self.config)


# Filled in from the training runs (see each model card for data, recipe and scores).
_SHIPPED = (
    ("restore-inpaint", "inpaint", "14b42d40e6007630cb7e7acdfbddfcf89206dd043728471402982757396ac313",
     {"architecture": "gated-unet-v4", "width": 24, "guess": "biharmonic", "flips": 2},
     "Fills scratches, dust, strokes and small holes (gated-convolution U-Net)."),
    ("restore-denoise", "denoise", "bd2dfd2652b5330d8d1b9e782a527cc6b10ac7d18cba217fee4f8ec3e99b0168", {"architecture": "unshuffle-resunet-v1", "width": 32},
     "Removes gaussian noise of unknown strength, sigma 5-50 (residual U-Net)."),
    ("restore-sr", "sr", "ee6475a78f677ac57e747ef9fcc4072967a92dfc1d44b983058dc637779c06ce", {"architecture": "espcn-residual-v1", "width": 32, "depth": 3},
     "Upscales x2 or x4 (residual over bicubic, pixel shuffle)."),
)


def shipped_restore_models() -> list[RestoreModelSpec]:
    """The bundled networks, in resources/models/ (no torch imported)."""
    folder = resources_dir() / "models"
    return [RestoreModelSpec(name, task, folder / f"{name}.safetensors", sha256, folder / f"{name}.md",
                             tuple(sorted(config.items())), description)
            for name, task, sha256, config, description in _SHIPPED]


def find_restore_model(task: str) -> RestoreModelSpec:
    """The shipped network for ``task`` (``inpaint``, ``denoise`` or ``sr``)."""
    for spec in shipped_restore_models():
        if spec.task == task:
            return spec
    raise ModelError(f"No restoration network for '{task}'. Tasks: {', '.join(RESTORE_TASKS)}.")


def spec_from_card(path: Path) -> RestoreModelSpec:
    """The spec of a user checkpoint: ``NAME.safetensors`` (or ``NAME.json``) from training."""
    weights = Path(path).with_suffix(".safetensors")
    card = weights.with_suffix(".json")
    try:
        data = json.loads(card.read_text(encoding="utf-8"))
        task, config = str(data["task"]), dict(data["config"])
        sha256 = str(data["sha256"]).lower()
    except FileNotFoundError:
        raise ModelError(f"Model file '{weights.name}' has no card '{card.name}' beside it.") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"Model card '{card.name}' is not readable ({error}).") from None
    if task not in RESTORE_TASKS:
        raise ModelError(f"Model card '{card.name}' is for task '{task}', not a restoration task.")
    return RestoreModelSpec(str(data.get("name") or weights.stem), task, weights, sha256, card,
                            tuple(sorted(config.items())), str(data.get("description", "")))


def user_restore_models(user_dir: Path | None) -> list[RestoreModelSpec]:
    """Restoration networks trained or fine-tuned by the user (cards in ``user_dir``), by name."""
    found = []
    for card in sorted(Path(user_dir).glob("*.json")) if user_dir is not None and Path(user_dir).is_dir() else []:
        try:
            if json.loads(card.read_text(encoding="utf-8")).get("kind") == "restore":
                found.append(spec_from_card(card))
        except (OSError, ValueError, ModelError):
            continue
    return found


def resolve_restore_model(name_or_path: str | Path, user_dir: Path | None = None) -> RestoreModelSpec:
    """A shipped model by name or task (``restore-sr``, ``sr``), a user model by name, or a checkpoint path."""
    text = str(name_or_path)
    for spec in shipped_restore_models():
        if text in (spec.name, spec.task):
            return spec
    if user_dir is not None and (Path(user_dir) / f"{text}.json").is_file():
        return spec_from_card(Path(user_dir) / f"{text}.json")
    if text.endswith((".safetensors", ".json")) or Path(text).exists():
        return spec_from_card(Path(text))
    names = ", ".join(s.name for s in shipped_restore_models())
    raise ModelError(f"Unknown restoration model '{text}'. Available: {names}, or a .safetensors path.")


def load_restore_net(name_or_path: str | Path | RestoreModelSpec, device="cpu"):
    """Load a restoration network, checksum first, strictly, in eval mode.

    Parameters
    ----------
    name_or_path : str, Path or RestoreModelSpec
        A shipped name (``restore-inpaint``), a task (``inpaint``) or a
        ``.safetensors`` path with its ``.json`` card beside it.
    device : str or torch.device

    Returns
    -------
    torch.nn.Module
        :class:`~.inpaint_net.InpaintNet`, :class:`~.denoise_net.DenoiseNet`
        or :class:`~.sr_net.SRNet`, with ``requires_grad`` off and a ``spec``
        attribute (the :class:`RestoreModelSpec`).

    Raises
    ------
    ModelError
        One line naming the file: missing, checksum mismatch, not
        safetensors, or keys/shapes that do not fit the architecture.
    """
    spec = name_or_path if isinstance(name_or_path, RestoreModelSpec) else resolve_restore_model(name_or_path)
    path = Path(spec.weights)
    if not path.is_file():
        raise ModelError(f"Model file '{path}' for '{spec.name}' is missing.")
    if not spec.sha256 or sha256_file(path) != spec.sha256.lower():
        raise ModelError(f"Model file '{path.name}' is damaged or not the one expected (checksum mismatch).")
    net = _build(spec)
    state = _read(path)
    load_strict(net, state, path, f"the {spec.task} network")
    net.requires_grad_(False)
    net.spec = spec
    return net.to(device).eval()


def _build(spec: RestoreModelSpec):
    config = spec.options
    if config.get("architecture", _ARCHITECTURES[spec.task]) != _ARCHITECTURES[spec.task]:
        raise ModelError(f"Model '{spec.name}' has architecture '{config.get('architecture')}', "
                         f"which this version of ArtStudio cannot run.")
    if spec.task == "inpaint":
        from .inpaint_net import build
    elif spec.task == "denoise":
        from .denoise_net import build
    else:
        from .sr_net import build
    try:
        return build(config)
    except (TypeError, ValueError) as error:
        raise ModelError(f"Model '{spec.name}' has an invalid config: {error}") from None


def _read(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else "unknown error"
        raise ModelError(f"Model file '{path.name}' is not a readable safetensors file ({first}).") from None
