"""Selections that write the fill mask: combine modes, feather, and the base
of the selection tools.

A selection tool rasterises its shape (a rectangle, a lasso, a wand's region)
into a ``uint8`` coverage array over a :class:`~artstudio.core.rect.Rect` of
the image, and :func:`apply_selection` combines it with the mask as one
undoable edit. Only the tiles that can change are touched, which is what
keeps a lasso or a wand on a 24-megapixel photo within a frame or two.

The modifiers follow Photoshop: held at the press, Shift adds, Alt (or Ctrl:
Alt-drag is often the window manager's) subtracts, Shift+Alt intersects;
otherwise the tool's own mode (the options bar) applies. Shift pressed during
a drag *after* the press constrains a shape (square, circle).

The tools live beside this module: :mod:`.selection_shapes` (rectangle,
ellipse, lasso, polygon), :mod:`.selection_colour` (magic wand, colour range),
:mod:`.selection_object` (GrabCut object select).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .brush import PointerEvent
from .history import TILE, Patch
from .rect import Rect
from .tools import Tool, ToolError

REPLACE, ADD, SUBTRACT, INTERSECT = "replace", "add", "subtract", "intersect"
MODES = (REPLACE, ADD, SUBTRACT, INTERSECT)
MODIFIER_HINT = "Shift adds, Alt/Ctrl subtracts, Shift+Alt intersects"


def mode_for(event: PointerEvent, default: str = REPLACE) -> str:
    """The combine mode the modifiers held at a press choose (``default`` with none)."""
    if event.shift and (event.alt or event.ctrl):
        return INTERSECT
    if event.shift:
        return ADD
    if event.alt or event.ctrl:
        return SUBTRACT
    return default


def feather_region(region: np.ndarray, rect: Rect, sigma: float, size: tuple[int, int]) -> tuple[np.ndarray, Rect]:
    """Blur a selection's coverage with a Gaussian of ``sigma`` image pixels.

    Parameters
    ----------
    region : numpy.ndarray
        ``uint8 (rect.height, rect.width)`` coverage, 255 = selected.
    rect : Rect
        Where ``region`` lies in the image (inside it).
    sigma : float
        Standard deviation in pixels; 0 returns the input.
    size : (int, int)
        The image's (width, height): the blurred region grows by 3 sigma, clipped to it.

    Returns
    -------
    (numpy.ndarray, Rect)
        The soft coverage and the (larger) rectangle it covers.
    """
    import cv2

    if sigma <= 0:
        return region, rect
    grown = rect.grown(int(math.ceil(3 * sigma)) + 1).clip(*size)
    padded = np.zeros((grown.height, grown.width), np.uint8)
    padded[rect.y0 - grown.y0:rect.y1 - grown.y0, rect.x0 - grown.x0:rect.x1 - grown.x0] = region
    return cv2.GaussianBlur(padded, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT), grown


def combine(old: np.ndarray, new: np.ndarray, mode: str) -> np.ndarray:
    """``new`` coverage combined with ``old`` (same shape, uint8) by ``mode``."""
    if mode == REPLACE:
        return new.copy()
    if mode == ADD:
        return np.maximum(old, new)
    if mode == SUBTRACT:
        return np.minimum(old, 255 - new)
    if mode == INTERSECT:
        return np.minimum(old, new)
    raise ValueError(f"Unknown selection mode '{mode}'.")


def _mask_bounds(mask: np.ndarray) -> Rect | None:
    import cv2

    x, y, w, h = cv2.boundingRect(mask)
    return Rect(x, y, x + w, y + h) if w and h else None


def occupied_tiles(array: np.ndarray, at: Rect) -> np.ndarray:
    """Which undo tiles (``TILE`` x ``TILE``, on the image's grid) ``array`` touches.

    Parameters
    ----------
    array : numpy.ndarray
        ``uint8 (at.height, at.width)`` lying at ``at`` in the image.

    Returns
    -------
    numpy.ndarray
        ``bool (rows, cols)``: tile ``(at.y0 // TILE + i, at.x0 // TILE + j)`` holds a non-zero pixel.
    """
    oy, ox = at.y0 % TILE, at.x0 % TILE
    edges = list(range(0, at.height, TILE)) if oy == 0 else [0, *range(TILE - oy, at.height, TILE)]
    # A band of tile rows at a time: the column maximum (numpy's is 15x OpenCV's reduce
    # here), then a block maximum along the row.
    bands = np.stack([array[a:b].max(axis=0) for a, b in zip(edges, [*edges[1:], at.height])])
    cols = -(-(ox + at.width) // TILE)
    padded = np.zeros((len(edges), cols * TILE), np.uint8)
    padded[:, ox:ox + at.width] = bands
    return padded.reshape(len(edges), cols, TILE).max(axis=2) > 0


def _touch_occupied(document, array: np.ndarray, at: Rect) -> None:
    """Record for undo only the tiles where ``array`` (at ``at``) is non-zero, a run of tiles per call."""
    occupied = occupied_tiles(array, at)
    ty0, tx0 = at.y0 // TILE, at.x0 // TILE
    for i, row in enumerate(occupied):
        cols = np.flatnonzero(row)
        if cols.size == 0:
            continue
        starts = cols[np.r_[True, np.diff(cols) > 1]]
        ends = cols[np.r_[np.diff(cols) > 1, True]]
        y = (ty0 + i) * TILE
        for a, b in zip(starts.tolist(), ends.tolist()):
            document.touch(Rect((tx0 + a) * TILE, y, (tx0 + b + 1) * TILE, y + TILE))


def apply_selection(document, region: np.ndarray, rect: Rect, mode: str, label: str,
                    feather: float = 0.0, empty: str = "The selection is empty: nothing changed.") -> Patch | None:
    """Combine a selection with the document's mask as one undoable step.

    Parameters
    ----------
    document : Document
    region : numpy.ndarray
        ``uint8 (rect.height, rect.width)``: 255 selected, soft values allowed.
    rect : Rect
        Where ``region`` lies; inside the image.
    mode : str
        One of :data:`MODES`.
    label : str
        The undo step's name ("Rectangle select", "Magic wand (add)").
    feather : float
        Gaussian sigma in pixels applied to the selection before combining.
    empty : str
        The one-line refusal when the selection covers no pixel.

    Returns
    -------
    Patch or None
        The undo step, or None when the mask did not change.

    Raises
    ------
    ToolError
        The selection is empty (nothing is changed: an empty lasso must not clear the mask).
    """
    import cv2

    if mode not in MODES:
        raise ValueError(f"Unknown selection mode '{mode}'.")
    if rect.empty or region.size == 0 or cv2.countNonZero(region) == 0:
        raise ToolError(empty)
    region, rect = feather_region(region, rect, feather, document.size)
    mask = document.mask
    old = _mask_bounds(mask) if mode in (REPLACE, INTERSECT) else None
    document.begin_edit("mask", label)
    # Only tiles that can change are recorded (a pixel changes only where the
    # selection or, replacing or intersecting, the old mask is non-zero), so
    # the undo step and its closing compare scale with the selection, not its box.
    if mode != INTERSECT:
        _touch_occupied(document, region, rect)
    if old is not None:
        _touch_occupied(document, mask[old.slices], old)
    inside = mask[rect.slices]
    if mode == ADD:
        np.maximum(inside, region, out=inside)
    elif mode == SUBTRACT:
        np.minimum(inside, 255 - region, out=inside)
    else:
        kept = region if mode == REPLACE else np.minimum(inside, region)
        if old is not None:
            mask[old.slices] = 0           # the old selection outside the shape goes
        mask[rect.slices] = kept
    document.changed(rect.union(old))
    return document.end_edit()


def write_region(document, pixels: np.ndarray, rect: Rect, label: str) -> Patch | None:
    """Overwrite the mask inside ``rect`` with ``pixels`` as one undoable step (a refinement)."""
    document.begin_edit("mask", label)
    document.touch(rect)
    document.mask[rect.slices] = pixels
    document.changed(rect)
    return document.end_edit()


@dataclass
class SelectionTool(Tool):
    """Base of the selection tools: a default combine mode and a feather.

    Attributes
    ----------
    mode : str
        The mode used when no modifier is held at the press (one of :data:`MODES`).
    feather : float
        Gaussian sigma in pixels for the selection's edge; 0 = as drawn.
    """

    key = "selection"
    name = "Selection"
    mode: str = REPLACE
    feather: float = 0.0

    def label(self, mode: str) -> str:
        """The undo label: "Rectangle select", "Magic wand (add)"."""
        return self.name if mode == REPLACE else f"{self.name} ({mode})"

    def select(self, document, region: np.ndarray, rect: Rect, mode: str, empty: str | None = None) -> Patch | None:
        kwargs = {"empty": empty} if empty else {}
        return apply_selection(document, region, rect, mode, self.label(mode), self.feather, **kwargs)

    def mode_hint(self) -> str:
        default = "" if self.mode == REPLACE else f" Default mode: {self.mode}."
        return f"{MODIFIER_HINT} (hold at the press).{default}"


__all__ = ["ADD", "INTERSECT", "MODES", "REPLACE", "SUBTRACT", "SelectionTool", "apply_selection",
           "combine", "feather_region", "mode_for", "occupied_tiles", "write_region"]
