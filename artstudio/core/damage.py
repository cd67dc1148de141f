"""Synthetic, seeded damage: masks (scratches, dust, strokes, boxes), noise and downscales.

Used for the bundled demo, the benchmarks, the tests and for training the
restoration networks on pairs of clean and damaged photos
(``artstudio.jobs.train_restore``). Everything is numpy (plus one-line
OpenCV/Pillow calls) and seeded: same seed, same damage.

Sizes of the mask kinds are given for a 512 px frame and scale with
``min(width, height) / 512``, so a benchmark crop and a training crop see the
same kind of damage relative to the picture.
"""

from __future__ import annotations

import numpy as np


def scratch_mask(size: tuple[int, int], count: int, seed: int,
                 width: tuple[int, int] = (2, 5), dust: int = 0) -> np.ndarray:
    """Thin curved scratches (quadratic Bézier strokes) and round dust specks.

    Parameters
    ----------
    size : (width, height)
    count : int
        Number of scratches.
    seed : int
        Same seed, same mask.
    width : (min, max)
        Stroke width in pixels, scaled up for frames larger than 1 MP.
    dust : int
        Number of dust specks.

    Returns
    -------
    numpy.ndarray
        ``uint8 (H, W)``, 255 on the damage.
    """
    import cv2

    w, h = size
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), np.uint8)
    scale = max(1.0, np.sqrt(w * h / 1e6))
    t = np.linspace(0.0, 1.0, 64)[:, None]
    for _ in range(count):
        start = rng.uniform([0, 0], [w, h])
        length = rng.uniform(0.15, 0.6) * min(w, h)
        angle = rng.uniform(0, np.pi)
        end = start + length * np.array([np.cos(angle), np.sin(angle)])
        bend = (start + end) / 2 + rng.normal(0, length * 0.15, 2)
        curve = (1 - t) ** 2 * start + 2 * (1 - t) * t * bend + t ** 2 * end
        thickness = max(1, int(round(rng.integers(width[0], width[1] + 1) * scale)))
        cv2.polylines(mask, [np.rint(curve).astype(np.int32)], False, 255, thickness, cv2.LINE_8)
    for _ in range(dust):
        centre = tuple(int(v) for v in rng.uniform([0, 0], [w, h]))
        cv2.circle(mask, centre, max(1, int(rng.integers(1, 5) * scale)), 255, -1)
    return mask


def apply_damage(image: np.ndarray, mask: np.ndarray, seed: int) -> np.ndarray:
    """Paint the damage onto a copy of ``image``: pale, slightly noisy marks,
    as scratches on an old print look."""
    rng = np.random.default_rng(seed)
    out = image.copy()
    hole = mask > 0
    n = int(hole.sum())
    shade = rng.uniform(215, 250, size=(n, 1)) + rng.normal(0, 6, size=(n, 1))
    out[hole, :3] = np.clip(shade, 0, 255).astype(np.uint8)
    return out


MASK_KINDS = ("scratches", "dust", "strokes", "box", "mixed")


