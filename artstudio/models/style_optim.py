"""The optimiser behind "Paint like this" and "Transfer texture": pixels moved until their statistics match.

Coarse to fine: the image is optimised at 1/4, 1/2 and the full working
size in turn, each stage starting from the previous one enlarged, so the
first usable picture comes after the cheap coarse stage. Every step the loss
is

``style(x, style image) + content_weight * content(x)``

* style, ``paint`` mode: the relative Gram distance (or the sliced
  Wasserstein distance) of the random-filter features of
  :mod:`.style_features` at each pyramid level, at seeded random positions;
* style, ``texture`` mode: the sliced Wasserstein distance between the patch
  distributions of ``x`` and the style image, on new random directions each
  step (GPDM);
* content: the mean squared difference of the blurred pyramid levels (from
  level 1 down) of ``x`` and the anchor (the content, colour-matched): the
  composition and the broad tones stay, the fine texture is free to change.

Adam on the pixels, clamped to [0, 1] after each step. Deterministic for a
seed on one device (random numbers from NumPy; see :mod:`.style_features`).

Contract: ``float32 (H, W, C)`` images in [0, 1] (C = 3, or 1 for
luminance-only transfer), H and W at least 32; returns the same shape. fp32.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from . import style_features as sf

MODES = ("paint", "texture")
STATISTICS = ("gram", "sliced")
STAGES = 3
FEATURE_LEVELS = {"paint": 5, "texture": 4}
SAMPLES = 4096
PROJECTIONS = 48
LEARNING_RATE = (0.04, 0.025, 0.015)     # per stage, coarse to fine
# content_weight 1 balances the style terms on photos; texture's patch statistics pull harder
# (patches are copied whole), so its content term counts twice (docs/BENCHMARKS.md, issue 13)
CONTENT_SCALE = {"paint": 20.0, "texture": 40.0}
MIN_STAGE_SIDE = 32
# A step is hundreds of small operations (4096 sampled patches per level): on the CPU, extra
# intra-op threads mostly spin-wait for each other, and on a busy machine they cost 5-30x
# (measured on the 2-core build machine: 0.6 s vs 3-20 s for the same 36 steps).
CPU_THREADS = 1


@dataclass(frozen=True)
class StyleProblem:
    """One optimisation.

    Attributes
    ----------
    start : numpy.ndarray
        ``float32 (H, W, C)`` in [0, 1]: where the pixels start (the
        colour-matched content).
    anchor : numpy.ndarray
        ``float32 (H, W, C)``: the content term's target.
    style : numpy.ndarray
        ``float32 (h, w, C)``: the style image at the scale to copy.
    mode : str
        ``paint`` or ``texture``.
    steps : int
        Steps in all, split over the stages (a third each).
    content_weight : float
        0 = style only; 1 = the default balance; larger keeps more of the photo.
    statistic : str
        ``gram`` or ``sliced`` (paint mode).
    softmax : bool
        SWAG's softmax instead of ReLU (paint mode).
    seed : int
        Filters, directions and sampled positions.
    """

    start: np.ndarray
    anchor: np.ndarray
    style: np.ndarray
    mode: str = "paint"
    steps: int = 150
    content_weight: float = 1.0
    statistic: str = "gram"
    softmax: bool = False
    seed: int = 0

    def stage_sizes(self) -> list[tuple[int, int]]:
        """``(h, w)`` of each stage, coarse to fine (fewer stages for a small image)."""
        h, w = self.start.shape[:2]
        sizes = [(h, w)]
        while len(sizes) < STAGES and min(sizes[0]) // 2 >= MIN_STAGE_SIDE:
            sizes.insert(0, (max(1, sizes[0][0] // 2), max(1, sizes[0][1] // 2)))
        return sizes

    def stage_steps(self) -> list[int]:
        """Steps per stage: ``steps`` split evenly, the remainder to the coarsest."""
        n = len(self.stage_sizes())
        share = [self.steps // n] * n
        share[0] += self.steps - sum(share)
        return share


@dataclass(frozen=True)
class StepReport:
    """What the optimiser says after each step: where it is, and the picture when a stage ends."""

    stage: int
    stages: int
    step: int
    steps: int
    loss: float
    image: np.ndarray | None = None      # float32 (h, w, C) at the stage's size, now and then


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    if image.shape[:2] == (h, w):
        return image
    out = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if h < image.shape[0] else cv2.INTER_CUBIC)
    return out.reshape(h, w, -1)


class _StyleTerm:
    """The style loss of one stage: its targets precomputed once from the style image."""

    def __init__(self, problem: StyleProblem, style: np.ndarray, device):
        self.problem, self.device = problem, device
        self.levels = FEATURE_LEVELS[problem.mode]
        channels = style.shape[2]
        self.style_levels = [lvl * 2 - 1 for lvl in sf.pyramid(sf.to_tensor(style, device), self.levels)]
        self.rng = np.random.default_rng([int(problem.seed), 0x0F7])
        if problem.mode == "paint":
            self.bank = sf.RandomFilters(channels, problem.seed, softmax=problem.softmax, device=device)
            with torch.no_grad():
                self.targets = [self._dense_target(level) for level in self.style_levels]

    @torch.no_grad()
    def _dense_target(self, level: torch.Tensor):
        h, w = level.shape[-2:]
        positions = torch.from_numpy(sf.sample_positions(h, w, 65536, self.rng)).to(self.device)
        features = self.bank(sf.gather_patches(level, positions, self.bank.patch))
        if self.problem.statistic == "gram":
            return sf.gram(features)
        directions = sf.random_projections(features.shape[1], PROJECTIONS, self.rng, patch=1, device=self.device)
        return directions, sf.sorted_target((features @ directions).T.contiguous())

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        total = x.new_zeros(())
        levels = sf.pyramid(x * 2 - 1, min(self.levels, len(self.style_levels)))
        for index, level in enumerate(levels):
            h, w = level.shape[-2:]
            positions = torch.from_numpy(sf.sample_positions(h, w, SAMPLES, self.rng)).to(self.device)
            patches = sf.gather_patches(level, positions)
            total = total + self._level_loss(index, patches)
        return total / len(levels)

    def _level_loss(self, index: int, patches: torch.Tensor) -> torch.Tensor:
        if self.problem.mode == "texture":
            style = self.style_levels[index]
            sh, sw = style.shape[-2:]
            directions = sf.random_projections(style.shape[1], PROJECTIONS, self.rng, device=self.device)
            positions = torch.from_numpy(sf.sample_positions(sh, sw, SAMPLES, self.rng)).to(self.device)
            with torch.no_grad():
                target = sf.sorted_target((sf.gather_patches(style, positions) @ directions).T.contiguous())
            return sf.sliced_distance((patches @ directions).T, target) * 100.0
        features = self.bank(patches)
        if self.problem.statistic == "gram":
            return sf.gram_distance(features, self.targets[index])
        directions, target = self.targets[index]
        return sf.sliced_distance((features @ directions).T, target) * 100.0


def _content_loss(x: torch.Tensor, anchor_levels: list[torch.Tensor]) -> torch.Tensor:
    levels = sf.pyramid(x, len(anchor_levels) + 1, min_side=4)[1:]
    return sum(((a - b) ** 2).mean() for a, b in zip(levels, anchor_levels)) / max(1, len(levels))


def optimise(problem: StyleProblem, check: Callable[[], None] = lambda: None, device="cpu",
             picture_every: int = 25) -> Generator[StepReport, None, np.ndarray]:
    """Run ``problem``; yields a :class:`StepReport` per step; returns ``float32 (H, W, C)``.

    ``check()`` is called before every step (it raises to stop). A report
    carries the picture every ``picture_every`` steps and at each stage's end.
    """
    if problem.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {problem.mode!r}")
    if problem.statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, not {problem.statistic!r}")
    device = torch.device(device)
    previous = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(CPU_THREADS)     # jobs run one at a time, on one thread: restored below
    try:
        return (yield from _stages(problem, check, device, picture_every))
    finally:
        torch.set_num_threads(previous)


def _stages(problem: StyleProblem, check, device, picture_every: int):
    sizes, steps = problem.stage_sizes(), problem.stage_steps()
    full_h = problem.start.shape[0]
    x = None
    for stage, (size, count) in enumerate(zip(sizes, steps)):
        factor = size[0] / full_h
        style = _resize(problem.style, (max(8, round(problem.style.shape[0] * factor)),
                                        max(8, round(problem.style.shape[1] * factor))))
        term = _StyleTerm(problem, style, device)
        anchor = sf.to_tensor(_resize(problem.anchor, size), device)
        anchor_levels = sf.pyramid(anchor, 4, min_side=4)[1:]
        if x is None:
            x = sf.to_tensor(_resize(problem.start, size), device)
        else:
            x = torch.nn.functional.interpolate(x.detach(), size=size, mode="bicubic", align_corners=False)
            x = x.clamp(0, 1)
        x = x.detach().requires_grad_(True)
        rate = LEARNING_RATE[min(len(LEARNING_RATE) - 1, stage + STAGES - len(sizes))]
        optimiser = torch.optim.Adam([x], lr=rate)
        for step in range(count):
            check()
            optimiser.zero_grad(set_to_none=True)
            loss = term(x)
            if problem.content_weight > 0 and anchor_levels:
                loss = loss + problem.content_weight * CONTENT_SCALE[problem.mode] * _content_loss(x, anchor_levels)
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                x.clamp_(0, 1)
            picture = step == count - 1 or (step + 1) % max(1, picture_every) == 0
            yield StepReport(stage, len(sizes), step, count, float(loss.detach()),
                             sf.to_image(x) if picture else None)
    return sf.to_image(x)
