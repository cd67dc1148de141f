"""Crash recovery, Krita's way: a journal of the open work that a crash leaves behind.

While the app runs, its journal folder ``autosave/session-<pid>`` holds what
is needed to rebuild the Restore document exactly, undo history included:

- ``image.npy`` and ``mask.npy``: the current pixels (the image only once it
  differs from the file it came from), rewritten when they changed;
- ``patch-<n>.npz``: every undo step, written once (steps never change);
- ``generate.npz``: the latent explorer's current state and favourites;
- ``manifest.json``: which of those files make the current state, written
  last and atomically. A kill at any instant leaves the previous manifest
  pointing at complete files, so the journal is always consistent.

A clean exit deletes the folder. At the next start, a folder whose process is
gone is a crash to offer back (:func:`find_crashed`). Writing happens on a
worker thread (:class:`RecoveryJournal` is thread-confined to it); the GUI
thread only builds a :class:`Snapshot`, which copies the mask (and the image
when it changed) and shares the immutable undo steps.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .history import History, Patch, Swap, Tile
from .rect import Rect

log = logging.getLogger(__name__)

FORMAT = "artstudio-recovery-v1"
PREFIX = "session-"
_MANIFEST = "manifest.json"
_MAX_MANIFEST_BYTES = 4 << 20


@dataclass(frozen=True)
class Snapshot:
    """The open work at one instant, made on the GUI thread.

    ``image``/``mask`` are private copies, or None when unchanged since the
    previous snapshot handed to the same journal; ``undo``/``redo`` are the
    history's steps (immutable, shared); ``generate`` is JSON-ready metadata
    plus arrays (see :func:`generate_payload`).
    """

    photo: str | None
    image: np.ndarray | None
    mask: np.ndarray | None
    undo: tuple = ()
    redo: tuple = ()
    modified: bool = False
    generate: dict | None = None
    taken: float = field(default_factory=time.time)


@dataclass
class Recovered:
    """What a crashed session left: enough to rebuild its Document and history."""

    folder: Path
    photo: Path | None
    image: np.ndarray | None
    mask: np.ndarray | None
    history: History
    modified: bool
    generate: dict | None
    saved_at: float


class RecoveryJournal:
    """Writes snapshots into one session folder; use from one thread at a time."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._names: dict[int, tuple[object, str]] = {}   # id(step) -> (step, file)
        self._counter = 0
        self._written: dict[str, str | None] = {"image": None, "mask": None}
        self._generate: str | None = None
        self._obsolete: list[str] = []   # replaced files, deleted once the new manifest is in place

    @classmethod
    def for_this_process(cls, autosave_dir: Path) -> "RecoveryJournal":
        return cls(Path(autosave_dir) / f"{PREFIX}{os.getpid()}")

    def write(self, snap: Snapshot) -> None:
        """Add what changed, then point the manifest at it (raises OSError on a full disk)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_temporaries(self.folder)
        for key, pixels in (("image", snap.image), ("mask", snap.mask)):
            if pixels is not None:
                self._written[key] = self._save_array(key, pixels)
        if not (snap.modified or snap.photo is None) and self._written["image"]:  # the file on disk is it
            self._obsolete.append(self._written["image"])
            self._written["image"] = None
        steps = {"undo": [self._step_file(s) for s in snap.undo], "redo": [self._step_file(s) for s in snap.redo]}
        if snap.generate is not None:
            self._generate = self._save_generate(snap.generate)
        manifest = {"format": FORMAT, "pid": os.getpid(), "saved_at": snap.taken, "photo": snap.photo,
                    "modified": snap.modified, **self._written, **steps, "generate": self._generate}
        _write_atomic(self.folder / _MANIFEST, json.dumps(manifest).encode("utf-8"))
        self._forget_unused(set(steps["undo"]) | set(steps["redo"]))

    def discard(self) -> None:
        """The work was closed cleanly: nothing to recover."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _next(self, stem: str, suffix: str) -> str:
        self._counter += 1
        return f"{stem}-{self._counter:06d}{suffix}"

    def _save_array(self, key: str, pixels: np.ndarray) -> str:
        name = self._next(key, ".npy")
        _write_atomic(self.folder / name, None, lambda fh: np.save(fh, pixels, allow_pickle=False))
        if self._written.get(key):
            self._obsolete.append(self._written[key])
        return name

    def _step_file(self, step) -> str:
        known = self._names.get(id(step))
        if known is not None and known[0] is step:
            return known[1]
        name = self._next("patch", ".npz")
        _write_atomic(self.folder / name, None, lambda fh: np.savez(fh, **_step_arrays(step)))
        self._names[id(step)] = (step, name)
        return name

    def _save_generate(self, payload: dict) -> str:
        name = self._next("generate", ".npz")
        arrays = {k: v for k, v in payload.items() if isinstance(v, np.ndarray)}
        meta = {k: v for k, v in payload.items() if not isinstance(v, np.ndarray)}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
        _write_atomic(self.folder / name, None, lambda fh: np.savez(fh, **arrays))
        if self._generate:
            self._obsolete.append(self._generate)
        return name

    def _forget_unused(self, used: set[str]) -> None:
        for key, (step, name) in list(self._names.items()):
            if name not in used:
                del self._names[key]
                (self.folder / name).unlink(missing_ok=True)
        for name in self._obsolete:
            (self.folder / name).unlink(missing_ok=True)
        self._obsolete.clear()