def damage_mask(kind: str, size: tuple[int, int], seed: int, unit: float | None = None) -> np.ndarray:
    """A seeded mask of one kind of damage.

    Parameters
    ----------
    kind : str
        ``"scratches"`` (thin curved lines, 1-4 px at 512 px), ``"dust"``
        (specks, radius 1-4 px), ``"strokes"`` (free-form brush strokes,
        6-24 px wide), ``"box"`` (one rectangle, 32-96 px a side) or
        ``"mixed"`` (scratches and dust, sometimes a stroke).
    size : (width, height)
    seed : int
    unit : float, optional
        Pixel scale of the damage: widths and radii are multiplied by it.
        Default ``min(width, height) / 512`` (the picture was resized). Give
        1.0 for a crop of a photo at its own resolution (training crops):
        the damage keeps its size in pixels, and the number of marks
        follows the area either way.

    Returns
    -------
    numpy.ndarray
        ``uint8 (H, W)``, 255 on the damage, never empty.
    """
    if kind not in MASK_KINDS:
        raise ValueError(f"Unknown damage '{kind}'. Choose one of: {', '.join(MASK_KINDS)}.")
    rng = np.random.default_rng(seed)
    w, h = size
    area = max(min(w, h) / 512.0, 0.25) ** 2
    unit = min(w, h) / 512.0 if unit is None else float(unit)
    if kind == "scratches":
        mask = thin_scratch_mask(size, int(rng.integers(3, 9)), rng, unit)
    elif kind == "dust":
        mask = dust_mask(size, int(rng.integers(40, 160) * area) + 3, rng, unit)
    elif kind == "strokes":
        mask = stroke_mask(size, max(1, int(round(rng.integers(1, 4) * area))), rng, unit)
    elif kind == "box":
        mask = box_mask(size, rng, unit)
    else:
        mask = thin_scratch_mask(size, int(rng.integers(1, 5)), rng, unit)
        mask |= dust_mask(size, int(rng.integers(10, 60) * area) + 1, rng, unit)
        if rng.random() < 0.3:
            mask |= stroke_mask(size, 1, rng, unit)
    if not mask.any():
        mask[h // 2, w // 2] = 255
    return mask


def thin_scratch_mask(size: tuple[int, int], count: int, rng: np.random.Generator,
                      unit: float = 1.0) -> np.ndarray:
    """Thin curved scratches, 1-4 px wide at ``unit`` 1 (a 512 px frame)."""
    import cv2

    w, h = size
    mask = np.zeros((h, w), np.uint8)
    t = np.linspace(0.0, 1.0, 48)[:, None]
    for _ in range(count):
        start = rng.uniform([0, 0], [w, h])
        length = rng.uniform(0.2, 0.9) * min(w, h)
        angle = rng.uniform(0, np.pi)
        end = start + length * np.array([np.cos(angle), np.sin(angle)])
        bend = (start + end) / 2 + rng.normal(0, length * 0.12, 2)
        curve = (1 - t) ** 2 * start + 2 * (1 - t) * t * bend + t ** 2 * end
        thickness = max(1, int(round(rng.uniform(1, 4.5) * unit)))
        cv2.polylines(mask, [np.rint(curve).astype(np.int32)], False, 255, thickness, cv2.LINE_8)
    return mask


def dust_mask(size: tuple[int, int], count: int, rng: np.random.Generator,
              unit: float = 1.0) -> np.ndarray:
    """Round and slightly irregular specks, radius 1-4 px at ``unit`` 1."""
    import cv2

    w, h = size
    mask = np.zeros((h, w), np.uint8)
    for _ in range(count):
        centre = rng.uniform([0, 0], [w, h])
        radius = rng.uniform(0.6, 4.0) * unit
        if rng.random() < 0.7:
            cv2.circle(mask, tuple(int(v) for v in centre), max(1, int(round(radius))), 255, -1)
        else:   # a short blob: a few overlapping dots
            for _ in range(int(rng.integers(2, 5))):
                centre = centre + rng.normal(0, radius, 2)
                cv2.circle(mask, tuple(int(v) for v in centre), max(1, int(round(radius * 0.7))), 255, -1)
    return mask


def stroke_mask(size: tuple[int, int], count: int, rng: np.random.Generator,
                unit: float = 1.0) -> np.ndarray:
    """Free-form brush strokes (random walks, DeepFill-style), 6-24 px wide at ``unit`` 1."""
    import cv2

    w, h = size
    mask = np.zeros((h, w), np.uint8)
    for _ in range(count):
        point = rng.uniform([0, 0], [w, h])
        width = max(2, int(round(rng.uniform(6, 24) * unit)))
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(3, 9))):
            angle += rng.normal(0, 0.8)
            step = rng.uniform(10, 60) * unit
            nxt = np.clip(point + step * np.array([np.cos(angle), np.sin(angle)]), 0, [w - 1, h - 1])
            cv2.line(mask, tuple(int(v) for v in point), tuple(int(v) for v in nxt), 255, width, cv2.LINE_8)
            cv2.circle(mask, tuple(int(v) for v in nxt), width // 2, 255, -1)
            point = nxt
    return mask


def box_mask(size: tuple[int, int], rng: np.random.Generator, unit: float = 1.0,
             side: tuple[float, float] = (32, 96)) -> np.ndarray:
    """One axis-aligned rectangle, ``side`` px a side at ``unit`` 1, inside the frame."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    bw = min(w, max(1, int(round(rng.uniform(*side) * unit))))
    bh = min(h, max(1, int(round(rng.uniform(*side) * unit))))
    x = int(rng.integers(0, w - bw + 1))
    y = int(rng.integers(0, h - bh + 1))
    mask[y:y + bh, x:x + bw] = 255
    return mask


def centred_box_mask(size: tuple[int, int], side: int) -> np.ndarray:
    """A ``side`` x ``side`` hole in the middle of the frame (the benchmark's box)."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    x, y = (w - side) // 2, (h - side) // 2
    mask[max(0, y):y + side, max(0, x):x + side] = 255
    return mask


def add_gaussian_noise(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """``image`` plus i.i.d. gaussian noise of ``sigma`` (0-255 scale), rounded and clipped.

    Every channel (alpha excepted) gets its own noise. Returns ``uint8``, same shape.
    """
    rng = np.random.default_rng(seed)
    out = image.copy()
    rgb = image[..., :3].astype(np.float32)
    noise = rng.standard_normal(rgb.shape, dtype=np.float32) * np.float32(sigma)
    out[..., :3] = np.clip(np.rint(rgb + noise), 0, 255).astype(np.uint8)
    return out


def add_salt_and_pepper(image: np.ndarray, amount: float, seed: int) -> np.ndarray:
    """Set a fraction ``amount`` of the colour values to 0 or 255 (half each).

    As scikit-image's ``random_noise(mode="s&p")``, each channel value is hit
    independently, so an impulse can be coloured. Returns ``uint8``.
    """
    rng = np.random.default_rng(seed)
    out = image.copy()
    rgb = out[..., :3]
    hit = rng.random(rgb.shape) < amount
    salt = rng.random(rgb.shape) < 0.5
    rgb[hit & salt] = 255
    rgb[hit & ~salt] = 0
    return out


def bicubic_downscale(image: np.ndarray, scale: int) -> np.ndarray:
    """Antialiased bicubic downscale by ``scale`` (Pillow's, as MATLAB ``imresize``).

    The degradation the super-resolution network is trained for; the frame is
    first cropped to a multiple of ``scale``. Returns ``uint8 (H/s, W/s, C)``.
    """
    from PIL import Image

    h, w = image.shape[:2]
    h, w = h - h % scale, w - w % scale
    crop = np.ascontiguousarray(image[:h, :w])
    small = Image.fromarray(crop).resize((w // scale, h // scale), Image.Resampling.BICUBIC)
    return np.asarray(small).copy()
