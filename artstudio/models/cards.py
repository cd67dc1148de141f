"""Model cards from the user's folder, read as hostile input.

A user model is ``NAME.safetensors`` + ``NAME.json``. The card is what
training writes (:mod:`artstudio.jobs.train_gen` for ``kind`` ``gan``/``vae``,
:mod:`artstudio.jobs.train_restore` for ``kind: "restore"`` with a ``task``).
A card is not covered by the weights' checksum, so before it becomes a
:class:`~.specs.ModelSpec` it must be: a regular file (a FIFO is never opened
for a blocking read), at most :data:`MAX_CARD_BYTES`, UTF-8 JSON whose top
level is an object (deep nesting is an error, not ``RecursionError``), and
every number in it inside the bounds of its architecture
(:mod:`.architectures`). Whatever is wrong is one short reason; a folder
scan records it and goes on with the next card.

Generator cards::

    {"name": "...", "kind": "gan" | "vae", "latent_dim": 100, "resolution": 64,
     "sha256": "<hex of the .safetensors>", "source": "...", "licence": "...",
     "description": "...", "config": {"architecture": "dcgan", "ngf": 64, ...}}

Restoration cards::

    {"name": "...", "kind": "restore", "task": "inpaint" | "denoise" | "sr",
     "sha256": "...", "config": {"architecture": "gated-unet-v4", "width": 24, ...}, ...}
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .architectures import (LATENT_LIMITS, RESOLUTION_LIMITS, architecture, bounded_int, check_limits,
                            default_architecture)
from .specs import RESTORE_TASKS, ModelError, ModelSpec, freeze, restore_spec

log = logging.getLogger(__name__)

MAX_CARD_BYTES = 4 << 20    # cards are a few kB; the list of skipped training images can grow
_SHA256 = re.compile(r"[0-9a-f]{64}")


class CardError(ModelError):
    """A card that cannot become a spec; the message is the short reason."""


@dataclass
class CardScan:
    """What a folder scan found: usable specs, and one ``"NAME.json: skipped: why"`` per other card."""

    specs: list[ModelSpec] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def read_card(path: Path) -> dict:
    """The JSON object in ``path``; :class:`CardError` with a short reason otherwise."""
    path = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise CardError(error.strerror or str(error)) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):     # a FIFO, a folder, a device
            raise CardError("not a regular file")
        if info.st_size > MAX_CARD_BYTES:
            raise CardError(f"larger than {MAX_CARD_BYTES >> 20} MB")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read(MAX_CARD_BYTES + 1)
    except OSError as error:
        raise CardError(error.strerror or str(error)) from None
    finally:
        os.close(descriptor)
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise CardError("nested too deeply") from None
    except ValueError as error:      # also UnicodeDecodeError and over-long integers
        raise CardError(f"not valid JSON ({str(error).splitlines()[0][:80]})") from None
    if not isinstance(data, dict):
        raise CardError(f"not a JSON object (a {type(data).__name__})")
    return data


def card_spec(card: Path) -> ModelSpec:
    """The spec a card describes, its weights beside it; :class:`CardError` if unusable."""
    card = Path(card)
    data = read_card(card)
    try:
        kind = data.get("kind")
        if kind == "restore" or (kind is None and "task" in data):
            return _restore(data, card)
        if kind in ("gan", "vae", "cgan"):
            return _generator(data, card, str(kind))
        raise CardError(f"kind {_text(kind)} is not gan, vae, cgan or restore")
    except CardError:
        raise
    except RecursionError:
        raise CardError("nested too deeply") from None
    except KeyError as error:
        raise CardError(f"{error.args[0]} is missing") from None
    except (ModelError, TypeError, ValueError) as error:
        raise CardError(str(error).rstrip(".")) from None


def scan_cards(user_dir: Path | None, taken: set[str] = frozenset()) -> CardScan:
    """Every card in ``user_dir`` (sorted by file name) whose name is not in ``taken``.

    A generator card is listed only when its weights file exists; a
    restoration card is listed either way, and a missing file fails its job
    with a one-line message (the Restore panel shows the user's networks
    even while one is being copied in).
    """
    scan = CardScan()
    if user_dir is None or not Path(user_dir).is_dir():
        return scan
    _finish_interrupted_saves(Path(user_dir))
    names = set(taken)
    for card in sorted(Path(user_dir).glob("*.json")):
        try:
            spec = card_spec(card)
            if spec.name in names:
                raise CardError(f"the name '{spec.name}' is already used")
            if spec.is_generator and not spec.weights.is_file():
                raise CardError(f"{spec.weights.name} is missing")
        except CardError as error:
            log.warning("Skipping model card %s: %s", card, error)
            scan.skipped.append(f"{card.name}: skipped: {error}")
            continue
        names.add(spec.name)
        scan.specs.append(spec)
    return scan


def _finish_interrupted_saves(folder: Path) -> None:
    """A checkpoint a kill left half-replaced is completed (or rolled back) before its card is read,
    so the listing never calls it damaged (issue 16 D4)."""
    from ..core.checkpoint_files import recover_folder

    try:
        for name, outcome in recover_folder(folder):
            log.info("Model %s: %s an interrupted save", name, "completed" if outcome == "forward" else "undid")
    except OSError as error:            # a read-only folder: list what is there
        log.warning("Could not finish interrupted saves in %s: %s", folder, error)


def _generator(data: dict, card: Path, kind: str) -> ModelSpec:
    config = _config(data)
    latent = bounded_int(data["latent_dim"], *LATENT_LIMITS, "latent_dim")
    resolution = bounded_int(data["resolution"], *RESOLUTION_LIMITS, "resolution")
    check_limits(architecture(str(config.get("architecture") or default_architecture(kind)), "generate"),
                 config)
    if config.get("encoder") is not None:
        check_limits(architecture(str(config["encoder"]), "encode"), config)
    return ModelSpec(
        name=_name(data, card), kind=kind, latent_dim=latent, resolution=resolution,
        weights=card.with_suffix(".safetensors"), sha256=_sha256(data),
        source=str(data.get("source", "trained in ArtStudio")), licence=str(data.get("licence", "unknown")),
        description=str(data.get("description", "")), config=freeze(config), card=card)


def _restore(data: dict, card: Path) -> ModelSpec:
    task = data["task"]
    if task not in RESTORE_TASKS:
        raise CardError(f"it is for task {_text(task)}, not a restoration task ({', '.join(RESTORE_TASKS)})")
    # The trainer writes the architecture both at the top and in config; config builds the net.
    config = {"architecture": data.get("architecture") or default_architecture(task), **_config(data)}
    check_limits(architecture(str(config["architecture"]), task), config)
    return restore_spec(_name(data, card), task, card.with_suffix(".safetensors"), _sha256(data), card,
                        config, str(data.get("description", "")),
                        source=str(data.get("source", "trained in ArtStudio")),
                        licence=str(data.get("licence", "unknown")))


def _config(data: dict) -> dict:
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise CardError("config is not an object")
    return config


def _name(data: dict, card: Path) -> str:
    name = data.get("name") or card.stem
    if not isinstance(name, str) or len(name) > 200 or not name.isprintable():
        raise CardError("name is not a short line of text")
    return name


def _sha256(data: dict) -> str:
    digest = str(data["sha256"]).lower()
    if not _SHA256.fullmatch(digest):
        raise CardError("sha256 is not 64 hex digits")
    return digest


def _text(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
