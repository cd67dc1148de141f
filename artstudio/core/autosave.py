"""Masks survive closing the app: the mask painted on a photo is kept in the
autosave folder and comes back when the same photo is opened again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .imageio import ImageError, load_mask, save_mask


def mask_path(autosave_dir: Path, photo: Path) -> Path:
    """Where the mask of ``photo`` is autosaved (one file per photo path)."""
    key = hashlib.sha1(str(Path(photo).resolve()).encode("utf-8")).hexdigest()[:20]
    return Path(autosave_dir) / f"mask-{key}.png"


def save_photo_mask(autosave_dir: Path, photo: Path, mask: np.ndarray) -> Path | None:
    """Keep a non-empty mask; forget the autosave when the mask is empty."""
    target = mask_path(autosave_dir, photo)
    if not mask.any():
        target.unlink(missing_ok=True)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    return save_mask(target, mask)


def load_photo_mask(autosave_dir: Path, photo: Path, size: tuple[int, int]) -> np.ndarray | None:
    """The autosaved mask of ``photo`` if there is one of the right size."""
    source = mask_path(autosave_dir, photo)
    if not source.is_file():
        return None
    try:
        return load_mask(source, size)
    except ImageError:  # the photo changed size since, or the file is damaged
        return None
