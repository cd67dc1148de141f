"""The latent explorer's favourites, kept per model across restarts.

Each model's favourites live in one JSON file in a folder of the app's data
directory (:attr:`~.paths.AppPaths.favourites`): a list of recipes
(:func:`artstudio.core.recipe.recipe_dict`: model, hash, seed or origin,
latent, truncation, named edits) each with a small PNG thumbnail in base64
and, when the user tagged it, ``"tags"``: a few short words ("beach",
"grandma") that the Describe field recalls it by. Files written before tags
existed read back with no tags; tags read from a file are cleaned and
bounded like any typed ones (:func:`clean_tags`).
A file is rewritten atomically on every change, so a crash leaves either the
old list or the new one. A file that cannot be read is moved aside (to
``NAME.json.damaged``) rather than overwritten by the next save, and every
number read from it is bounded before anything is allocated.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import json
import os
import re
import secrets
from pathlib import Path

import numpy as np
from PIL import Image

from .latent_state import LatentFileError, LatentState
from .recipe import recipe_dict, state_from_recipe

__all__ = ["FORMAT", "MAX_FAVOURITES", "MAX_TAGS", "MAX_TAG_CHARS", "FavouriteStore", "Favourites",
           "clean_tags"]

FORMAT = "artstudio-favourites"
FORMAT_VERSION = 1
MAX_FAVOURITES = 1000            # per model; older ones beyond it are not kept
MAX_FILE_BYTES = 64 << 20        # ~1000 favourites with 128 px thumbnails fit in a tenth of it
THUMB_SIDE = 128                 # thumbnails are stored this small (the strip shows 72 px)
MAX_THUMB_SIDE = 1024            # a larger stored thumbnail is damage, not a picture
MAX_TAGS = 16                    # per favourite
MAX_TAG_CHARS = 40
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")

Entry = tuple[LatentState, np.ndarray]     # (state, thumbnail uint8 (H, W, 3))
Tags = tuple[str, ...]


def clean_tags(tags) -> Tags:
    """``tags`` (a comma-separated string, or a list) as at most :data:`MAX_TAGS` distinct one-line
    tags of at most :data:`MAX_TAG_CHARS` printable characters; anything else is dropped."""
    items = tags.split(",") if isinstance(tags, str) else tags if isinstance(tags, (list, tuple)) else ()
    kept: dict[str, str] = {}
    for item in list(items)[:MAX_TAGS * 4]:
        if isinstance(item, str):
            text = "".join(c for c in " ".join(item.split()) if c.isprintable())[:MAX_TAG_CHARS].strip()
            if text and len(kept) < MAX_TAGS:
                kept.setdefault(text.casefold(), text)
    return tuple(kept.values())


class FavouriteStore:
    """Reads and writes each model's favourites file in ``folder`` (created on the first save)."""

    def __init__(self, folder) -> None:
        self.folder = Path(folder)

    def path_for(self, model: str) -> Path:
        """The file of ``model``: its name when that is a safe file name, else a hash of it."""
        digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:12]
        stem = model if _SAFE_NAME.match(model) else f"{re.sub(r'[^A-Za-z0-9._-]', '_', model)[:40]}-{digest}"
        return self.folder / f"{stem}.json"

    def load(self, model: str) -> list[Entry]:
        """``model``'s favourites, oldest first; [] when none were saved (see :meth:`load_tagged`)."""
        return self.load_tagged(model)[0]

    def load_tagged(self, model: str) -> tuple[list[Entry], list[Tags]]:
        """``model``'s favourites, oldest first, and the tags of each; ([], []) when none were saved.

        Raises
        ------
        LatentFileError
            When the file is damaged; it has then been moved aside (the
            message says where) so that the next save does not destroy it.
        """
        path = self.path_for(model)
        if not path.is_file():
            return [], []
        try:
            return _parse(path, model)
        except LatentFileError as error:
            aside = path.with_name(path.name + ".damaged")
            with contextlib.suppress(OSError):
                os.replace(path, aside)
            raise LatentFileError(f"{error} It was kept as '{aside.name}'.") from None

    def save(self, model: str, entries: list[Entry], tags: list[Tags] | None = None) -> Path:
        """Write ``model``'s favourites (the newest :data:`MAX_FAVOURITES`), atomically;
        ``tags[i]`` are those of ``entries[i]`` (None: no tags).

        Raises
        ------
        LatentFileError
            If the file cannot be written; the previous file is left untouched.
        """
        from .. import __version__

        tags = list(tags or [])
        tags += [()] * (len(entries) - len(tags))
        items = [{**recipe_dict(state, __version__), "thumbnail": _encode(thumb),
                  **({"tags": list(clean_tags(list(tag)))} if tag else {})}
                 for (state, thumb), tag in list(zip(entries, tags))[-MAX_FAVOURITES:]]
        text = json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, "model": model,
                           "favourites": items}, separators=(",", ":"), allow_nan=False)
        path = self.path_for(model)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise LatentFileError(f"Could not save the favourites of {model}: {reason.rstrip('.')}.") from None
        return path


