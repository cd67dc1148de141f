"""The architecture registry: name -> (task, contract, bounds on the card, builder).

One entry per network layout a model card can name in ``config.architecture``.
Listing, card checks and contracts need no torch; :func:`build` imports the
entry's network module only when a network is built. Adding an architecture is one entry here
plus its network module; the loader, the resolver and the jobs read the entry.

The ``limits`` bound every number a card may set for that architecture, and
are checked when the card is read, before anything is allocated: a card is
not covered by the weights' checksum, and a ``"width": 3000`` on valid
weights would otherwise allocate gigabytes before the shapes are compared.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from .contracts import Contract
from .specs import TASK_NAMES, ModelError, ModelSpec

# Bounds on a generator card's top level (not per architecture: every generator has them).
LATENT_LIMITS = (1, 1024)
RESOLUTION_LIMITS = (8, 1024)


@dataclass(frozen=True)
class Architecture:
    """One network layout.

    Attributes
    ----------
    name : str
        As written in a card's ``config.architecture``.
    task : str
        ``generate``, a restoration task, or ``encode`` (a VAE's encoder).
    contract : Contract
    module : str
        The network module (in this package), imported only to build.
    build : callable
        ``build(module, spec) -> torch.nn.Module`` with random weights.
    limits : tuple of (key, low, high)
        Inclusive bounds on the integer config values a card may give.
    """

    name: str
    task: str
    contract: Contract
    module: str
    build: Callable[[ModuleType, ModelSpec], object]
    limits: tuple[tuple[str, int, int], ...] = ()


def _build_dcgan(module: ModuleType, spec: ModelSpec):
    options = spec.options
    nz = int(options.get("nz", spec.latent_dim))
    if nz != spec.latent_dim:
        raise ModelError(f"Model '{spec.name}': its card says latent size {spec.latent_dim} "
                         f"but its config says nz={nz}.")
    output = str(options.get("output", "sigmoid" if spec.kind == "vae" else "tanh"))
    return module.DCGANGenerator(nz=nz, ngf=int(options.get("ngf", 64)), nc=int(options.get("nc", 3)),
                                 resolution=spec.resolution, output=output)


def _build_cgan(module: ModuleType, spec: ModelSpec):
    from ..core.captions import Vocabulary

    options = spec.options
    text = str(options.get("text", "gru"))
    vocabulary = len(Vocabulary(list(options.get("vocabulary") or ()))) if text == "gru" else 0
    return module.CaptionGenerator(nz=int(options.get("nz", spec.latent_dim)), ngf=int(options.get("ngf", 64)),
                                   resolution=spec.resolution, text=text, vocabulary=vocabulary)


def _build_conv_encoder(module: ModuleType, spec: ModelSpec):
    options = spec.options
    return module.ConvEncoder(spec.latent_dim, int(options.get("ngf", 64)), int(options.get("nc", 3)),
                              spec.resolution)


def _build_cppn(module: ModuleType, spec: ModelSpec):
    params = spec.options
    # "algorithm" versions how a config becomes weights (see builtins.CPPN_PRESETS).
    if params.pop("algorithm", 1) != 1:
        raise ModelError(f"Model '{spec.name}' needs a newer version of ArtStudio.")
    for key in ("preset", "architecture"):
        params.pop(key, None)
    return module.CPPN(**params)


def _from_config(module: ModuleType, spec: ModelSpec):
    """The restoration networks' entry point: ``module.build(config)``."""
    return module.build(spec.options)


_DCGAN_LIMITS = (("nz", *LATENT_LIMITS), ("ngf", 1, 256), ("nc", 1, 4))
_RESTORE_LIMITS = (("width", 1, 128), ("depth", 1, 32), ("flips", 1, 2))

ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (
    # fp16/bf16 work on a GPU but move pixels by a few levels: recipes must reproduce exactly.
    Architecture("dcgan", "generate", Contract(("latent",), in_channels=0, fixed_size=True),
                 "dcgan", _build_dcgan, _DCGAN_LIMITS),
    # Caption-conditioned: (z, condition) in; the file also holds the GRU text encoder.
    Architecture("cgan-dcgan", "generate", Contract(("latent", "caption"), in_channels=0, fixed_size=True),
                 "cgan", _build_cgan, _DCGAN_LIMITS),
    Architecture("conv-v1", "encode", Contract(("image",), out_channels=0, fixed_size=True),
                 "vae", _build_conv_encoder, _DCGAN_LIMITS),
    # Every pixel is computed on its own: tiles stitch exactly, whatever the overlap.
    Architecture("cppn", "generate", Contract(("coords", "latent"), in_channels=0, min_size=8,
                                              receptive_field=1, tile=512, needs_weights=False),
                 "cppn", _build_cppn),
    # Tiles of 384 px with 48 px of context, as the neural fill cuts long scratches.
    Architecture("gated-unet-v4", "inpaint",
                 Contract(("image", "mask"), multiple=8, min_size=8, fp16_safe=True, bf16_safe=True,
                          receptive_field=250, tile=384, overlap=48),
                 "inpaint_net", _from_config, _RESTORE_LIMITS),
    # Receptive field ~140 px, but its weights fall fast: 64 px of overlap is plenty.
    Architecture("unshuffle-resunet-v1", "denoise",
                 Contract(("image",), multiple=16, min_size=8, fp16_safe=True, bf16_safe=True,
                          receptive_field=140, tile=512, overlap=64),
                 "denoise_net", _from_config, _RESTORE_LIMITS),
    Architecture("espcn-residual-v1", "sr",
                 Contract(("image", "scale"), scales=(2, 4), min_size=4, fp16_safe=True, bf16_safe=True,
                          receptive_field=13, tile=256, overlap=32),
                 "sr_net", _from_config, _RESTORE_LIMITS),
    # The damage finder: one probability per pixel; ~120 px receptive field.
    Architecture("detect-unet-v1", "detect",
                 Contract(("image",), out_channels=1, multiple=8, min_size=8, receptive_field=120,
                          tile=512, overlap=32),
                 "detect_net", _from_config, (("width", 4, 64),)),
)}