# -- reading back ----------------------------------------------------------------------------

def find_crashed(autosave_dir: Path) -> list[Path]:
    """Journal folders whose process is gone, newest first."""
    found = []
    with contextlib.suppress(OSError):
        for entry in Path(autosave_dir).iterdir():
            if not entry.name.startswith(PREFIX) or not (entry / _MANIFEST).is_file():
                continue
            pid = entry.name[len(PREFIX):]
            if pid.isdigit() and not _alive(int(pid)):
                found.append(entry)
    return sorted(found, key=lambda p: (p / _MANIFEST).stat().st_mtime, reverse=True)


def read_journal(folder: Path) -> Recovered:
    """Rebuild what a session journal holds.

    Raises
    ------
    ValueError
        One line, if the journal is damaged (it is then best discarded).
    """
    folder = Path(folder)
    try:
        raw = (folder / _MANIFEST).read_bytes()
        if len(raw) > _MAX_MANIFEST_BYTES:
            raise ValueError("its manifest is too large")
        manifest = json.loads(raw)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError("it was written by another version")
        history = History()
        history.restore([_read_step(folder / n) for n in manifest["undo"]],
                        [_read_step(folder / n) for n in manifest["redo"]])
        return Recovered(folder, Path(manifest["photo"]) if manifest.get("photo") else None,
                         _read_array(folder, manifest.get("image")), _read_array(folder, manifest.get("mask")),
                         history, bool(manifest.get("modified")),
                         _read_generate(folder, manifest.get("generate")), float(manifest.get("saved_at", 0)))
    except ValueError:
        raise
    except (OSError, KeyError, TypeError, RecursionError, EOFError) as error:
        raise ValueError(f"the recovery journal is damaged ({type(error).__name__})") from None


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _read_array(folder: Path, name: str | None) -> np.ndarray | None:
    if not name:
        return None
    array = np.load(folder / _safe(name), allow_pickle=False)
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        raise ValueError("the recovery journal holds an unexpected array")
    return array


def _read_generate(folder: Path, name: str | None) -> dict | None:
    if not name:
        return None
    with np.load(folder / _safe(name), allow_pickle=False) as data:
        payload = json.loads(data["meta"].tobytes().decode("utf-8"))
        payload.update({k: data[k] for k in data.files if k != "meta"})
    return payload


def _step_arrays(step) -> dict[str, np.ndarray]:
    meta = {"layer": step.layer, "label": step.label}
    arrays: dict[str, np.ndarray] = {}
    if isinstance(step, Swap):
        meta["swap"] = True
        arrays.update(image_before=step.before[0], mask_before=step.before[1],
                      image_after=step.after[0], mask_after=step.after[1])
    else:
        meta["rects"] = [[t.rect.x0, t.rect.y0, t.rect.x1, t.rect.y1] for t in step.tiles]
        for i, tile in enumerate(step.tiles):
            arrays[f"b{i}"], arrays[f"a{i}"] = tile.before, tile.after
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    return arrays


def _read_step(path: Path):
    with np.load(path.parent / _safe(path.name), allow_pickle=False) as data:
        meta = json.loads(data["meta"].tobytes().decode("utf-8"))
        if meta.get("swap"):
            return Swap((data["image_before"], data["mask_before"]), (data["image_after"], data["mask_after"]),
                        meta["label"])
        tiles = tuple(Tile(Rect(*r), data[f"b{i}"], data[f"a{i}"]) for i, r in enumerate(meta["rects"]))
        return Patch(meta["layer"], tiles, meta["label"])


# -- files -----------------------------------------------------------------------------------

def _safe(name: str) -> str:
    # A manifest names files of its own folder only: no paths, no traversal.
    if not isinstance(name, str) or Path(name).name != name or name.startswith("."):
        raise ValueError("the recovery journal names a file outside its folder")
    return name


def _write_atomic(path: Path, data: bytes | None, writer=None) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        if writer is None:
            fh.write(data)
        else:
            writer(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def remove_temporaries(folder: Path) -> None:
    """Half-written files of a write that was killed."""
    for stale in Path(folder).glob(".*.tmp"):
        stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's process with that pid: not ours, not crashed
        return True
    except OSError:
        return False
    return True


def generate_payload(state_meta: dict | None, latent: np.ndarray | None,
                     favourites: list[tuple[dict, np.ndarray, np.ndarray]]) -> dict:
    """Generate's state as a journal payload: ``state_meta``/``latent`` the
    current state, ``favourites`` as (metadata, latent, thumbnail) triples."""
    payload: dict = {"state": state_meta, "favourites": [meta for meta, _, _ in favourites]}
    if latent is not None:
        payload["latent"] = np.asarray(latent, np.float32)
    for i, (_, fav_latent, thumb) in enumerate(favourites):
        payload[f"fav_latent_{i}"] = np.asarray(fav_latent, np.float32)
        payload[f"fav_thumb_{i}"] = np.ascontiguousarray(thumb, np.uint8)
    return payload
