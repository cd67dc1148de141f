"""The benchmark's own damage generator for the damage finder (not a benchmark itself).

Deliberately NOT the training generator (``artstudio/core/detect_synth.py``):
other shapes, other drawing code, other parameters, so that the scores of
``benchmarks/detect_quality.py`` are not scores on the distribution the
network was trained on.

- **dust**: rotated ellipses (semi-axes 0.6-4.5 px) drawn with ``cv2.ellipse``
  at 8x and area-averaged, then blurred (sigma 0.3-0.9 px, the scanner's
  softness), white (to 225-255) or dark (to 0-35), opacity 0.7-1;
- **hairs**: cubic Bezier curves (4 random control points), 0.9-2.6 px wide,
  40-420 px long, mostly dark;
- **scratches**: straight ``cv2.line`` segments across 30-100 % of the frame,
  1-3 px wide, mostly white, their opacity varying along the line;
- then the scan: gaussian grain (sigma 1.5-5 levels) and JPEG (quality 72-92).

Ground truth: pixels whose coverage (after the blur) is at least 0.5 and
whose luma the mark changed by at least 16 levels. Don't-care (counted
neither way): the rest of each mark's footprint (coverage 0.1-0.5, or a
change under 16 levels: a white speck on white is no damage to the eye).
"""

from __future__ import annotations

import numpy as np

SS = 8              # supersampling factor
VISIBLE = 16        # levels of luma a damaged pixel must change by
DONT_CARE = 2


def damage(image: np.ndarray, kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(damaged uint8 (H, W, 3), truth uint8 (H, W))``: 1 damage, 0 clean, :data:`DONT_CARE`.

    ``kind`` is ``"dust"`` (about one speck per 8 000 px) or ``"scratches"``
    (hairs and scratches, about one per 150 000 px, at least 4).
    """
    rng = np.random.default_rng(seed)
    out = image[..., :3].astype(np.float32)
    truth = np.zeros(image.shape[:2], np.uint8)
    h, w = truth.shape
    if kind == "dust":
        for _ in range(max(10, h * w // 8000)):
            _mark(out, truth, _ellipse_cover(h, w, rng), rng, white=rng.random() < 0.55, blur=True)
    elif kind == "scratches":
        for _ in range(max(4, h * w // 80000)):
            if rng.random() < 0.6:
                _mark(out, truth, _bezier_cover(h, w, rng), rng, white=rng.random() < 0.25, blur=True)
            else:
                _mark(out, truth, _line_cover(h, w, rng), rng, white=rng.random() < 0.8, blur=True, vary=True)
    else:
        raise ValueError(kind)
    return _scan(out, rng), truth


def _mark(out, truth, piece, rng, white: bool, blur: bool, vary: bool = False) -> None:
    """Blend one mark, ``piece = (coverage patch, y0, x0)``, and record its truth."""
    import cv2

    c, y0, x0 = piece
    if c.size == 0:
        return
    if blur:
        c = cv2.GaussianBlur(c, (0, 0), rng.uniform(0.3, 0.9))
    y1, x1 = y0 + c.shape[0], x0 + c.shape[1]
    alpha = c * rng.uniform(0.7, 1.0)
    if vary:     # a scratch fades in and out along its length
        n = max(c.shape)
        ramp = 0.6 + 0.4 * np.sin(np.linspace(0, rng.uniform(2, 9), n) + rng.uniform(0, 6)).astype(np.float32)
        alpha = alpha * (ramp[None, :c.shape[1]] if c.shape[1] >= c.shape[0] else ramp[:c.shape[0], None])
    target = rng.uniform(225, 255) if white else rng.uniform(0, 35)
    region = out[y0:y1, x0:x1]
    before = region.mean(axis=2)
    region += (target - region) * alpha[..., None]
    change = np.abs(region.mean(axis=2) - before)
    patch = truth[y0:y1, x0:x1]
    hit = (c >= 0.5) & (change >= VISIBLE)
    patch[(c >= 0.1) & ~hit & (patch == 0)] = DONT_CARE
    patch[hit] = 1


def _ellipse_cover(h, w, rng):
    import cv2

    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    a = rng.uniform(0.6, 4.5)
    b = a * rng.uniform(0.45, 1.0)
    x0, y0 = int(max(0, cx - 12)), int(max(0, cy - 12))
    x1, y1 = int(min(w, cx + 12)), int(min(h, cy + 12))
    big = np.zeros(((y1 - y0) * SS, (x1 - x0) * SS), np.uint8)
    centre = (int((cx - x0) * SS), int((cy - y0) * SS))
    cv2.ellipse(big, centre, (max(1, int(a * SS)), max(1, int(b * SS))), rng.uniform(0, 180), 0, 360, 255, -1)
    return cv2.resize(big, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA) / np.float32(255.0), y0, x0


def _polyline_cover(h, w, points: np.ndarray, width: float):
    import cv2

    x0, y0 = np.floor(points.min(0) - width - 4).astype(int)
    x1, y1 = np.ceil(points.max(0) + width + 4).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), np.float32), 0, 0
    big = np.zeros(((y1 - y0) * SS, (x1 - x0) * SS), np.uint8)
    pts = np.rint((points - [x0, y0]) * SS).astype(np.int32)
    cv2.polylines(big, [pts], False, 255, max(1, int(round(width * SS))), cv2.LINE_8)
    return cv2.resize(big, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA) / np.float32(255.0), y0, x0


def _bezier_cover(h, w, rng):
    length = rng.uniform(40, 420)
    p0 = rng.uniform([0, 0], [w, h])
    direction = rng.uniform(0, 2 * np.pi)
    p3 = p0 + length * np.array([np.cos(direction), np.sin(direction)])
    p1 = p0 + (p3 - p0) / 3 + rng.normal(0, length * 0.3, 2)
    p2 = p0 + 2 * (p3 - p0) / 3 + rng.normal(0, length * 0.3, 2)
    t = np.linspace(0, 1, max(16, int(length / 2)))[:, None]
    curve = (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3
    return _polyline_cover(h, w, curve, rng.uniform(0.9, 2.6))


def _line_cover(h, w, rng):
    length = rng.uniform(0.3, 1.0) * np.hypot(h, w)
    centre = rng.uniform([0, 0], [w, h])
    angle = rng.uniform(0, np.pi)
    d = np.array([np.cos(angle), np.sin(angle)]) * length / 2
    return _polyline_cover(h, w, np.array([centre - d, centre + d]), rng.uniform(1.0, 3.0))


def _scan(out: np.ndarray, rng) -> np.ndarray:
    import cv2

    out = out + rng.normal(0, rng.uniform(1.5, 5.0), out.shape[:2])[..., None]
    pixels = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", pixels[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(72, 93))])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy()
