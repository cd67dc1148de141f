"""PatchMatch over the hole of one pyramid level: the nearest-neighbour field
:mod:`artstudio.core.texture` searches and votes with.

A :class:`Level` is one scale of the crop (Lab pixels, the hole, the patch
centres that may be copied, the structure prior); a :class:`Field` holds, for
every target pixel (the hole and the pixels a patch away from it), the centre
of the source patch it copies, and its cost. Search is Barnes et al. 2009
with jump-flood propagation (a vectorised numpy step per jump); the vote makes
each hole pixel the weighted mean of what the patches covering it copy.
With ``locality``, a copy from far away costs more: ``locality`` x the median
cost of the level's first evaluation x (distance / reach)^2, the reach being
twice the hole's depth plus a patch, so near texture wins ties and the wood
beyond a saucer's rim is not pasted into the saucer's shadow.
Pure numpy and OpenCV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PROPAGATION_JUMPS = (8, 4, 2, 1)
LOCAL_RADIUS = 16       # px: the random search of a ``local`` pass


@dataclass
class Level:
    """One scale of the crop being filled."""

    lab: np.ndarray      # float32 (h, w, 3); the hole holds the current estimate
    hole: np.ndarray     # bool (h, w)
    valid: np.ndarray    # bool (h, w): patch centres whose whole patch may be copied
    prior: np.ndarray    # float32 (h, w, 3) Lab, the prior inside the hole


def valid_centres(source: np.ndarray, patch: int) -> np.ndarray:
    """Pixels whose whole ``patch`` x ``patch`` window lies in ``source``."""
    import cv2

    kernel = np.ones((patch, patch), np.uint8)
    return cv2.erode(source.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0



class Field:
    """The nearest-neighbour field of one level: for each target pixel, a source patch centre."""

    def __init__(self, level: Level, patch: int, rng: np.random.Generator, locality: float = 0.0):
        import cv2

        self.level, self.rng, self.r = level, rng, patch // 2
        h, w = level.hole.shape
        kernel = np.ones((patch, patch), np.uint8)
        reach = cv2.dilate(level.hole.astype(np.uint8), kernel) > 0
        self.locality, self.unit = locality, None
        depth = float(cv2.distanceTransform(level.hole.astype(np.uint8), cv2.DIST_L2, 3).max()) if locality else 0.0
        self.reach2 = np.float32((2 * depth + patch) ** 2)
        self.ty, self.tx = np.nonzero(reach)
        self.index = np.full((h, w), -1, np.int32)
        self.index[self.ty, self.tx] = np.arange(self.ty.size, dtype=np.int32)
        self.vy, self.vx = np.nonzero(level.valid)
        self.sy = np.zeros(self.ty.size, np.int32)
        self.sx = np.zeros(self.ty.size, np.int32)
        self.cost = np.full(self.ty.size, np.inf, np.float32)

    def randomise(self, which: np.ndarray | slice = slice(None)) -> None:
        n = self.sy[which].size
        pick = self.rng.integers(0, self.vy.size, n)
        self.sy[which], self.sx[which] = self.vy[pick], self.vx[pick]

    def upsample_from(self, coarse: "Field") -> None:
        """Start from the coarser level's field, scaled up; orphans get random centres."""
        h, w = self.level.hole.shape
        ch, cw = coarse.index.shape
        j = coarse.index[np.minimum(self.ty // 2, ch - 1), np.minimum(self.tx // 2, cw - 1)]
        has = j >= 0
        self.randomise()
        sy = np.clip(2 * coarse.sy[j[has]] + self.ty[has] % 2, 0, h - 1)
        sx = np.clip(2 * coarse.sx[j[has]] + self.tx[has] % 2, 0, w - 1)
        ok = self.level.valid[sy, sx]
        idx = np.flatnonzero(has)[ok]
        self.sy[idx], self.sx[idx] = sy[ok], sx[ok]

    def evaluate(self, target: np.ndarray, source: np.ndarray) -> None:
        d = target - source[self.sy, self.sx]
        self.cost = np.einsum("ij,ij->i", d, d)
        if self.locality:
            if self.unit is None:
                self.unit = np.float32(self.locality * float(np.median(self.cost)))
            self.cost += self._distance_cost(slice(None), self.sy, self.sx)

    def _distance_cost(self, rows, cy: np.ndarray, cx: np.ndarray):
        if not self.locality or self.unit is None:
            return np.float32(0.0)
        dy = (cy - self.ty[rows]).astype(np.float32)
        dx = (cx - self.tx[rows]).astype(np.float32)
        return self.unit * (dy * dy + dx * dx) / self.reach2

    def _try(self, target, source, cy, cx, among=None) -> None:
        h, w = self.level.hole.shape
        cy, cx = np.clip(cy, 0, h - 1), np.clip(cx, 0, w - 1)
        flat = cy * w + cx
        ok = self.level.valid.ravel().take(flat)
        rows = np.flatnonzero(ok) if among is None else among[ok]
        cy, cx = cy[ok], cx[ok]
        d = target.take(rows, axis=0)
        d -= source.reshape(-1, source.shape[-1]).take(flat[ok], axis=0)
        cost = np.einsum("ij,ij->i", d, d) + self._distance_cost(rows, cy, cx)
        better = cost < self.cost[rows]
        rows = rows[better]
        self.sy[rows], self.sx[rows], self.cost[rows] = cy[better], cx[better], cost[better]

    def search(self, target: np.ndarray, source: np.ndarray, rounds: int,
               tick: Callable[[], None] = lambda: None, local: bool = False) -> None:
        """PatchMatch: jump-flood propagation from neighbours, then random search around the match.

        ``local``: only short jumps and a random search within :data:`LOCAL_RADIUS` px (half the
        tries), for a large level whose layout the coarser levels have settled.
        ``tick`` is called between passes (each a fraction of a second): it may raise to cancel.
        """
        h, w = self.level.hole.shape
        for _ in range(rounds):
            for jump in PROPAGATION_JUMPS[-2:] if local else PROPAGATION_JUMPS:
                tick()
                for dy, dx in ((jump, 0), (-jump, 0), (0, jump), (0, -jump)):
                    ny, nx = self.ty + dy, self.tx + dx
                    inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
                    j = np.full(self.ty.size, -1, np.int32)
                    j[inside] = self.index[ny[inside], nx[inside]]
                    rows = np.flatnonzero(j >= 0)
                    self._try(target, source, self.sy[j[rows]] - dy, self.sx[j[rows]] - dx, rows)
            radius = LOCAL_RADIUS if local else max(h, w)
            tick()
            while radius >= 1:
                off = self.rng.integers(-radius, radius + 1, (2, self.ty.size))
                self._try(target, source, self.sy + off[0], self.sx + off[1])
                radius //= 2
            pick = self.rng.integers(0, self.vy.size, self.ty.size)
            self._try(target, source, self.vy[pick], self.vx[pick])

    def _covering(self, step: int):
        """For each offset ``d`` inside a patch: the target patch ``p - d`` covering each hole
        pixel ``p`` (``rows`` is None when every hole pixel has one: the targets reach ``r`` px
        past the hole, so only pixels near the photo's edge can lack one) and the flat index
        of the pixel that patch copies there."""
        r = self.r
        h, w = self.level.hole.shape
        stride = w + 2 * r
        hy, hx = np.nonzero(self.level.hole)
        here = (hy + r) * stride + (hx + r)
        index = np.pad(self.index, r, constant_values=-1).ravel()
        source = self.sy * w + self.sx
        for dy in range(-r, r + 1, step):
            for dx in range(-r, r + 1, step):
                j = index.take(here - (dy * stride + dx))
                rows = None
                if j.min() < 0:
                    rows = np.flatnonzero(j >= 0)
                    j = j[rows]
                yield rows, j, source.take(j) + (dy * w + dx)

    def _best_covering(self, step: int) -> np.ndarray:
        """Each hole pixel's lowest cost among the patches covering it: a min filter of the costs."""
        import cv2

        h, w = self.level.hole.shape
        image = np.full((h, w), np.finfo(np.float32).max, np.float32)
        image[self.ty, self.tx] = np.minimum(self.cost, np.finfo(np.float32).max)
        side = 2 * self.r + 1
        kernel = np.zeros((side, side), np.uint8)
        kernel[::step, ::step] = 1     # the offsets the vote visits: -r, -r + step...
        image = cv2.erode(image, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=float(np.finfo(np.float32).max))
        return image[self.level.hole]

    def vote(self, step: int = 1, sharp: bool = False, percentile: float = 75.0) -> np.ndarray:
        """Each hole pixel's colour: the mean of what the patches covering it copy, weighted by
        how well each matches (``sharp``: only the best-matching one's)."""
        lab = self.level.lab.reshape(-1, 3)
        count = int(np.count_nonzero(self.level.hole))
        acc = np.zeros((count, 3), np.float32)
        everyone = slice(None)
        if sharp:
            best = np.full(count, np.inf, np.float32)
            for rows, jj, copied in self._covering(step):
                rows = everyone if rows is None else rows
                cost = self.cost.take(jj)
                better = cost < best[rows]
                picked = np.flatnonzero(better) if rows is everyone else rows[better]
                acc[picked] = lab.take(copied[better], axis=0)
                best[picked] = cost[better]
            return acc
        best = self._best_covering(step)
        scale = np.float32(-1.0 / (2.0 * (float(np.percentile(self.cost, percentile)) + 1e-6)))
        total = np.zeros(count, np.float32)
        for rows, jj, copied in self._covering(step):
            gap = self.cost.take(jj) - (best if rows is None else best[rows])
            weight = np.exp(np.maximum(gap, 0.0) * scale).astype(np.float32)
            if rows is None:
                acc += weight[:, None] * lab.take(copied, axis=0)
                total += weight
            else:
                acc[rows] += weight[:, None] * lab.take(copied, axis=0)
                total[rows] += weight
        return acc / np.maximum(total, 1e-12)[:, None]
