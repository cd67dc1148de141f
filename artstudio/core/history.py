"""Undo/redo as patches: a rectangle plus the pixels before and after.

A brush stroke across a 24-megapixel mask stores only the few tiles it
touched, never a copy of the whole layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .rect import Rect

TILE = 64


@dataclass(frozen=True)
class Patch:
    """One undoable change to a layer (``"mask"`` or ``"image"``)."""

    layer: str
    rect: Rect
    before: np.ndarray
    after: np.ndarray
    label: str

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes


def diff_patch(layer: str, before: np.ndarray, after: np.ndarray, label: str) -> Patch | None:
    """A patch covering exactly the pixels that differ, or None if none do."""
    from .rect import bbox_of_nonzero

    changed = before != after
    if changed.ndim == 3:
        changed = changed.any(axis=2)
    rect = bbox_of_nonzero(changed)
    if rect is None:
        return None
    return Patch(layer, rect, before[rect.slices].copy(), after[rect.slices].copy(), label)


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
        self._dirty: Rect | None = None

    def touch(self, rect: Rect) -> None:
        self._dirty = rect.union(self._dirty)
        for ty in range(rect.y0 // TILE, (rect.y1 - 1) // TILE + 1):
            for tx in range(rect.x0 // TILE, (rect.x1 - 1) // TILE + 1):
                if (ty, tx) not in self._tiles:
                    tile = self._layer[ty * TILE:(ty + 1) * TILE, tx * TILE:(tx + 1) * TILE]
                    self._tiles[(ty, tx)] = tile.copy()

    def finish(self) -> Patch | None:
        if self._dirty is None:
            return None
        rect = self._dirty
        before = self._layer[rect.slices].copy()
        for (ty, tx), saved in self._tiles.items():
            tile = Rect(tx * TILE, ty * TILE, tx * TILE + saved.shape[1], ty * TILE + saved.shape[0])
            part = tile.intersect(rect)
            if part.empty:
                continue
            before[part.y0 - rect.y0:part.y1 - rect.y0, part.x0 - rect.x0:part.x1 - rect.x0] = \
                saved[part.y0 - tile.y0:part.y1 - tile.y0, part.x0 - tile.x0:part.x1 - tile.x0]
        after = self._layer[rect.slices].copy()
        if np.array_equal(before, after):
            return None
        return Patch(self._name, rect, before, after, self._label)


class History:
    """A linear undo stack bounded by memory, oldest entries dropped first."""

    def __init__(self, max_bytes: int = 1 << 30):
        self.max_bytes = max_bytes
        self._undo: list[Patch] = []
        self._redo: list[Patch] = []

    def push(self, patch: Patch | None) -> None:
        if patch is None:
            return
        self._undo.append(patch)
        self._redo.clear()
        total = sum(p.nbytes for p in self._undo)
        while len(self._undo) > 1 and total > self.max_bytes:
            total -= self._undo.pop(0).nbytes

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

    def undo(self, write: Callable[[str, Rect, np.ndarray], None]) -> Patch | None:
        """Pop the last patch and write its ``before`` pixels through ``write``."""
        if not self._undo:
            return None
        patch = self._undo.pop()
        write(patch.layer, patch.rect, patch.before)
        self._redo.append(patch)
        return patch

    def redo(self, write: Callable[[str, Rect, np.ndarray], None]) -> Patch | None:
        if not self._redo:
            return None
        patch = self._redo.pop()
        write(patch.layer, patch.rect, patch.after)
        self._undo.append(patch)
        return patch

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()
