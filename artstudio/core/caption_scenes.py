"""The demonstration dataset for caption-conditioned generation: drawn scenes whose captions are exact.

Each scene is a background colour with one, two or three shapes (circles,
squares or triangles) of one colour, e.g. "two red circles on a black
background". Because the scene is drawn from its attributes, the caption
states them exactly, and a checker that never sees the generator
(:mod:`.caption_check`) can read them back from any picture.

Attributes and sizes are chosen so the checker is reliable at 32 px: shapes
never overlap nor touch the border, and the colours are far apart.

:func:`write_scenes` writes ``NNNNN.png`` + ``NNNNN.txt`` pairs, the folder
format ``artstudio train cgan`` reads (any folder of images with ``.txt``
sidecars). A scene depends only on ``(seed, index)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIDE = 32
SUPERSAMPLE = 4
SHAPE_COLOURS = {"red": (220, 40, 40), "green": (40, 180, 60), "blue": (50, 90, 230),
                 "yellow": (240, 220, 40), "purple": (150, 60, 200), "white": (245, 245, 245)}
BACKGROUNDS = {"black": (15, 15, 15), "grey": (128, 128, 128), "white": (245, 245, 245)}
SHAPES = ("circle", "square", "triangle")
COUNTS = (1, 2, 3)
COUNT_WORDS = {1: "one", 2: "two", 3: "three"}
TEMPLATES = ("{count} {colour} {shape} on a {background} background",
             "a {background} background with {count} {colour} {shape}",
             "{count} {colour} {shape}, {background} backdrop")
HELD_OUT_EVERY = 10        # every 10th combination (in a fixed order) is never used for training


@dataclass(frozen=True)
class Scene:
    """What a picture shows; the caption is made from it."""

    colour: str
    shape: str
    count: int
    background: str

    def caption(self, template: int = 0) -> str:
        words = "a" if self.count == 1 else COUNT_WORDS[self.count]
        shape = self.shape + ("s" if self.count > 1 else "")
        text = TEMPLATES[template % len(TEMPLATES)].format(count=words, colour=self.colour, shape=shape,
                                                           background=self.background)
        return text[0].upper() + text[1:] if template == 2 else text


def all_scenes() -> list[Scene]:
    """Every combination whose shapes can be seen (no white shapes on white), in a fixed order."""
    return [Scene(c, s, n, b) for c, s, n, b in itertools.product(SHAPE_COLOURS, SHAPES, COUNTS, BACKGROUNDS)
            if c != b]


def split_scenes() -> tuple[list[Scene], list[Scene]]:
    """``(training, held_out)``: held-out combinations never appear in the training folder."""
    scenes = all_scenes()
    held = [s for i, s in enumerate(scenes) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    return [s for s in scenes if s not in held], held


def draw_scene(scene: Scene, rng: np.random.Generator, side: int = SIDE) -> np.ndarray:
    """``uint8 (side, side, 3)``: ``scene`` with random positions, sizes and slight colour jitter."""
    big = side * SUPERSAMPLE
    background = _jitter(BACKGROUNDS[scene.background], rng, 8)
    picture = Image.new("RGB", (big, big), background)
    draw = ImageDraw.Draw(picture)
    colour = _jitter(SHAPE_COLOURS[scene.colour], rng, 12)
    for cx, cy, r in _places(scene.count, side, rng):
        cx, cy, r = cx * SUPERSAMPLE, cy * SUPERSAMPLE, r * SUPERSAMPLE
        if scene.shape == "circle":
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        elif scene.shape == "square":
            half = r * 0.85
            draw.rectangle((cx - half, cy - half, cx + half, cy + half), fill=colour)
        else:
            draw.polygon(((cx, cy - r), (cx + r, cy + r * 0.8), (cx - r, cy + r * 0.8)), fill=colour)
    return np.asarray(picture.resize((side, side), Image.BOX), np.uint8).copy()


def _places(count: int, side: int, rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """Centres and radii of ``count`` shapes that keep 2 px apart and 2 px from the border."""
    scale = side / SIDE
    for _ in range(1000):
        found: list[tuple[float, float, float]] = []
        for _ in range(count):
            r = rng.uniform(4.5, 6.0) * scale
            cx, cy = rng.uniform(r + 2 * scale, side - r - 2 * scale, size=2)
            if all(np.hypot(cx - x, cy - y) > r + q + 2.5 * scale for x, y, q in found):
                found.append((cx, cy, r))
        if len(found) == count:
            return found
    raise RuntimeError("no room for the shapes")     # cannot happen at 32 px with three shapes


def _jitter(rgb: tuple[int, int, int], rng: np.random.Generator, amount: int) -> tuple[int, int, int]:
    return tuple(int(np.clip(v + rng.integers(-amount, amount + 1), 0, 255)) for v in rgb)


def scene_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed & 0xFFFFFFFF, index]))


def make_scenes(count: int, seed: int = 0, held_out: bool = False):
    """``(images uint8 (N, 32, 32, 3), captions, scenes)``: ``count`` scenes, evenly over the combinations.

    ``held_out=False`` draws from the training combinations, ``True`` from the held-out ones.
    """
    train, held = split_scenes()
    pool = held if held_out else train
    images, captions, scenes = [], [], []
    for index in range(count):
        rng = scene_rng(seed, index)
        scene = pool[index % len(pool)]
        images.append(draw_scene(scene, rng))
        captions.append(scene.caption(int(rng.integers(len(TEMPLATES)))))
        scenes.append(scene)
    return np.stack(images), captions, scenes


def write_scenes(folder: Path, count: int, seed: int = 0, held_out: bool = False) -> int:
    """Write ``count`` ``NNNNN.png`` + ``NNNNN.txt`` pairs into ``folder`` (created); returns ``count``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images, captions, _ = make_scenes(count, seed, held_out)
    for index, (image, caption) in enumerate(zip(images, captions)):
        Image.fromarray(image).save(folder / f"{index:05d}.png", optimize=True)
        (folder / f"{index:05d}.txt").write_text(caption + "\n", encoding="utf-8")
    return count
