"""Integer rectangles in image pixel coordinates (half-open: x0 <= x < x1)."""

from __future__ import annotations

from typing import NamedTuple


class Rect(NamedTuple):
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def empty(self) -> bool:
        return self.x1 <= self.x0 or self.y1 <= self.y0

    @property
    def slices(self) -> tuple[slice, slice]:
        """Index a ``(H, W, ...)`` array: ``array[rect.slices]``."""
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def union(self, other: "Rect | None") -> "Rect":
        if other is None or other.empty:
            return self
        if self.empty:
            return other
        return Rect(min(self.x0, other.x0), min(self.y0, other.y0),
                    max(self.x1, other.x1), max(self.y1, other.y1))

    def intersect(self, other: "Rect") -> "Rect":
        return Rect(max(self.x0, other.x0), max(self.y0, other.y0),
                    min(self.x1, other.x1), min(self.y1, other.y1))

    def clip(self, width: int, height: int) -> "Rect":
        return self.intersect(Rect(0, 0, width, height))

    def grown(self, margin: int) -> "Rect":
        return Rect(self.x0 - margin, self.y0 - margin, self.x1 + margin, self.y1 + margin)

    @classmethod
    def of_array(cls, array) -> "Rect":
        return cls(0, 0, array.shape[1], array.shape[0])


def bbox_of_nonzero(array) -> Rect | None:
    """The smallest rectangle holding every non-zero pixel of a 2-D array."""
    import numpy as np

    rows = np.flatnonzero(array.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(array.any(axis=0))
    return Rect(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
