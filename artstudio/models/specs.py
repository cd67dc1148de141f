"""What a model is, as data: :class:`ModelSpec` for every kind, and :class:`ModelError`.

No torch here: the window lists models at start-up before torch has loaded.

Kinds and tasks
---------------
``kind``  what loads it and what it gives back: ``gan``, ``vae``, ``cppn`` and
          ``cgan`` (caption-conditioned GAN: a caption and latents in) are
          generators (latents in, images out; see :mod:`.generators`);
          ``restore`` is a restoration network (an ``nn.Module``).
``task``  what the model does: ``generate`` for every generator, or the
          restoration task ``inpaint``, ``denoise``, ``sr`` or ``detect`` (the damage finder).

A new kind or task is a new entry here and an architecture in
:mod:`.architectures`; nothing else lists them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..core.file_commit import sha256_of as sha256_file  # noqa: F401  (re-exported: one file hash for all)

GENERATOR_KINDS = ("gan", "cppn", "vae", "cgan")
RESTORE_TASKS = ("inpaint", "denoise", "sr", "detect")
KINDS = GENERATOR_KINDS + ("restore",)
# For messages: "a super-resolution network", "a generator".
TASK_NAMES = {"generate": "generator", "inpaint": "inpainting", "denoise": "denoising",
              "sr": "super-resolution", "detect": "damage-detection"}


class ModelError(Exception):
    """A model problem, with a one-line message meant for the user."""


@dataclass(frozen=True)
class ModelSpec:
    """One model the app can load: a generator or a restoration network.

    Attributes
    ----------
    name : str
        Unique across built-ins, shipped networks and the user's folder.
    kind : str
        One of :data:`KINDS`.
    latent_dim, resolution : int
        Generators: latent size and native output side in px (CPPN: the
        default render side). 0 for restoration networks.
    weights : Path or None
        The ``.safetensors`` file; None for a CPPN (drawn from its config).
    sha256 : str or None
        Hex digest the weights must have before a byte of them is parsed.
    source, licence, description : str
    config : tuple of (key, value) pairs
        Architecture or preset parameters, sorted, so the spec hashes; see
        :attr:`options`.
    task : str
        ``generate`` or one of :data:`RESTORE_TASKS`.
    card : Path or None
        The model card beside the weights (JSON, or a shipped ``.md``).
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
    task: str = "generate"
    card: Path | None = None

    @property
    def options(self) -> dict[str, object]:
        """``config`` as a plain dict."""
        return dict(self.config)

    @property
    def architecture(self) -> str:
        """The architecture name (the card's, else the default for the task)."""
        from .architectures import default_architecture

        return str(self.options.get("architecture")
                   or default_architecture(self.kind if self.is_generator else self.task))

    @property
    def contract(self):
        """The :class:`~.contracts.Contract` of this spec's architecture (no torch imported)."""
        from .architectures import architecture_of

        return architecture_of(self).contract

    @property
    def is_generator(self) -> bool:
        return self.kind in GENERATOR_KINDS

    def matches(self, wanted: str | tuple[str, ...] | None) -> bool:
        """True if ``wanted`` (a kind, a task, or several) includes this spec; None matches all."""
        if wanted is None:
            return True
        wanted = (wanted,) if isinstance(wanted, str) else tuple(wanted)
        return self.kind in wanted or self.task in wanted

    def what(self) -> str:
        """What it is, for messages: "a GAN generator", "a denoising network"."""
        if self.kind == "cgan":
            return "a caption-conditioned GAN generator"
        if self.is_generator:
            return f"a {self.kind.upper() if self.kind != 'cppn' else 'CPPN'} generator"
        return f"a {TASK_NAMES.get(self.task, self.task)} network"


def restore_spec(name: str, task: str, weights: Path, sha256: str, card: Path | None,
                 config: dict[str, object], description: str = "", source: str = "shipped",
                 licence: str = "MIT (ArtStudio)") -> ModelSpec:
    """The spec of a restoration network (no latent, no native size)."""
    return ModelSpec(name=name, kind="restore", latent_dim=0, resolution=0, weights=Path(weights),
                     sha256=sha256, source=source, licence=licence, description=description,
                     config=freeze(config), task=task, card=card)


def config_hash(config: tuple[tuple[str, object], ...]) -> str:
    """sha256 hex of the canonical JSON of a config (the identity of a CPPN)."""
    text = json.dumps(dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def freeze(config: dict[str, object]) -> tuple[tuple[str, object], ...]:
    """Sorted pairs, lists turned into tuples (recursively) so the spec hashes."""
    def frozen(value: object) -> object:
        if isinstance(value, (list, tuple)):
            return tuple(frozen(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((str(k), frozen(v)) for k, v in value.items()))
        return value
    return tuple(sorted((str(k), frozen(v)) for k, v in config.items()))