class Favourites:
    """Each model's ``(state, thumbnail)`` favourites, saved to a store on every change.

    Parameters
    ----------
    store : FavouriteStore, optional
        None keeps them in memory only (tests, the CLI).

    Methods that change a list return one-line notes for the user (a file
    that could not be read or written); they never raise for file problems.
    """

    def __init__(self, store: FavouriteStore | None = None) -> None:
        self._store = store
        self._by_model: dict[str, list[Entry]] = {}
        self._tags: dict[str, list[Tags]] = {}      # parallel to _by_model

    def load(self, model: str) -> list[str]:
        """Read ``model``'s saved favourites, once (later calls keep the list in memory)."""
        if model in self._by_model:
            return []
        self._by_model[model], self._tags[model] = [], []
        if self._store is None:
            return []
        try:
            self._by_model[model], self._tags[model] = self._store.load_tagged(model)
        except LatentFileError as error:
            return [str(error)]
        return []

    def entries(self, model: str) -> list[Entry]:
        """A copy of ``model``'s list, oldest first."""
        return list(self._by_model.get(model, []))

    def tags(self, model: str) -> list[Tags]:
        """The tags of each of ``model``'s favourites, in the order of :meth:`entries`."""
        return list(self._tags.get(model, []))

    def set_tags(self, model: str, index: int, tags) -> list[str] | None:
        """Tag favourite ``index`` of ``model`` (cleaned by :func:`clean_tags`; empty removes the tags);
        None (nothing done) when there is no such favourite."""
        if not 0 <= index < len(self._by_model.get(model, [])):
            return None
        self._tags[model][index] = clean_tags(tags)
        return self._save(model)

    def add(self, state: LatentState, thumbnail: np.ndarray) -> list[str]:
        """Append ``state`` (with its own copy of ``thumbnail``) to its model's list."""
        self.load(state.model)
        self._by_model[state.model].append((state, np.array(thumbnail, np.uint8)))
        self._tags[state.model].append(())
        return self._save(state.model)

    def remove(self, model: str, index: int) -> list[str] | None:
        """Forget favourite ``index`` of ``model``; None (nothing done) when there is no such one."""
        entries = self._by_model.get(model, [])
        if not 0 <= index < len(entries):
            return None
        del entries[index]
        del self._tags[model][index]
        return self._save(model)

    def replace(self, model: str, entries: list[Entry]) -> list[str]:
        """Make ``entries`` the whole list of ``model`` (crash recovery); a state that was
        already a favourite keeps its tags."""
        old = list(zip((s for s, _ in self._by_model.get(model, [])), self._tags.get(model, [])))
        self._tags[model] = [next((t for s, t in old if s == state), ()) for state, _ in entries]
        self._by_model[model] = [(state, np.asarray(thumb)) for state, thumb in entries]
        return self._save(model)

    def _save(self, model: str) -> list[str]:
        if self._store is None:
            return []
        try:
            self._store.save(model, self._by_model[model], self._tags[model])
        except LatentFileError as error:
            return [str(error)]
        return []


def _encode(thumbnail: np.ndarray) -> str:
    image = Image.fromarray(np.ascontiguousarray(thumbnail[..., :3]))
    image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _decode(text, name: str) -> np.ndarray:
    try:
        data = base64.b64decode(text, validate=True)
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if max(image.size) > MAX_THUMB_SIDE:
                raise ValueError("thumbnail too large")
            return np.asarray(image.convert("RGB"))
    except (TypeError, ValueError, OSError, binascii.Error, Image.DecompressionBombError):
        raise LatentFileError(f"Cannot read '{name}': a thumbnail is damaged.") from None


def _parse(path: Path, model: str) -> tuple[list[Entry], list[Tags]]:
    name = path.name
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LatentFileError(f"Cannot read '{name}': it is larger than any favourites file ArtStudio writes.")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise LatentFileError(f"Cannot read '{name}': the favourites file is damaged (not JSON).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("favourites"), list):
        raise LatentFileError(f"Cannot read '{name}': it is not an ArtStudio favourites file.")
    items = data["favourites"]
    if len(items) > MAX_FAVOURITES:
        raise LatentFileError(f"Cannot read '{name}': it lists {len(items)} favourites, more than "
                              f"the {MAX_FAVOURITES} ArtStudio keeps.")
    entries, tags = [], []
    for item in items:
        state = state_from_recipe(item, name)
        if state.model != model:
            raise LatentFileError(f"Cannot read '{name}': it holds favourites of '{state.model}', not '{model}'.")
        entries.append((state, _decode(item.get("thumbnail"), name)))
        tags.append(clean_tags(item.get("tags", [])))       # files from before tags have none
    return entries, tags
