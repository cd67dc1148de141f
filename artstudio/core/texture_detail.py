"""A fill's fine detail matched to the photo round the hole: toned down, raised, or re-grained.

Patch synthesis votes overlapping patches together, which averages fine
detail away; a smooth prior leaves none at all. On a grainy scan or a noisy
sky such a fill reads as a smudge however right its colours are. On a
smooth subject under copied rims it reads the other way: too busy. Here the
fill's detail (above a Gaussian of 1.5 px), when it is more than a factor
off the Laplacian energy of a 7 px ring of photo round the hole either way,
is brought to that energy;
when raising the detail it has is not enough, grain taken from the photo
near the hole makes up the rest. Pure numpy and OpenCV; works in place on
the hole's box only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["match_texture_energy"]

DETAIL_SIGMA = 1.5
GRAIN_BLOCK = 16      # grain is copied in blocks this big: keeps its own spatial correlation
GRAIN_REACH = 64      # from within this many px of the hole's box
GRAIN_MAX = 1.0       # at most as strong as the photo's own


def _laplacian(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_32F)


def _scale_for(target: float, base: np.ndarray, add: np.ndarray) -> float | None:
    """The ``s >= 0`` with ``mean((base + s add)^2) == target`` (nearest reachable), or None."""
    a, b, c = float(np.mean(add * add)), float(np.mean(base * add)), float(np.mean(base * base))
    if a <= 1e-9:
        return None
    root = b * b - a * (c - target)
    return max(0.0, (-b + np.sqrt(root)) / a if root >= 0 else -b / a)


def match_texture_energy(out: np.ndarray, hole: np.ndarray, source: np.ndarray, limit: float,
                         gain: float = 2.0, rng: np.random.Generator | None = None) -> None:
    """When the fill's fine detail is more than ``limit`` times off the Laplacian energy of the
    photo's ring round the hole, either way, bring it to the ring's (the detail's scale solved
    exactly; bringing it only to the edge of the band left every fill it raised 1.3x too
    smooth, docs/BENCHMARKS.md).

    Too much: a smooth subject (a cup's side) keeps no copied rims. Too little: the votes
    averaged it away; it is raised by at most ``gain`` in amplitude, and when that is not
    enough, grain copied from the photo's detail near the hole (``source`` pixels only, in
    :data:`GRAIN_BLOCK` px blocks, at most :data:`GRAIN_MAX` times its own strength) makes up
    the rest. ``rng`` picks the blocks (``None``: seed 0). ``out`` (``uint8 (h, w, 3)``)
    changes inside ``hole`` only.
    """
    import cv2

    ys, xs = np.nonzero(hole)
    if ys.size == 0:
        return
    h, w = hole.shape
    box = (slice(max(0, ys.min() - 10), min(h, ys.max() + 11)), slice(max(0, xs.min() - 10), min(w, xs.max() + 11)))
    small_hole, small_source, view = hole[box], source[box], out[box]       # the work stays near the hole
    inner = cv2.erode(small_hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ring = (cv2.dilate(small_hole.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0) & ~small_hole & small_source
    if not inner.any() or not ring.any():
        return
    values = view.astype(np.float32)
    low = cv2.GaussianBlur(values, (0, 0), DETAIL_SIGMA)
    detail = values - low
    base, fine = _laplacian(low)[inner], _laplacian(detail)[inner]      # the result's is base + s * fine
    inside = float(np.mean((base + fine) ** 2))
    around = float(np.mean(_laplacian(values)[ring] ** 2))
    if around / limit <= inside <= limit * around:
        return
    target = around
    scale = _scale_for(target, base, fine)
    scale = 1.0 if scale is None else min(gain, scale)
    result = low + detail * np.float32(scale)
    if target > inside and float(np.mean((base + scale * fine) ** 2)) < target * 0.98:
        grain = _grain(out, hole, source, box, rng if rng is not None else np.random.default_rng(0))
        if grain is not None:
            reached = _laplacian(result)[inner]
            amount = _scale_for(target, reached, _laplacian(grain)[inner])
            if amount is not None:
                result += grain * np.float32(min(GRAIN_MAX, amount))
    view[small_hole] = np.clip(np.rint(result), 0, 255).astype(np.uint8)[small_hole]


def _grain(out: np.ndarray, hole: np.ndarray, source: np.ndarray, box: tuple[slice, slice],
           rng: np.random.Generator) -> np.ndarray | None:
    """``float32`` detail of the photo for ``box``: random :data:`GRAIN_BLOCK` px blocks of the
    detail of ``source`` pixels within :data:`GRAIN_REACH` px, the busiest (edges, not grain)
    left out; None when no block fits."""
    import cv2

    h, w = hole.shape
    y0, y1 = max(0, box[0].start - GRAIN_REACH), min(h, box[0].stop + GRAIN_REACH)
    x0, x1 = max(0, box[1].start - GRAIN_REACH), min(w, box[1].stop + GRAIN_REACH)
    values = out[y0:y1, x0:x1].astype(np.float32)
    detail = values - cv2.GaussianBlur(values, (0, 0), DETAIL_SIGMA)
    b = GRAIN_BLOCK
    usable = (source[y0:y1, x0:x1] & ~hole[y0:y1, x0:x1]).astype(np.uint8)
    # a block at (y, x) is usable when all its pixels are: erode with the block, anchored at its corner
    whole = cv2.erode(usable, np.ones((b, b), np.uint8), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT,
                      borderValue=0) > 0
    cy, cx = np.nonzero(whole[: max(0, y1 - y0 - b + 1), : max(0, x1 - x0 - b + 1)])
    if cy.size == 0:
        return None
    energy = cv2.boxFilter(np.square(detail).sum(axis=2), -1, (b, b), anchor=(0, 0), normalize=True,
                           borderType=cv2.BORDER_CONSTANT)[cy, cx]
    calm = energy <= 2.0 * np.median(energy)            # blocks over an edge would paste the edge
    cy, cx = cy[calm], cx[calm]
    bh, bw = box[0].stop - box[0].start, box[1].stop - box[1].start
    rows, cols = -(-bh // b), -(-bw // b)
    pick = rng.integers(0, cy.size, size=(rows, cols))
    ty, tx = np.mgrid[0:bh, 0:bw]
    chosen = pick[ty // b, tx // b]
    return detail[cy[chosen] + ty % b, cx[chosen] + tx % b]
