"""Undo/redo as patches: the 64x64 tiles that changed, before and after.

A brush stroke across a 24-megapixel mask stores only the tiles it touched,
never a copy of the whole layer or of the stroke's bounding box.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .rect import Rect

TILE = 64


@dataclass(frozen=True)
class Tile:
    """Pixels of one rectangle before and after a change."""

    rect: Rect
    before: np.ndarray
    after: np.ndarray


@dataclass(frozen=True)
class Patch:
    """One undoable change to a layer (``"mask"`` or ``"image"``), stored as
    the 64x64 tiles that actually changed."""

    layer: str
    tiles: tuple[Tile, ...]
    label: str

    @property
    def rect(self) -> Rect:
        """Bounds of everything the patch touches."""
        bounds = self.tiles[0].rect
        for tile in self.tiles[1:]:
            bounds = bounds.union(tile.rect)
        return bounds

    @property
    def rects(self) -> list[Rect]:
        return [t.rect for t in self.tiles]

    @property
    def nbytes(self) -> int:
        return sum(t.before.nbytes + t.after.nbytes for t in self.tiles)

    def write(self, target: np.ndarray, side: str) -> None:
        """Write the ``"before"`` or ``"after"`` pixels into ``target``."""
        for tile in self.tiles:
            target[tile.rect.slices] = getattr(tile, side)


@dataclass(frozen=True)
class Swap:
    """A change of the whole document, e.g. an upscale that changes its size:
    the image and mask before and after (tiles cannot describe a resize)."""

    before: tuple[np.ndarray, np.ndarray]
    after: tuple[np.ndarray, np.ndarray]
    label: str
    layer: str = "document"

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.before + self.after)

    @property
    def rects(self) -> list[Rect]:
        return [Rect.of_array(self.after[1])]

    @property
    def rect(self) -> Rect:
        return self.rects[0]


def _tile_rects(shape: tuple[int, ...]):
    h, w = shape[:2]
    for ty in range(0, h, TILE):
        for tx in range(0, w, TILE):
            yield (ty // TILE, tx // TILE), Rect(tx, ty, min(tx + TILE, w), min(ty + TILE, h))


def diff_patch(layer: str, before: np.ndarray, after: np.ndarray, label: str) -> Patch | None:
    """A patch holding the tiles where ``before`` and ``after`` differ, or None."""
    changed = before != after
    if changed.ndim == 3:
        changed = changed.any(axis=2)
    h, w = changed.shape
    rows, cols = np.arange(0, h, TILE), np.arange(0, w, TILE)
    per_tile = np.add.reduceat(np.add.reduceat(changed, rows, axis=0, dtype=np.int32), cols, axis=1)
    tiles = tuple(Tile(rect, before[rect.slices].copy(), after[rect.slices].copy())
                  for key, rect in _tile_rects(changed.shape) if per_tile[key])
    return Patch(layer, tiles, label) if tiles else None


class TileRecorder:
    """Remembers the original pixels of every tile a stroke touches.

    Call :meth:`touch` *before* modifying pixels inside a rectangle; call
    :meth:`finish` at the end of the stroke to get the patch.
    """

    def __init__(self, layer_name: str, layer: np.ndarray, label: str):
        self._name = layer_name
        self._layer = layer
        self._label = label
        self._tiles: dict[tuple[int, int], np.ndarray] = {}

    @property
    def layer(self) -> str:
        """The name of the layer being recorded."""
        return self._name

    def touch(self, rect: Rect) -> None:
        for ty in range(rect.y0 // TILE, (rect.y1 - 1) // TILE + 1):
            for tx in range(rect.x0 // TILE, (rect.x1 - 1) // TILE + 1):
                if (ty, tx) not in self._tiles:
                    tile = self._layer[ty * TILE:(ty + 1) * TILE, tx * TILE:(tx + 1) * TILE]
                    self._tiles[(ty, tx)] = tile.copy()

    def finish(self) -> Patch | None:
        tiles = []
        for (ty, tx), saved in sorted(self._tiles.items()):
            rect = Rect(tx * TILE, ty * TILE, tx * TILE + saved.shape[1], ty * TILE + saved.shape[0])
            now = self._layer[rect.slices]
            if not np.array_equal(saved, now):
                tiles.append(Tile(rect, saved, now.copy()))
        return Patch(self._name, tuple(tiles), self._label) if tiles else None


class History:
    """A linear undo stack bounded by memory, oldest entries dropped first.

    It also knows where the file is: the position of the state last saved
    (or opened). Undoing or redoing back to it makes the document unmodified
    again; an edit made after undoing past it (a branch) loses it for good,
    unless only :attr:`free_layers` steps lay between, which the file does not
    hold (the masks, autosaved apart).
    """

    def __init__(self, max_bytes: int = 1 << 30, free_layers: frozenset[str] = frozenset()):
        self.max_bytes = max_bytes
        self.free_layers = frozenset(free_layers)
        self._undo: list[Patch] = []
        self._redo: list[Patch] = []
        self._dropped = 0             # steps that fell off the bottom (the memory bound)
        self._saved: int | None = 0   # the saved state's position; None: no longer reachable

    @property
    def position(self) -> int:
        """Steps from the first state ever kept to the current one (undo lowers it)."""
        return self._dropped + len(self._undo)

    @property
    def dropped(self) -> int:
        """How many of the oldest steps were forgotten to stay under ``max_bytes``."""
        return self._dropped

    @property
    def saved_position(self) -> int | None:
        """The :attr:`position` of the saved (or opened) state, None when no undo or redo leads back."""
        return self._saved

    def mark_saved(self) -> None:
        """The current state is what the file holds (just saved, or opened)."""
        self._saved = self.position

    def mark_modified(self) -> None:
        """No state in the history is what the file holds (e.g. a recovered session)."""
        self._saved = None

    def since_saved(self) -> tuple | None:
        """The steps between the current state and the saved one (either way), None if it is gone."""
        if self._saved is None:
            return None
        here = self.position
        if self._saved <= here:
            return tuple(self._undo[self._saved - self._dropped:])
        return tuple(self._redo[len(self._redo) - (self._saved - here):])

    @property
    def modified(self) -> bool:
        """Whether the current state differs from the saved one in a layer that is not free."""
        steps = self.since_saved()
        return steps is None or any(p.layer not in self.free_layers for p in steps)

    def _free(self, steps) -> bool:
        return all(p.layer in self.free_layers for p in steps)

    def push(self, patch: Patch | None) -> None:
        if patch is None:
            return
        if self._saved is not None and self._saved > self.position:
            # A branch: the redo steps that led to the saved state go; the state here
            # is as good as saved only if they were all free.
            self._saved = self.position if self._free(self.since_saved()) else None
        self._undo.append(patch)
        self._redo.clear()
        total = sum(p.nbytes for p in self._undo)
        while len(self._undo) > 1 and total > self.max_bytes:
            oldest = self._undo.pop(0)
            total -= oldest.nbytes
            self._dropped += 1
            if self._saved is not None and self._saved < self._dropped:
                self._saved = self._dropped if oldest.layer in self.free_layers else None

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str:
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_label(self) -> str:
        return self._redo[-1].label if self._redo else ""

    def undo(self, apply: Callable[[Patch | Swap, str], None]) -> Patch | Swap | None:
        """Pop the last change and restore its ``before`` side through ``apply``."""
        if not self._undo:
            return None
        patch = self._undo.pop()
        apply(patch, "before")
        self._redo.append(patch)
        return patch

    def redo(self, apply: Callable[[Patch | Swap, str], None]) -> Patch | Swap | None:
        if not self._redo:
            return None
        patch = self._redo.pop()
        apply(patch, "after")
        self._undo.append(patch)
        return patch

    def clear(self) -> None:
        """Forget every step; the current state stays saved if it was."""
        modified = self.modified
        self._undo.clear()
        self._redo.clear()
        self._dropped = 0
        self._saved = None if modified else 0

    @property
    def steps(self) -> tuple[tuple, tuple]:
        """``(undo, redo)``: the steps, each stack bottom first (the crash journal's view)."""
        return tuple(self._undo), tuple(self._redo)

    def restore(self, undo, redo) -> None:
        """Put back stacks read by :meth:`steps`, e.g. after a crash (the current state counts as saved)."""
        self._undo, self._redo = list(undo), list(redo)
        self._dropped, self._saved = 0, len(self._undo)
