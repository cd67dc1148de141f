"""Synthetic scan damage for TRAINING the damage finder: dust, lint, hairs, fibres, scratches, creases.

Drawn on the fly on clean photo crops by :mod:`artstudio.jobs.train_detect`.
Every mark is drawn at :data:`SUPERSAMPLE` times the crop's resolution and
area-averaged down, which gives its coverage (0..1) per pixel; the mark is
then blended towards its colour by coverage x opacity, and the whole crop
goes through the scan: a little blur, film grain and JPEG, as a damaged
print that was scanned and saved.

The benchmark draws its damage with a different generator
(``benchmarks/detect_damage.py``: other shapes, other code), so a score there
is not a score on the training distribution.

Labels (what the network is taught)
-----------------------------------
``1``: coverage >= 0.5 and the mark changed the pixel's luma by at least
:data:`VISIBLE` (a white speck on white paper is not damage anyone sees);
``0``: clean; ``IGNORE`` (the loss skips it): the soft rim of a mark
(coverage 0.1-0.5) and invisible parts of marks.
"""

from __future__ import annotations

import numpy as np

SUPERSAMPLE = 4
VISIBLE = 0.06          # luma change, 0-1 scale, for a damaged pixel to count
IGNORE = 2
# Expected number of marks of each kind in a 128 x 128 crop that has damage.
RATES = {"dust": 3.0, "lint": 0.4, "hair": 0.35, "fibre": 0.3, "scratch": 0.3, "crease": 0.08}
CLEAN_FRACTION = 0.2    # crops left undamaged: they teach what is not damage


