"""The Quality chart's numbers: a cheap evaluation of a generator run at each checkpoint.

:class:`QualityProbe` is built by a generator training run
(:mod:`.train_gen`) when its request asks for it. At the start and after
each checkpoint it renders ``count`` samples from fixed latents (the shown
network: a GAN's moving average, a VAE's decoder), compares them with a
fixed slice of ``count`` training images, and yields a :class:`QualityPoint`
(for the chart) and a :class:`~.train_common.TrainLog` line.

The slice is of the training folder, not held out: holding images out would
change what the run trains on, and the card's command must re-run the same
training. So the chart says whether samples get closer to the training
images; it cannot see memorisation. ``artstudio evaluate --data HELDOUT``
measures against images the run never saw.

It runs on the job thread between two steps; the features of the real
slice are computed once. Cost (docs/BENCHMARKS.md): ~1-2 s per point for
256 samples of 64 px on a 2-core CPU, against minutes of training between
checkpoints. A folder with fewer than :data:`~artstudio.core.metrics.MIN_IMAGES` (200)
images, or a missing feature file, turns the chart off with one log line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..core import metrics
from .base import Progress
from .train_common import TrainLog

COUNT = 256
CHART = ("FD", "KID", "SWD")          # what the chart draws, lower is better


@dataclass(frozen=True)
class QualityPoint:
    """The figures at ``step``: ``figures`` maps the chart's short names (FD, KID, SWD,
    precision, recall) to values; ``seconds`` is what measuring cost."""

    step: int
    figures: dict[str, float]
    seconds: float


class QualityProbe:
    """See the module docstring. ``tiles``: the run's ``uint8 (N, T, T, 3)`` training tiles."""

    def __init__(self, tiles: np.ndarray, size: int, seed: int, device, count: int = COUNT) -> None:
        self.size, self.seed, self.device = size, seed, device
        self.count = min(count, len(tiles))
        self.problem: str | None = None
        if len(tiles) < metrics.MIN_IMAGES:
            self.problem = (f"Quality chart off: the folder has {len(tiles)} images, and a stable figure "
                            f"needs at least {metrics.MIN_IMAGES}.")
            return
        pick = np.sort(np.random.default_rng([seed, 14]).choice(len(tiles), self.count, replace=False))
        self.real = _centre(tiles[pick], size)
        self._net = None
        self._real_features = None

    @property
    def enabled(self) -> bool:
        return self.problem is None

    def notice(self):
        """The one log line saying why the chart is off (nothing when it is on)."""
        if self.problem is not None:
            yield TrainLog(self.problem)

    def measure(self, step: int, steps: int, sample):
        """Yield Progress events, the :class:`QualityPoint` of ``step`` and its log line.

        ``sample(n) -> uint8 (n, S, S, 3)`` renders the run's fixed latents.
        The Progress events between the parts let the GUI runner slip a
        waiting render or fill in (it runs other jobs between events).
        """
        if not self.enabled:
            return
        from ..core.swd import swd        # scipy: not at the window's start-up

        fraction, began = step / max(steps, 1), time.perf_counter()
        try:
            yield Progress(fraction, f"Measuring quality at step {step}: samples…")
            fake = sample(self.count)
            yield Progress(fraction, f"Measuring quality at step {step}: features…")
            real_features, fake_features = self._features(fake)
            yield Progress(fraction, f"Measuring quality at step {step}: distances…")
            figures = self._distances(real_features, fake_features)
            yield Progress(fraction, f"Measuring quality at step {step}: SWD…")
            figures["SWD"] = float(np.mean(list(swd(self.real, fake, seed=self.seed, per_image=64).values())))
            figures = {key: figures[key] for key in ("FD", "KID", "SWD", "precision", "recall")}
        except Exception as error:     # the chart is a convenience: never end a training run over it
            self.problem = f"Quality chart off: {type(error).__name__}: {str(error)[:160]}"
            yield TrainLog(self.problem)
            return
        seconds = time.perf_counter() - began
        yield QualityPoint(step, figures, seconds)
        yield TrainLog(f"Quality at step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in figures.items())
                       + f" ({self.count} samples vs {self.count} training images, {seconds:.1f} s)")

    def _features(self, fake: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from ..models.features import load_features

        if self._net is None:
            self._net = load_features(device=self.device)
            self._real_features = self._net.extract(self.real)
        return self._real_features, self._net.extract(fake)

    def _distances(self, real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
        from ..core.metrics import Gaussian, frechet_distance, kid, prdc

        close = prdc(real, fake)
        return {"FD": frechet_distance(Gaussian.of(real), Gaussian.of(fake)),
                "KID": kid(real, fake, subsets=20, seed=self.seed)[0],
                "precision": close["precision"], "recall": close["recall"]}


def _centre(tiles: np.ndarray, size: int) -> np.ndarray:
    """The centred ``size`` square of each tile (random-crop runs keep a margin around it)."""
    offset = (tiles.shape[1] - size) // 2
    return np.ascontiguousarray(tiles[:, offset:offset + size, offset:offset + size])
