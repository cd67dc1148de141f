"""Reading a photo for the Restore workspace, off the GUI thread.

Decoding a 24-megapixel TIFF takes about a second and a hostile file can
take longer before it is refused; the window must keep painting meanwhile.
The work is the job :func:`run_open_photo`; the window runs it on its own
file lane (``ui/photo_loader.py``), not on the GPU job thread, so opening a
photo never waits behind a fill or a training step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.autosave import load_photo_mask
from ..core.imageio import ImageError, LoadedImage, load_image, load_mask
from .base import CancelToken, JobError, Progress


@dataclass(frozen=True)
class OpenPhotoRequest:
    """Open ``path`` (and ``mask`` when given; else the file's own mask layer, as an
    OpenRaster file has; else the mask autosaved for it in ``autosave``)."""

    path: Path
    mask: Path | None = None
    autosave: Path | None = None


@dataclass(frozen=True)
class OpenedPhoto:
    """What :func:`run_open_photo` read.

    Attributes
    ----------
    loaded : LoadedImage
        The decoded photo.
    mask : numpy.ndarray or None
        ``uint8 (H, W)``: the given mask, or the file's own ("mask" layer), or the autosaved one, or None.
    restored_mask : bool
        The mask is the one autosaved for this photo last time.
    """

    loaded: LoadedImage
    mask: np.ndarray | None
    restored_mask: bool


def run_open_photo(request: OpenPhotoRequest, cancel: CancelToken):
    """Decode the photo and its mask; JobError (one line) for a file that cannot be opened."""
    yield Progress(0.0, f"Opening {request.path.name}…")
    try:
        loaded = load_image(request.path)
        cancel.check()
        mask = load_mask(request.mask, loaded.size) if request.mask is not None else loaded.mask
    except ImageError as exc:
        raise JobError(str(exc)) from None
    except MemoryError:
        raise JobError(f"Not enough memory to open '{request.path.name}'.") from None
    restored = False
    if mask is None and request.autosave is not None:
        mask = load_photo_mask(request.autosave, loaded.path, loaded.size)
        restored = mask is not None
    return OpenedPhoto(loaded, mask, restored)
