"""The models ArtStudio ships: dcgan-faces, the CPPN presets and the restoration networks.

Checksums of shipped weights are pinned here (not read from a card), so a
replaced file is refused before it is parsed. No torch here.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.paths import resources_dir
from .specs import ModelSpec, freeze, restore_spec

SHIPPED_ENV = "ARTSTUDIO_SHIPPED_MODELS"
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

# Filled in from the training runs (see each model card for data, recipe and scores).
_SHIPPED_RESTORE = (
    ("restore-inpaint", "inpaint", "14b42d40e6007630cb7e7acdfbddfcf89206dd043728471402982757396ac313",
     {"architecture": "gated-unet-v4", "width": 24, "guess": "biharmonic", "flips": 2},
     "Fills scratches, dust, strokes and small holes (gated-convolution U-Net)."),
    ("restore-denoise", "denoise", "bd2dfd2652b5330d8d1b9e782a527cc6b10ac7d18cba217fee4f8ec3e99b0168",
     {"architecture": "unshuffle-resunet-v1", "width": 32},
     "Removes gaussian noise of unknown strength, sigma 5-50 (residual U-Net)."),
    ("restore-sr", "sr", "ee6475a78f677ac57e747ef9fcc4072967a92dfc1d44b983058dc637779c06ce",
     {"architecture": "espcn-residual-v1", "width": 32, "depth": 3},
     "Upscales x2 or x4 (residual over bicubic, pixel shuffle)."),
    ("restore-detect", "detect", "6eb31b8ffe455954cedfe0bf2faf5ef39b8220d72c60002f58e58876e1614781",
     {"architecture": "detect-unet-v1", "width": 24},
     "Finds dust specks and scratches for the damage finder (small U-Net)."),
)


# Caption-conditioned demo models (docs/captions/): name -> sha256 of the weights. Their config
# (the GRU's vocabulary) is read from the shipped card beside them, as bounded as a user's card.
_SHIPPED_CAPTIONED = (
    ("shapes-captions", "b90e4a96bfbb8b1c6072f038a16f37628b19d5425d4cd6f20afdb1134f11d6b3"),
    ("shapes-captions-sentence", "2aff6121a68818f0c31f2ef16927791210c17e2c547461de0ef7a9d32d46ab1a"),
)


def shipped_dir() -> Path:
    """The folder of the shipped weights: resources/models, or ``$ARTSTUDIO_SHIPPED_MODELS``.

    The override lets a test (or a packager) point the registry at an empty
    folder and see exactly what a user without the weights sees.
    """
    override = os.environ.get(SHIPPED_ENV)
    return Path(override) if override else resources_dir() / "models"


def builtin_generators() -> list[ModelSpec]:
    """dcgan-faces and the CPPN presets (``cppn`` is the classic one)."""
    faces = ModelSpec(
        name="dcgan-faces", kind="gan", latent_dim=100, resolution=64,
        weights=shipped_dir() / DCGAN_FACES_FILE, sha256=DCGAN_FACES_SHA256,
        source="gan-face-generate 1.1.1 (PyPI), converted", licence="MIT (c) 2023 Chien Liu",
        description="64x64 faces from a DCGAN trained on the synthetic DigiFace-1M faces.",
        config=freeze({"architecture": "dcgan", "nz": 100, "ngf": 64, "nc": 3, "output": "tanh"}))
    specs = [faces]
    for preset, params in CPPN_PRESETS.items():
        specs.append(ModelSpec(
            name="cppn" if preset == "classic" else f"cppn-{preset}", kind="cppn",
            latent_dim=int(params["latent_dim"]), resolution=CPPN_RESOLUTION, weights=None,
            sha256=None, source="built-in", licence="MIT (ArtStudio)",
            description=CPPN_DESCRIPTIONS[preset], config=freeze({"preset": preset, **params})))
    return specs + shipped_caption_models()


def shipped_caption_models() -> list[ModelSpec]:
    """The caption-conditioned demo models whose card is shipped (a missing card: not listed)."""
    from dataclasses import replace

    from .cards import CardError, card_spec

    found = []
    for name, sha256 in _SHIPPED_CAPTIONED:
        card = shipped_dir() / f"{name}.json"
        try:
            spec = card_spec(card)
        except CardError:
            continue
        found.append(replace(spec, name=name, sha256=sha256, source="shipped demo (trained in ArtStudio)",
                             licence="MIT (ArtStudio)"))
    return found


def shipped_restore_models() -> list[ModelSpec]:
    """The bundled restoration networks, in resources/models/, one per task."""
    folder = shipped_dir()
    return [restore_spec(name, task, folder / f"{name}.safetensors", sha256, folder / f"{name}.md",
                         config, description)
            for name, task, sha256, config, description in _SHIPPED_RESTORE]


def all_builtins() -> list[ModelSpec]:
    """Every model that comes with ArtStudio: generators, then restoration networks."""
    return builtin_generators() + shipped_restore_models()