def damage_crop(clean: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Damage one crop as a scan of a dusty, scratched print.

    Parameters
    ----------
    clean : numpy.ndarray
        ``float32 (S, S, 3)`` in [0, 1].
    rng : numpy.random.Generator
        All draws come from it (seeded by the trainer per step).

    Returns
    -------
    damaged : numpy.ndarray
        ``float32 (S, S, 3)`` in [0, 1].
    label : numpy.ndarray
        ``uint8 (S, S)``: 1 damage, 0 clean, :data:`IGNORE` for the loss to skip.
    """
    h, w = clean.shape[:2]
    out = clean.astype(np.float32, copy=True)
    label = np.zeros((h, w), np.uint8)
    if rng.random() < 0.12:          # monochrome scans
        out[:] = out.mean(axis=2, keepdims=True)
    if rng.random() >= CLEAN_FRACTION:
        area = h * w / (128.0 * 128.0)
        boost = rng.uniform(0.3, 2.5)
        for kind, rate in RATES.items():
            for _ in range(rng.poisson(rate * area * boost)):
                cover = _COVERS[kind](h, w, rng)
                _blend(out, label, cover, rng, kind)
    out = _scan(out, rng)
    return out, label


def _blend(out: np.ndarray, label: np.ndarray, cover: np.ndarray, rng: np.random.Generator, kind: str) -> None:
    """Blend one mark of ``cover`` (float32 0..1) into ``out`` and mark ``label``."""
    ys, xs = np.nonzero(cover > 0.02)
    if ys.size == 0:
        return
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    c = cover[y0:y1, x0:x1, None]
    region = out[y0:y1, x0:x1]
    before = region.mean(axis=2)
    white = rng.random() < (0.5 if kind in ("dust", "lint", "fibre") else 0.65)
    opacity = rng.uniform(0.45, 1.0)
    if kind == "crease":        # a fold: a pale, slightly uneven band
        white, opacity = True, rng.uniform(0.3, 0.7)
    level = rng.uniform(0.78, 1.0) if white else rng.uniform(0.0, 0.22)
    tint = level + rng.normal(0, 0.03, 3).astype(np.float32)
    texture = rng.normal(0, 0.03, c.shape[:2])[..., None].astype(np.float32)
    region += (np.clip(tint + texture, 0, 1) - region) * (c * opacity)
    np.clip(region, 0.0, 1.0, out=region)
    change = np.abs(region.mean(axis=2) - before)
    cov = c[..., 0]
    patch = label[y0:y1, x0:x1]
    hit = (cov >= 0.5) & (change >= VISIBLE)
    rim = (cov > 0.1) & ~hit
    patch[rim & (patch == 0)] = IGNORE
    patch[hit] = 1


def _canvas(h: int, w: int) -> np.ndarray:
    return np.zeros((h * SUPERSAMPLE, w * SUPERSAMPLE), np.uint8)


def _down(big: np.ndarray, h: int, w: int) -> np.ndarray:
    import cv2

    return cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _dust(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """An irregular speck: a few overlapping discs and a jagged polygon, radius 0.5-5 px."""
    import cv2

    s = SUPERSAMPLE
    big = _canvas(h, w)
    centre = rng.uniform([0, 0], [w, h]) * s
    radius = (rng.uniform(0.5, 2.0) if rng.random() < 0.6 else rng.uniform(2.0, 5.0)) * s
    if rng.random() < 0.5:
        angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(5, 10))))
        radii = radius * rng.uniform(0.5, 1.3, angles.size)
        points = centre + np.stack([np.cos(angles) * radii, np.sin(angles) * radii], 1)
        cv2.fillPoly(big, [np.rint(points).astype(np.int32)], 255, cv2.LINE_AA)
    else:
        for _ in range(int(rng.integers(1, 4))):
            c = centre + rng.normal(0, radius * 0.5, 2)
            cv2.circle(big, tuple(int(v) for v in c), max(1, int(radius * rng.uniform(0.5, 1.0))), 255, -1,
                       cv2.LINE_AA)
    return _down(big, h, w)


def _walk(start, steps: int, step: float, turn: float, rng: np.random.Generator) -> np.ndarray:
    """Points of a smooth random walk (curvature drawn per step)."""
    angle, curvature = rng.uniform(0, 2 * np.pi), 0.0
    points = [np.asarray(start, np.float64)]
    for _ in range(steps):
        curvature = 0.7 * curvature + rng.normal(0, turn)
        angle += curvature
        points.append(points[-1] + step * np.array([np.cos(angle), np.sin(angle)]))
    return np.array(points)


def _stroke(h: int, w: int, rng: np.random.Generator, length: tuple[float, float],
            width: tuple[float, float], turn: float) -> np.ndarray:
    import cv2

    s = SUPERSAMPLE
    big = _canvas(h, w)
    total = rng.uniform(*length)
    steps = max(3, int(total / 3))
    start = rng.uniform([-0.2 * w, -0.2 * h], [1.2 * w, 1.2 * h])
    points = _walk(start, steps, total / steps, turn, rng) * s
    thickness = max(1, int(round(rng.uniform(*width) * s)))
    cv2.polylines(big, [np.rint(points).astype(np.int32)], False, 255, thickness, cv2.LINE_AA)
    return _down(big, h, w)


def _lint(h, w, rng):          # short curly fibre
    return _stroke(h, w, rng, (6, 30), (0.8, 2.2), 0.35)


def _hair(h, w, rng):          # long, gently curving, 1-3 px
    return _stroke(h, w, rng, (40, 260), (0.9, 3.0), 0.08)


def _fibre(h, w, rng):         # thin, medium length, kinked
    return _stroke(h, w, rng, (15, 90), (0.7, 1.6), 0.2)


def _scratch(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A nearly straight line across the crop, sometimes broken into dashes."""
    import cv2

    s = SUPERSAMPLE
    big = _canvas(h, w)
    centre = rng.uniform([0, 0], [w, h])
    angle = rng.uniform(0, np.pi)
    half = rng.uniform(0.3, 1.5) * max(h, w)
    direction = np.array([np.cos(angle), np.sin(angle)])
    thickness = max(1, int(round(rng.uniform(0.8, 3.5) * s)))
    pieces = 1 if rng.random() < 0.6 else int(rng.integers(2, 6))
    ts = np.sort(rng.uniform(-half, half, 2 * pieces))
    bow = rng.normal(0, 0.02)
    for a, b in zip(ts[::2], ts[1::2]):
        t = np.linspace(a, b, 12)[:, None]
        normal = np.array([-direction[1], direction[0]])
        points = centre + t * direction + bow * (t ** 2 / max(half, 1)) * normal
        cv2.polylines(big, [np.rint(points * s).astype(np.int32)], False, 255, thickness, cv2.LINE_AA)
    return _down(big, h, w)


def _crease(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A fold line: wider (3-7 px), straight, with an uneven edge."""
    cover = _scratch(h, w, rng)
    import cv2

    width = int(rng.integers(3, 8))
    grown = cv2.dilate(cover, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    return np.clip(grown * rng.uniform(0.7, 1.0, grown.shape).astype(np.float32) * 1.2, 0, 1)


_COVERS = {"dust": _dust, "lint": _lint, "hair": _hair, "fibre": _fibre, "scratch": _scratch,
           "crease": _crease}


def _scan(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanner softness, film grain and JPEG, each with some probability."""
    import cv2

    if rng.random() < 0.35:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 0.8))
    if rng.random() < 0.7:
        sigma = rng.uniform(0.004, 0.04)
        grain = rng.standard_normal(image.shape[:2]).astype(np.float32)
        if rng.random() < 0.5:
            grain = cv2.GaussianBlur(grain, (0, 0), 0.7) * 1.8
        colour = rng.standard_normal(image.shape).astype(np.float32) * 0.3
        image = image + sigma * (grain[..., None] + colour)
    image = np.clip(image, 0.0, 1.0)
    if rng.random() < 0.5:
        pixels = (image * 255 + 0.5).astype(np.uint8)
        ok, data = cv2.imencode(".jpg", pixels[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 96))])
        if ok:
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255.0
    return np.ascontiguousarray(image, dtype=np.float32)
