"""Synthetic, seeded damage: scratches and dust, as masks and as marks on a photo.

Used for the bundled demo, the benchmarks and the tests; later for training
restoration networks on pairs of clean and damaged photos.
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
