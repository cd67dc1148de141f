"""Read a demonstration scene's attributes back from its pixels, without any network.

The judge of caption-conditioned generation (:mod:`.caption_scenes`): the
background is the median colour of the border; the shapes are the connected
regions that differ from it; their colour is the nearest named colour to
their median; their kind is how much of their bounding box they fill
(square ~1, circle ~0.79, triangle ~0.5); the count is how many regions are
big enough to be a shape. Chance levels: colour 1/6, shape 1/3, count 1/3,
background 1/3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .caption_scenes import BACKGROUNDS, SHAPE_COLOURS, Scene

MIN_AREA = 12            # px at 32 px: a shape of the dataset is >= ~50 px, a speck of noise is not one
FOREGROUND_DISTANCE = 60  # RGB distance from the background that counts as a shape
ATTRIBUTES = ("colour", "shape", "count", "background")
CHANCE = {"colour": 1 / len(SHAPE_COLOURS), "shape": 1 / 3, "count": 1 / 3, "background": 1 / len(BACKGROUNDS)}


@dataclass(frozen=True)
class Reading:
    """What the checker saw (``shape``/``colour`` "" and ``count`` 0 when no shape was found)."""

    colour: str
    shape: str
    count: int
    background: str

    def agrees(self, scene: Scene) -> dict[str, bool]:
        """Attribute -> whether this reading matches ``scene``."""
        return {name: getattr(self, name) == getattr(scene, name) for name in ATTRIBUTES}


def _nearest(rgb: np.ndarray, table: dict[str, tuple[int, int, int]]) -> str:
    names = list(table)
    colours = np.array([table[n] for n in names], np.float32)
    return names[int(np.argmin(((colours - rgb) ** 2).sum(1)))]


def read_scene(image: np.ndarray) -> Reading:
    """The attributes of ``uint8 (H, W, 3)`` ``image`` (a 32 px scene, or any size of one)."""
    pixels = np.asarray(image, np.float32)[..., :3]
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    background_rgb = np.median(border, axis=0)
    background = _nearest(background_rgb, BACKGROUNDS)
    scale = (pixels.shape[0] / 32.0) ** 2
    foreground = np.sqrt(((pixels - background_rgb) ** 2).sum(-1)) > FOREGROUND_DISTANCE
    labels, found = ndimage.label(foreground)
    regions = [(labels == k) for k in range(1, found + 1)]
    regions = [r for r in regions if r.sum() >= MIN_AREA * scale]
    if not regions:
        return Reading("", "", 0, background)
    colour = _nearest(np.median(pixels[np.logical_or.reduce(regions)], axis=0), SHAPE_COLOURS)
    kinds = [_kind(r) for r in regions]
    shape = max(set(kinds), key=kinds.count)
    return Reading(colour, shape, len(regions), background)


def _kind(region: np.ndarray) -> str:
    rows, cols = np.nonzero(region)
    box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    fill = region.sum() / box
    if fill > 0.88:
        return "square"
    return "circle" if fill > 0.64 else "triangle"


def agreement(images: np.ndarray, scenes: list[Scene]) -> dict[str, float]:
    """Attribute -> the fraction of ``images`` whose reading matches its scene, plus ``"all"``."""
    hits = {name: 0 for name in ATTRIBUTES}
    whole = 0
    for image, scene in zip(images, scenes):
        agrees = read_scene(image).agrees(scene)
        for name, ok in agrees.items():
            hits[name] += ok
        whole += all(agrees.values())
    n = max(1, len(scenes))
    return {**{name: hits[name] / n for name in ATTRIBUTES}, "all": whole / n}
