"""Replace several files as one: a kill at any instant leaves all old or (after recovery) all new.

A training checkpoint is three files that must agree (the weights, the card
holding their sha256, the training state). Renaming them one by one leaves,
after a kill between two renames, new weights under an old card, which the
loader rightly calls damaged. :func:`commit_files` is a small redo journal:

1. each part is written to ``<part>.tmp`` and flushed to disk;
2. a manifest naming every part and the sha256 of its temporary is written
   to ``<manifest>.tmp`` and renamed to ``<manifest>``: that ONE rename is
   the commit point;
3. the temporaries are renamed over the parts, then the manifest is deleted.

:func:`recover` finishes step 3 when a manifest is present (roll forward:
every temporary it names was complete before the commit) and deletes
stale temporaries when none is (roll back). Every commit calls it first,
and readers of the files (a resume, a loader, the app at start-up) call it
before reading. Standard library only, so every layer may use it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

FORMAT = "artstudio-commit-v1"
TMP = ".tmp"
_replace = os.replace        # one name for every rename, so a test can stop the sequence at any of them


def commit_files(parts: Sequence[tuple[Path, Callable[[Path], None]]], manifest: Path) -> None:
    """Write every ``(path, write)`` part, then make them all current at once.

    Parameters
    ----------
    parts : sequence of (Path, callable)
        ``write(tmp)`` must create the file ``tmp``; parts are renamed into
        place in this order (put the file readers check against the others last).
    manifest : Path
        The journal file; it exists only while a commit is being applied.

    Raises
    ------
    OSError
        From writing a part (nothing is changed then: the temporaries are removed).
    """
    manifest = Path(manifest)
    recover(manifest, [Path(p) for p, _ in parts])
    entries = []
    try:
        for path, write in parts:
            tmp = _tmp(Path(path))
            write(tmp)
            _flush(tmp)
            entries.append({"file": Path(path).name, "sha256": sha256_of(tmp)})
        staged = _tmp(manifest)
        staged.write_text(json.dumps({"format": FORMAT, "parts": entries}), encoding="utf-8")
        _flush(staged)
    except Exception:        # a failed write (a full disk): undo now; a kill is undone by the next recover
        _discard(manifest, [Path(p) for p, _ in parts])
        raise
    _replace(staged, manifest)          # the commit point
    _flush_dir(manifest.parent)
    _apply(manifest, entries)


def recover(manifest: Path, parts: Sequence[Path] = ()) -> str | None:
    """Finish or undo an interrupted :func:`commit_files`.

    Returns ``"forward"`` (the commit is completed), ``"back"`` (stale
    temporaries were removed) or None (there was nothing to do). ``parts``
    are the files whose stale temporaries to look for when no manifest exists.
    """
    manifest = Path(manifest)
    entries = _read_manifest(manifest)
    if entries is not None:
        _apply(manifest, entries)
        return "forward"
    return "back" if _discard(manifest, [Path(p) for p in parts]) else None


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _apply(manifest: Path, entries: list[dict]) -> None:
    for entry in entries:
        final = manifest.with_name(entry["file"])
        tmp = _tmp(final)
        # A temporary that is gone was renamed by an earlier, interrupted apply.
        if tmp.exists() and sha256_of(tmp) == entry["sha256"]:
            _replace(tmp, final)
    _flush_dir(manifest.parent)
    manifest.unlink(missing_ok=True)


def _read_manifest(manifest: Path) -> list[dict] | None:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        entries = data["parts"] if data.get("format") == FORMAT else None
        names = [str(e["file"]) for e in entries] + [str(e["sha256"]) for e in entries]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    # Parts live beside the manifest: a name with a separator is not ours.
    if any("/" in n or "\\" in n or n in ("", ".", "..") for n in names):
        return None
    return entries


def _discard(manifest: Path, parts: list[Path]) -> bool:
    removed = False
    for path in [manifest, *parts]:
        tmp = _tmp(path)
        if tmp.exists():
            tmp.unlink(missing_ok=True)
            removed = True
    if manifest.exists():       # unreadable: a commit that never was
        manifest.unlink(missing_ok=True)
        removed = True
    return removed


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + TMP)


def _flush(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _flush_dir(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:            # Windows cannot open a folder; its renames are journalled anyway
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
