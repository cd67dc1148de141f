"""The layers ArtStudio writes to OpenRaster: the photo, each applied change, the mask.

A restored photo is written so that GIMP and Krita show how it was made:

- at the bottom, the photo as it was opened (or, for a photo that came from
  an .ora, that file's own layers, byte for byte);
- above it, one layer per change applied to the pixels, in order (each fill,
  clone or heal stroke that is on the undo stack), holding only the pixels
  that change changed, named after its undo label;
- on top, the mask, hidden: white where a fill was asked for, transparent
  elsewhere (its alpha is the mask, as ArtStudio reads it back); above it,
  hidden too, the content-aware fill's sampling areas when painted
  (``sample_from``, ``sample_never``).

The layers are derived from the document's public state: the current image,
its mask and ``history.steps``. The photo as opened is the current image with
every image step on the undo stack undone on a copy; steps before a resize
(an upscale, a :class:`~artstudio.core.history.Swap`) cannot be layered over
the new size, so the layers start at the last resize.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .history import Swap
from .ora import SAMPLING_LAYERS, KeptLayers, OraLayer, write_ora
from .rect import Rect, bbox_of_nonzero

MASK_LAYER = "mask"
PHOTO_LAYER = "photo"


def mask_layer(mask: np.ndarray, name: str = MASK_LAYER) -> OraLayer:
    """The hidden "mask" layer (or a sampling area's): white, its alpha the mask (0 = keep, 255 = fill)."""
    layer = np.full(mask.shape + (4,), 255, np.uint8)
    layer[..., 3] = mask
    return OraLayer(name, layer, visible=False)


def change_layer(name: str, before: np.ndarray, after: np.ndarray, origin: tuple[int, int] = (0, 0)):
    """The pixels of ``after`` that differ from ``before``, cropped to them, as a layer (None if none differ).

    ``origin`` is where ``before``/``after`` lie on the canvas.
    """
    changed = np.any(before != after, axis=2)
    box = bbox_of_nonzero(changed)
    if box is None:
        return None
    return _layer(name, [(box, changed[box.slices], after[box.slices])], box, origin)


def _layer(name, pieces, box: Rect, origin) -> OraLayer:
    pixels = np.zeros((box.height, box.width, 4), np.uint8)
    drawn = np.zeros(pixels.shape[:2], bool)
    for rect, changed, after in pieces:
        window = (slice(rect.y0 - box.y0, rect.y1 - box.y0), slice(rect.x0 - box.x0, rect.x1 - box.x0))
        target = pixels[window]
        target[..., :3][changed] = after[..., :3][changed]
        target[..., 3][changed] = after[..., 3][changed] if after.shape[2] == 4 else 255
        drawn[window] |= changed
    tight = bbox_of_nonzero(drawn)       # tiles are 64 px: crop to the pixels actually changed
    return OraLayer(name, np.ascontiguousarray(pixels[tight.slices]), origin[0] + box.x0 + tight.x0,
                    origin[1] + box.y0 + tight.y0)


def _patch_layer(name: str, patch) -> OraLayer | None:
    pieces, box = [], None
    for tile in patch.tiles:
        changed = np.any(tile.before != tile.after, axis=2)
        if changed.any():
            pieces.append((tile.rect, changed, tile.after))
            box = tile.rect if box is None else box.union(tile.rect)
    return None if box is None else _layer(name, pieces, box, (0, 0))


def history_layers(image: np.ndarray, steps) -> tuple[np.ndarray, list[OraLayer]]:
    """``(photo, layers)``: the image before the undo stack's pixel changes, and one layer
    per change, top (latest) first.

    Parameters
    ----------
    image : numpy.ndarray
        The current ``uint8 (H, W, 3|4)`` image.
    steps : tuple
        ``history.steps``: ``(undo, redo)``, each bottom first; only ``undo`` counts.
    """
    undo = list(steps[0])
    resized = [i for i, step in enumerate(undo) if isinstance(step, Swap)]
    changes = [step for step in undo[resized[-1] + 1 if resized else 0:] if step.layer == "image"]
    photo = image.copy()
    for patch in reversed(changes):
        patch.write(photo, "before")
    layers, seen = [], {}
    for patch in changes:
        seen[patch.label] = seen.get(patch.label, 0) + 1
        name = patch.label if seen[patch.label] == 1 else f"{patch.label} {seen[patch.label]}"
        layer = _patch_layer(name or "Change", patch)
        if layer is not None:
            layers.append(layer)
    return photo, layers[::-1]


def save_layered(path, image: np.ndarray, mask: np.ndarray | None, changes: list[OraLayer],
                 photo: np.ndarray, kept: KeptLayers | None = None, sampling: dict | None = None) -> Path:
    """Write ``image`` as an OpenRaster file: ``photo`` (or ``kept``, when it still
    makes ``photo``), then ``changes`` (top first), then the hidden mask and, when
    painted, the hidden sampling areas (``sampling``: ``sample_from``, ``sample_never``).

    Returns the path written; ImageError (one line) if it cannot be written.
    """
    areas = [mask_layer(area, key) for key, area in (sampling or {}).items()
             if key in SAMPLING_LAYERS and area is not None and area.any()]
    layers = areas + ([mask_layer(mask)] if mask is not None else []) + list(changes)
    if kept is not None and kept.matches(photo):
        return write_ora(path, layers, image, kept)
    return write_ora(path, layers + [OraLayer(PHOTO_LAYER, photo)], image)


def save_document_ora(path, image: np.ndarray, mask: np.ndarray, steps, kept: KeptLayers | None = None,
                      sampling: dict | None = None) -> Path:
    """Write a document (its image, mask, sampling areas and ``history.steps``) with a layer per
    applied change."""
    photo, changes = history_layers(image, steps)
    return save_layered(path, image, mask, changes, photo, kept, sampling)


def save_result_ora(path, before: np.ndarray, after: np.ndarray, mask: np.ndarray | None, label: str,
                    kept: KeptLayers | None = None) -> Path:
    """Write one restore's result: the photo ``before``, the pixels it changed (layer ``label``), the mask.

    An ``after`` of another size (an upscale) is written as the photo alone.
    """
    if after.shape != before.shape:
        return save_layered(path, after, None, [], after)
    change = change_layer(label, before, after)
    return save_layered(path, after, mask, [change] if change is not None else [], before, kept)
