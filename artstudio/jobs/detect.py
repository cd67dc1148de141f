"""The damage finder: a mask of dust and scratches, from the network and the classical detector.

``run_detect(request, cancel)`` is a job (see :mod:`.base`). The network
(:mod:`artstudio.models.detect_net`, the shipped ``detect`` or a trained
one) runs over the photo in overlapping tiles (its contract's tile and
overlap; memory stays at one band of tiles, so any size works), on the GPU
when there is one. Its probability map is then combined with the classical
detector (:mod:`artstudio.core.detect`):

- ``combined`` (the default): the pixels the network is sure of, plus those
  it is less sure of where the classical detector sees a mark too (the
  classical detector confirms faint marks; the network's vote keeps the
  classical one off real detail); each mark must also hold one pixel the
  network is very sure of (hysteresis); then the shape and density tests
  of :func:`artstudio.core.detect.classify`.
- ``net``: the network alone (same tests); ``classical``: the classical
  detector alone (its own thresholds, shape and density tests).

The thresholds were tuned on 16 *training* photos with the benchmark's
damage (never on the held-out ones): raising them from 0.5 to 0.92 (grow)
and 0.977 (seed), keeping the density test and asking 0.78 where the
classical detector confirms a mark cut false alarms there from 0.16 % to
0.06 % of pixels and lifted dust F1 from 0.64 to 0.79 (network run 2).

``sensitivity`` (0..1) moves both detectors' thresholds together; above the
default a mark found at the settings in between is never lost, below it none
is added (:func:`combine`). Any grey,
RGB or RGBA photo of 8 or 16 bits works; a photo too small to hold damage
gives an empty mask. torch is imported only when the network runs.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from ..core import detect as classical
from .base import CancelToken, Event, JobError, Progress, readonly_copy

METHODS = ("combined", "net", "classical")
DEFAULT_SENSITIVITY = 0.5
SENSITIVITY_STEP = 0.1    # the ladder combine() climbs from the default to the sensitivity asked for
NET_SURE = 0.92         # network probability a pixel needs on its own, at sensitivity 0.5
NET_DOUBT = 0.023       # 1 - the probability one pixel of every mark needs, at sensitivity 0.5
UNSURE = 0.85           # x NET_SURE: what a pixel needs where the classical detector sees a mark too
MIN_SIDE = 8            # px: below this nothing is looked for (the network's smallest input)
FILL_GROW = 1           # px: a found mark's soft rim, added to the mask before it is filled


@dataclass(frozen=True)
class DetectRequest:
    """What to look at.

    Attributes
    ----------
    image : numpy.ndarray
        ``(H, W)``, ``(H, W, 1|3|4)``, ``uint8`` or ``uint16`` (a read-only copy).
    sensitivity : float
        0..1; 0.5 is the default.
    method : str
        One of :data:`METHODS`.
    model : str
        The network: ``detect`` (shipped), a name in the models folder, or a
        ``.safetensors`` path.
    device : str
        ``auto``, ``cuda``, ``mps`` or ``cpu``.
    """

    image: np.ndarray
    sensitivity: float = 0.5
    method: str = "combined"
    model: str = "detect"
    device: str = "auto"

    @classmethod
    def snapshot(cls, image: np.ndarray, **options) -> "DetectRequest":
        return cls(readonly_copy(image), **options)


@dataclass(frozen=True)
class DetectResult:
    """The proposed mask and what it holds.

    Attributes
    ----------
    mask : numpy.ndarray
        ``uint8 (H, W)``: 255 on the damage.
    specks, scratches : int
    seconds : float
    method : str
    """

    mask: np.ndarray
    specks: int
    scratches: int
    seconds: float
    method: str

    @property
    def summary(self) -> str:
        """``"312 specks, 14 scratches"``."""
        return classical.Damage(self.mask, self.specks, self.scratches).summary()


def run_detect(request: DetectRequest, cancel: CancelToken) -> Generator[Event, None, DetectResult]:
    """Find dust and scratches; see the module docstring."""
    start = time.perf_counter()
    if request.method not in METHODS:
        raise JobError(f"Unknown detection method '{request.method}'. Choose one of: {', '.join(METHODS)}.")
    rgb = _rgb(request.image)
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:
        return DetectResult(np.zeros((h, w), np.uint8), 0, 0, time.perf_counter() - start, request.method)
    yield Progress(0.0, "Finding dust and scratches…")
    vote = None
    if request.method != "classical":
        vote = yield from net_probability(rgb, request.model, request.device, cancel)
    cancel.check()
    yield Progress(0.95, "Finding dust and scratches: checking shapes")
    damage = combine(rgb, vote, request.sensitivity, request.method)
    return DetectResult(damage.mask, damage.specks, damage.scratches, time.perf_counter() - start,
                        request.method)


def combine(rgb: np.ndarray, vote: np.ndarray | None, sensitivity: float, method: str) -> classical.Damage:
    """The final mask from the network's ``vote`` (``uint8`` 0..255 or None) and the classical marks.

    Moving the sensitivity away from the default never loses a mark the
    settings in between keep (above it) and never adds one they drop
    (below it): the result is the union (or the intersection) of the masks
    at every :data:`SENSITIVITY_STEP` from :data:`DEFAULT_SENSITIVITY` to
    ``sensitivity``. Without it, a higher sensitivity made more faint
    candidates, whose crowd then failed the density test, real specks with it.
    """
    s = float(np.clip(sensitivity, 0.0, 1.0))
    filtered = classical.responses(rgb)
    found = [_combine_at(rgb, vote, level, method, filtered) for level in _ladder(s)]
    if len(found) == 1:
        return found[0]
    masks = [damage.mask for damage in found]
    return classical.counted(np.maximum.reduce(masks) if s > DEFAULT_SENSITIVITY else np.minimum.reduce(masks))


def _ladder(s: float) -> list[float]:
    """The default sensitivity, then every :data:`SENSITIVITY_STEP` towards ``s``, then ``s``."""
    if abs(s - DEFAULT_SENSITIVITY) < 1e-9:
        return [s]
    step = SENSITIVITY_STEP if s > DEFAULT_SENSITIVITY else -SENSITIVITY_STEP
    count = int(np.floor(abs(s - DEFAULT_SENSITIVITY) / SENSITIVITY_STEP + 1e-9))
    levels = [DEFAULT_SENSITIVITY + k * step for k in range(count + 1)]
    return levels if abs(levels[-1] - s) < 1e-9 else levels + [s]


def _combine_at(rgb, vote, sensitivity: float, method: str, filtered: list) -> classical.Damage:
    """:func:`combine` at one sensitivity."""
    if method == "classical" or vote is None:
        limits = classical.thresholds(sensitivity)
        return classical.classify(classical.candidates(rgb, sensitivity, filtered), None, limits.vote_min)
    sure, seed = net_threshold(sensitivity), net_seed(sensitivity)
    marks = vote >= np.uint8(round(255 * sure))
    if method == "combined":
        # Where the network is unsure (below its threshold), a mark the classical
        # detector also sees is damage; its vote keeps the classical one off real detail.
        import cv2

        seen = cv2.dilate(classical.candidates(rgb, sensitivity, filtered), np.ones((3, 3), np.uint8)) > 0
        marks |= seen & (vote >= np.uint8(round(255 * sure * UNSURE)))
    # The density test stays on: the network alone marks star fields and sparkling water too.
    return classical.classify(marks.astype(np.uint8) * np.uint8(255), vote, seed)


def fill_mask(mask: np.ndarray) -> np.ndarray:
    """``mask`` grown by :data:`FILL_GROW` px: what a fill should cover, soft rim of each mark included."""
    from ..core.mask import grow

    return grow(mask, FILL_GROW)


def net_threshold(sensitivity: float) -> float:
    """The probability the network alone needs, lower at a higher sensitivity."""
    s = float(np.clip(sensitivity, 0.0, 1.0))
    return float(np.clip(NET_SURE * 2.0 ** (1.0 - 2.0 * s), 0.1, 0.95))


def net_seed(sensitivity: float) -> float:
    """The probability at least one pixel of every mark needs (hysteresis), lower at a higher sensitivity."""
    s = float(np.clip(sensitivity, 0.0, 1.0))
    return float(np.clip(1.0 - NET_DOUBT * 2.0 ** (2.0 * s - 1.0), 0.5, 0.99))


def net_probability(rgb: np.ndarray, model: str, device: str, cancel: CancelToken):
    """``uint8 (H, W)`` probability of damage x 255, tile by tile (a generator: Progress per tile)."""
    import torch

    from ..core.tiling import TileBlender, plan_tiles

    net, target = load_detector(model, device)
    contract = net.spec.contract
    plan = plan_tiles(rgb.shape[:2], contract.tile or max(rgb.shape), contract.overlap, multiple=contract.multiple)
    blender = TileBlender(plan, 1)
    for index, tile in enumerate(plan, start=1):
        cancel.check()
        pixels = np.array(rgb[tile.rect.slices])       # a writable copy: torch refuses read-only memory
        with torch.inference_mode():
            x = torch.from_numpy(pixels).to(target).permute(2, 0, 1)[None].float().div_(255.0)
            x = x.contiguous(memory_format=torch.channels_last)
            p = net(x)[0, 0].mul_(255.0).cpu().numpy()
        blender.add(tile, p[..., None])
        yield Progress(0.9 * index / len(plan), f"Finding dust and scratches: tile {index} of {len(plan)}")
    return blender.finish()[..., 0]


def load_detector(model: str, device: str = "auto"):
    """``(network, torch.device)`` for ``model``, loaded once per process; JobError (one line) otherwise."""
    from ..models.device import choose_device
    from ..models.loading import get_model
    from ..models.registry import ModelError, resolve

    try:
        target = choose_device(device)
        spec = resolve(model, kind="detect")
        if spec.weights is None or not spec.weights.is_file():
            raise JobError(f"The damage-finder network is not installed ('{spec.weights.name}' is missing); "
                           "use the classical detector instead.")
        return get_model(spec, target), target
    except (ValueError, ModelError) as error:
        raise JobError(str(error)) from None


def _rgb(image) -> np.ndarray:
    """``uint8 (H, W, 3)`` from any grey/RGB/RGBA 8/16-bit array; JobError (one line) otherwise."""
    if not isinstance(image, np.ndarray):
        raise JobError("There is no photo to look at.")
    try:
        classical.luma(image[:1, :1] if image.ndim >= 2 else image)     # the checks, on one pixel
    except ValueError as error:
        raise JobError(str(error)) from None
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[2] == 1:
        return np.ascontiguousarray(np.repeat(image, 3, axis=2))
    return np.ascontiguousarray(image[..., :3])
