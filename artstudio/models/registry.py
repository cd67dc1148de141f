"""The model registry: what generators exist, without importing torch.

Built-ins are ``dcgan-faces`` (bundled weights) and the CPPN presets
(``cppn`` and ``cppn-<preset>``, no weights). User models are pairs
``NAME.safetensors`` + ``NAME.json`` (a card) in the user's model folder;
training writes them and they appear here automatically. The card holds::

    {"name": "...", "kind": "gan" | "vae", "latent_dim": 100, "resolution": 64,
     "sha256": "<hex of the .safetensors>", "source": "...", "licence": "...",
     "description": "...", "config": {"architecture": "dcgan", "ngf": 64, ...}}

A card that cannot be read or lacks its weights file is skipped with a
logged warning, never an exception: one broken file must not hide the rest.
Checksums are verified when a model is loaded (see ``generators``), where a
mismatch can be reported to the user in words.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from ..core.paths import resources_dir

log = logging.getLogger(__name__)

KINDS = ("gan", "cppn", "vae")
DCGAN_FACES_SHA256 = "f035804ea249ae40abcd5b988a7f9e186fd81c0eaa02b4f9b2cb1c955d55b5bf"
DCGAN_FACES_FILE = "dcgan-faces.safetensors"

# Style presets. "algorithm" versions how a config becomes a network: bump it
# if cppn.py ever draws weights differently, so hashes and recipes stay honest.
_CPPN_BASE = {"algorithm": 1, "latent_dim": 8, "hidden": 32, "depth": 4, "activations": ("tanh",),
              "colour": "rgb", "scale": 2.0, "z_scale": 1.5, "gain": 2.5, "out_gain": 4.0, "seed": 0}
# Tuned by eye at 256 px, and so that a 0.05-sigma step in z changes pixels by
# only ~2-5 levels on average (smooth sliders) while a 1-sigma step changes
# the picture clearly (45-65 levels).
CPPN_PRESETS: dict[str, dict[str, object]] = {
    "classic": {**_CPPN_BASE, "scale": 3.0, "z_scale": 2.0, "gain": 4.0, "seed": 7},
    "soft": {**_CPPN_BASE, "activations": ("sin+gauss+tanh",), "scale": 1.5, "out_gain": 5.0,
             "seed": 11},
    "bands": {**_CPPN_BASE, "colour": "palette", "z_scale": 1.0, "out_gain": 3.0, "seed": 3,
              "palette": (0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 2.0, 2.0, 2.0, 0.0, 0.33, 0.67)},
    "ink": {**_CPPN_BASE, "activations": ("tanh", "gauss"), "colour": "mono", "scale": 2.5,
            "z_scale": 1.3, "gain": 3.5, "out_gain": 6.0, "seed": 5},
    "deep": {**_CPPN_BASE, "depth": 8, "hidden": 24, "activations": ("tanh", "sin"),
             "z_scale": 0.8, "gain": 2.2, "out_gain": 5.0, "seed": 21},
}
CPPN_DESCRIPTIONS = {
    "classic": "Abstract blobs and swirls (tanh layers, RGB).",
    "soft": "Soft rings and ripples (mixed sin, Gaussian and tanh units).",
    "bands": "Oil-slick colour bands (smooth tanh shapes through a cosine palette).",
    "ink": "Black-and-white ink and smoke (tanh and Gaussian layers).",
    "deep": "Vivid, intricate folds from a deeper, narrower network (tanh and sin).",
}
CPPN_RESOLUTION = 512


class ModelError(Exception):
    """A model problem, with a one-line message meant for the user."""


@dataclass(frozen=True)
class ModelSpec:
    """One generator the app can load.

    ``resolution`` is the native output side in px (GANs) or the default
    render side (CPPN). ``config`` holds architecture or preset parameters as
    sorted (key, value) pairs so the spec stays hashable; see :attr:`options`.
    """

    name: str
    kind: str
    latent_dim: int
    resolution: int
    weights: Path | None
    sha256: str | None
    source: str
    licence: str
    description: str = ""
    config: tuple[tuple[str, object], ...] = ()

    @property
    def options(self) -> dict[str, object]:
        """``config`` as a plain dict."""
        return dict(self.config)


def builtin_models() -> list[ModelSpec]:
    """dcgan-faces and the CPPN presets (``cppn`` is the classic one)."""
    faces = ModelSpec(
        name="dcgan-faces", kind="gan", latent_dim=100, resolution=64,
        weights=resources_dir() / "models" / DCGAN_FACES_FILE, sha256=DCGAN_FACES_SHA256,
        source="gan-face-generate 1.1.1 (PyPI), converted", licence="MIT (c) 2023 Chien Liu",
        description="64x64 faces from a DCGAN trained on the synthetic DigiFace-1M faces.",
        config=_frozen({"architecture": "dcgan", "nz": 100, "ngf": 64, "nc": 3, "output": "tanh"}))
    specs = [faces]
    for preset, params in CPPN_PRESETS.items():
        specs.append(ModelSpec(
            name="cppn" if preset == "classic" else f"cppn-{preset}", kind="cppn",
            latent_dim=int(params["latent_dim"]), resolution=CPPN_RESOLUTION, weights=None,
            sha256=None, source="built-in", licence="MIT (ArtStudio)",
            description=CPPN_DESCRIPTIONS[preset], config=_frozen({"preset": preset, **params})))
    return specs


def list_models(user_dir: Path | None = None) -> list[ModelSpec]:
    """Built-ins, then the user models found in ``user_dir`` (sorted by name)."""
    specs = builtin_models()
    if user_dir is None or not Path(user_dir).is_dir():
        return specs
    taken = {spec.name for spec in specs}
    for card in sorted(Path(user_dir).glob("*.json")):
        spec = _read_card(card)
        if spec is None:
            continue
        if spec.name in taken:
            log.warning("Skipping model card %s: the name '%s' is already used.", card, spec.name)
            continue
        taken.add(spec.name)
        specs.append(spec)
    return specs


def find_model(name: str, user_dir: Path | None = None) -> ModelSpec:
    """The spec called ``name``; :class:`ModelError` naming the choices if none is."""
    specs = list_models(user_dir)
    for spec in specs:
        if spec.name == name:
            return spec
    raise ModelError(f"Unknown model '{name}'. Available: {', '.join(s.name for s in specs)}.")


def config_hash(config: tuple[tuple[str, object], ...]) -> str:
    """sha256 hex of the canonical JSON of a config (the identity of a CPPN)."""
    text = json.dumps(dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_card(card: Path) -> ModelSpec | None:
    weights = card.with_suffix(".safetensors")
    try:
        data = json.loads(card.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        kind = str(data["kind"])
        if kind == "restore":       # a restoration network: listed by restore_models, not here
            return None
        if kind not in ("gan", "vae"):
            raise ValueError(f"kind '{kind}' is not gan or vae")
        if not weights.is_file():
            raise ValueError(f"{weights.name} is missing")
        config = data.get("config") or {}
        if not isinstance(config, dict):
            raise ValueError("config is not an object")
        return ModelSpec(
            name=str(data.get("name") or card.stem), kind=kind,
            latent_dim=_positive_int(data["latent_dim"]), resolution=_positive_int(data["resolution"]),
            weights=weights, sha256=str(data["sha256"]).lower(),
            source=str(data.get("source", "trained in ArtStudio")),
            licence=str(data.get("licence", "unknown")),
            description=str(data.get("description", "")), config=_frozen(config))
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("Skipping model card %s: %s", card, error)
        return None


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or int(value) != value or int(value) <= 0:
        raise ValueError(f"{value!r} is not a positive integer")
    return int(value)


def _frozen(config: dict[str, object]) -> tuple[tuple[str, object], ...]:
    """Sorted pairs, lists turned into tuples (recursively) so the spec hashes."""
    def freeze(value: object) -> object:
        if isinstance(value, (list, tuple)):
            return tuple(freeze(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
        return value
    return tuple(sorted((str(k), freeze(v)) for k, v in config.items()))
