"""Atomic image writes: a temporary file beside the target, then one rename.

A save that fails or is killed never leaves a torn file under the user's
name; temporaries left by a killed save are removed by the next save into
the same folder.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from .decode import ImageError

_log = logging.getLogger(__name__)


def atomic_save(path: Path, image: Image.Image, fmt: str,
                 options: dict) -> Path:
    """Save ``image`` with Pillow to a temporary file beside ``path``, then
    rename it over ``path``: a failed save leaves the old file intact.
    Used for every image ArtStudio writes (photos, masks, recipes, animations)."""
    return atomic_write(path, lambda fh: image.save(fh, format=fmt, **options))


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Let ``write(fh)`` fill a temporary file beside ``path``, then rename it over
    ``path`` (as :func:`atomic_save`; used for files that are not one Pillow image,
    e.g. OpenRaster archives). Any failure is one :class:`ImageError` line."""
    name = path.name
    # os.replace would swap a symlink for a plain file; write its target.
    target = path.resolve() if path.is_symlink() else path
    folder = target.parent
    if not folder.is_dir():
        raise ImageError(f"Cannot save '{name}': the folder '{folder}' does "
                         "not exist.")
    if target.is_dir():
        raise ImageError(f"Cannot save '{name}': a folder has that name.")
    remove_stale_temporaries(folder, name)
    tmp = None
    try:
        # Not mkstemp: its 0600 mode would stick to the final file, whereas
        # 0666 here is narrowed by the umask like any normal new file.
        candidate = folder / f".{name[:100]}.{secrets.token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        fd = os.open(candidate, flags | getattr(os, "O_BINARY", 0), 0o666)
        tmp = candidate  # only now is it ours to delete
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
        tmp = None
    except Exception as exc:
        _log.debug("saving %s failed", path, exc_info=True)
        raise ImageError(f"Cannot save '{name}': {_reason(exc)}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _fsync_folder(folder)
    return path


# A temporary this old belongs to a save that was killed: a live save of one
# image takes seconds, and a younger one may be another window's, in flight.
STALE_AFTER_S = 600


def remove_stale_temporaries(folder: Path, name: str) -> int:
    """Delete the temporaries that killed saves of ``name`` left in ``folder``.

    Returns how many were removed. Only files of the exact shape
    ``.NAME.<8 hex>.tmp`` that :func:`atomic_save` writes, older than
    :data:`STALE_AFTER_S`, are touched.
    """
    prefix, removed = f".{name[:100]}.", 0
    now = time.time()
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix) and e.name.endswith(".tmp")]
    except OSError:
        return 0
    for entry in entries:
        tag = entry.name[len(prefix):-4]
        if len(tag) != 8 or any(c not in "0123456789abcdef" for c in tag):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > STALE_AFTER_S:
                os.unlink(entry.path)
                removed += 1
    return removed


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied."
    if isinstance(exc, MemoryError):
        return "not enough memory."
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC:
        return "the disk is full."
    if code == errno.EROFS:
        return "the disk is read-only."
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.strip().splitlines()[0].rstrip(".") + "."


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself survive a power cut; not possible on Windows.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