# The architecture a card means when it names none (cards written before the field existed).
_DEFAULTS = {"gan": "dcgan", "vae": "dcgan", "cppn": "cppn", "cgan": "cgan-dcgan", "inpaint": "gated-unet-v4",
             "denoise": "unshuffle-resunet-v1", "sr": "espcn-residual-v1",
             "detect": "detect-unet-v1"}


def default_architecture(kind_or_task: str) -> str:
    """The architecture a card of this generator kind or restoration task means when it names none."""
    return _DEFAULTS.get(kind_or_task, "")


def architecture(name: str, task: str, model: str = "") -> Architecture:
    """The entry ``name`` for ``task``; :class:`ModelError` if unknown or for another task."""
    entry = ARCHITECTURES.get(name)
    label = f"Model '{model}'" if model else "it"     # "it": a card's reason, the card is named
    if entry is None:
        raise ModelError(f"{label} uses the '{name}' architecture, which this version of ArtStudio "
                         "cannot load.")
    if entry.task != task:
        raise ModelError(f"{label} has architecture '{name}', which is for {_task_words(entry.task)}, "
                         f"not {_task_words(task)}.")
    return entry


def architecture_of(spec: ModelSpec) -> Architecture:
    """The registry entry that builds ``spec``."""
    return architecture(spec.architecture, spec.task, spec.name)


def check_limits(entry: Architecture, config: dict[str, object]) -> None:
    """``ValueError`` naming the first config value of ``entry`` outside its bounds."""
    for key, low, high in entry.limits:
        if key in config:
            bounded_int(config[key], low, high, key)


def bounded_int(value: object, low: int, high: int, what: str) -> int:
    """``value`` as an int in ``[low, high]``; ``ValueError`` for anything else (bool, 1e400, NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a whole number, not {_short(value)}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise ValueError(f"{what} must be a whole number, not {_short(value)}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {low} to {high}, not {_short(value)}")
    return int(value)


def build(spec: ModelSpec, entry: Architecture | None = None, *, meta: bool = False):
    """A randomly initialised network for ``spec`` (torch imported); config problems as ModelError.

    ``meta=True`` builds it on torch's ``meta`` device: shapes without
    memory, to compare with a file before the real network is allocated.
    """
    entry = entry or architecture_of(spec)
    # Imported outside the meta context: module-level tensors must be real ones.
    module = importlib.import_module(f"{__package__}.{entry.module}")
    try:
        if not meta:
            return entry.build(module, spec)
        import torch

        with torch.device("meta"):
            return entry.build(module, spec)
    except (TypeError, ValueError) as error:
        raise ModelError(f"Model '{spec.name}' has an invalid config: {error}") from None


def _task_words(task: str) -> str:
    if task == "encode":
        return "a VAE's encoder"
    return f"{'an' if task == 'inpaint' else 'a'} {TASK_NAMES.get(task, task)} " \
           f"{'model' if task == 'generate' else 'network'}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
