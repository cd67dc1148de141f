"""Mask painting tools as Qt-free functions.

The canvas widget translates Qt mouse and tablet events into
:class:`PointerEvent` values in image coordinates (pixel ``(x, y)`` covers
``[x, x+1) x [y, y+1)``) and calls :func:`paint_segment`. Each segment is
rendered as one tapered capsule from the previous pointer position, so a fast
drag leaves no gaps however far apart the events are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rect import Rect

PAINT = "paint"
ERASE = "erase"


@dataclass(frozen=True)
class PointerEvent:
    """A pointer sample in image coordinates.

    Attributes
    ----------
    x, y : float
        Image coordinates (pixel ``(x, y)`` covers ``[x, x+1) x [y, y+1)``).
    pressure : float
        Tablet pressure in [0, 1]; 1 for a mouse.
    shift, alt, ctrl : bool
        Modifier keys held (the selection tools add, subtract, intersect with
        them; the clone tools set their source with Ctrl or Alt).
    double : bool
        The press is the second click of a double-click (closes a polygon).
    """

    x: float
    y: float
    pressure: float = 1.0
    shift: bool = False
    alt: bool = False
    ctrl: bool = False
    double: bool = False


MAX_BRUSH = 500.0     # px: the largest brush ([ ] and the Size slider stop here)


@dataclass(frozen=True)
class Brush:
    """Brush shape.

    Attributes
    ----------
    size : float
        Diameter in image pixels at full pressure.
    hardness : float
        0 = soft edge over the whole radius, 1 = hard edge (1 px antialias).
    mode : str
        ``"paint"`` adds to the mask, ``"erase"`` removes from it.
    pressure_size : bool
        Whether tablet pressure scales the diameter.
    """

    size: float = 24.0
    hardness: float = 0.8
    mode: str = PAINT
    pressure_size: bool = True

    def radius(self, pressure: float) -> float:
        scale = min(max(pressure, 0.0), 1.0) if self.pressure_size else 1.0
        return max(self.size * 0.5 * scale, 0.5)


def segment_bounds(a: PointerEvent, b: PointerEvent, brush: Brush) -> Rect:
    """The pixels a segment can touch (not clipped to the image)."""
    r = max(brush.radius(a.pressure), brush.radius(b.pressure)) + 1
    return Rect(int(np.floor(min(a.x, b.x) - r)), int(np.floor(min(a.y, b.y) - r)),
                int(np.ceil(max(a.x, b.x) + r)) + 1, int(np.ceil(max(a.y, b.y) + r)) + 1)


def segment_coverage(a: PointerEvent, b: PointerEvent, brush: Brush, rect: Rect) -> np.ndarray:
    """Brush coverage in [0, 1] of the segment a->b over ``rect``.

    Returns
    -------
    numpy.ndarray
        ``float32 (rect.height, rect.width)``.
    """
    ys = np.arange(rect.y0, rect.y1, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(rect.x0, rect.x1, dtype=np.float32)[None, :] + 0.5
    dx, dy = b.x - a.x, b.y - a.y
    length2 = dx * dx + dy * dy
    if length2 > 1e-12:                             # in place: a 300 px dab is ~100 000 pixels
        t = (xs - a.x) * dx + (ys - a.y) * dy
        t /= length2
        np.clip(t, 0.0, 1.0, out=t)
        ex, ey = t * dx, t * dy
        ex += a.x
        ey += a.y
        np.subtract(xs, ex, out=ex)
        np.subtract(ys, ey, out=ey)
        dist = np.hypot(ex, ey, out=ex)
    else:
        t = np.zeros((1, 1), np.float32)
        dist = np.hypot(xs - a.x, ys - a.y)
    ra, rb = brush.radius(a.pressure), brush.radius(b.pressure)
    # Linear falloff from the hard core (radius * hardness) to the rim; at
    # least half a pixel wide so hard brushes are still antialiased.
    if ra == rb:                                    # a mouse, or even pressure: scalars, fewer passes
        falloff = max(np.float32(ra) * np.float32(1.0 - brush.hardness), np.float32(0.5))
        out = np.subtract(np.float32(ra), dist, out=dist)
        out /= falloff
        return np.clip(out, 0.0, 1.0, out=out)
    radius = ra + (rb - ra) * t
    falloff = np.maximum(radius * (1.0 - brush.hardness), 0.5)
    return np.clip((radius - dist) / falloff, 0.0, 1.0)


def paint_segment(mask: np.ndarray, a: PointerEvent, b: PointerEvent, brush: Brush) -> Rect | None:
    """Paint (or erase) the segment a->b into ``mask`` in place.

    Parameters
    ----------
    mask : numpy.ndarray
        ``uint8 (H, W)``, 0 = keep, 255 = fill.

    Returns
    -------
    Rect or None
        The pixels that may have changed, or None when the segment lies
        entirely outside the image.
    """
    height, width = mask.shape
    rect = segment_bounds(a, b, brush).clip(width, height)
    if rect.empty:
        return None
    value = np.rint(segment_coverage(a, b, brush, rect) * 255.0).astype(np.uint8)
    region = mask[rect.slices]
    if brush.mode == ERASE:
        np.minimum(region, 255 - value, out=region)
    else:
        np.maximum(region, value, out=region)
    return rect


def dab(mask: np.ndarray, point: PointerEvent, brush: Brush) -> Rect | None:
    """A single click: one round stamp."""
    return paint_segment(mask, point, point, brush)
