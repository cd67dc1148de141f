"""The Quality chart of the Train workspace: FD, KID and SWD of a generator run, checkpoint by checkpoint.

Each figure is drawn relative to its first point (1.0 at the start of the
run; lower is better for all three), because their units differ by orders
of magnitude; the legend gives the latest real values. The points come as
:class:`artstudio.jobs.quality.QualityPoint` events of the run.
"""

from __future__ import annotations

import math

from .loss_chart import LossChart

TOOLTIP = ("Sample quality at each checkpoint, on ArtStudio's own features (not FID: not comparable with "
           "papers). FD: Fréchet distance; KID: kernel distance; SWD: ProGAN's sliced Wasserstein "
           "distance on pyramid patches. Each line starts at 1 and falls as samples get closer to the "
           "training images; the legend shows the latest values. Precision and recall are in the log.")


class QualityChart(LossChart):
    """``add_quality(step, figures)`` appends; ``raw`` keeps the figures as measured."""

    placeholder = ("Quality (FD, KID, SWD) is measured at the start and at each checkpoint of a GAN or VAE "
                   "run; folders need 200 images or more")
    axis_label = "step  ·  1 = start, lower is better"

    def __init__(self, names: tuple[str, ...], parent=None):
        super().__init__(parent)
        self.names = names
        self.raw: dict[str, list[tuple[int, float]]] = {}
        self.setToolTip(TOOLTIP)

    def clear(self, steps: int = 0) -> None:
        self.raw = {}
        super().clear(steps)

    def add_quality(self, step: int, figures: dict[str, float], steps: int | None = None) -> None:
        relative = {}
        for name in self.names:
            value = figures.get(name)
            if value is None or not math.isfinite(value):
                continue
            self.raw.setdefault(name, []).append((int(step), float(value)))
            first = self.raw[name][0][1]
            relative[f"{name}"] = value / first if abs(first) > 1e-12 else 1.0
        self.add_point(step, relative, steps)

    def legend_label(self, name: str, points: list[tuple[int, float]]) -> str:
        measured = self.raw.get(name)
        return f"{name} {measured[-1][1]:.4g}" if measured else super().legend_label(name, points)
