"""Denoise a whole photo: the neural denoiser, non-local means, a median, or Deep Image Prior.

Gaussian noise goes through the chosen method, tiled with overlap
(:mod:`.tiled`). Salt-and-pepper noise is detected (``noise="auto"``) and
each impulse value replaced by the median of its clean neighbours
(:mod:`artstudio.core.noise`); every other value stays as it is. torch is
imported only inside the job.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from ..core.noise import AUTO_FRACTION, detect_impulses, estimate_noise_sigma, remove_impulses
from ..core.tiling import plan_tiles
from .base import CancelToken, Event, JobError, Progress, readonly_copy
from .nets import get_restore_net
from .operations import operation
from .restore import check_image
from .tiled import infer_image, run_tiled, with_alpha

# What --noise accepts and the panel offers, in the panel's order (the default first).
NOISE_KINDS = {"auto": "Detect", "gaussian": "Grain (gaussian)", "saltpepper": "Specks (salt & pepper)"}
NLMEANS_TILE, NLMEANS_OVERLAP = 512, 64     # search window 21 + patch 7: radius 13 < 64 // 4
IMPULSE_REST_SIGMA = 10.0  # see classify_noise
NLMEANS_STRENGTH = 0.7    # h = 0.7 x estimated sigma: best of 0.45-1.2 on astronaut and coffee


@dataclass(frozen=True)
class DenoiseRequest:
    """Remove noise.

    ``method``: a denoise operation's key (:mod:`.operations`). ``noise``:
    a key of :data:`NOISE_KINDS` (impulse noise is detected by itself).
    ``model``: the denoiser, by name, task or checkpoint path.
    ``dip_iterations``: the Deep Image Prior limit (None: its default).
    ``strength``: how much of the change to keep, 0-1 (1: all of it; 0.5:
    each value halfway between the photo and the denoised one).
    """

    image: np.ndarray
    method: str = "net"
    noise: str = "auto"
    model: str = "denoise"
    dip_iterations: int | None = None
    previews: bool = True
    device: str = "auto"
    strength: float = 1.0

    @classmethod
    def snapshot(cls, image: np.ndarray, **options) -> "DenoiseRequest":
        return cls(readonly_copy(image), **options)


@dataclass(frozen=True)
class DenoiseResult:
    """``noise`` is the kind treated (``auto`` resolved); ``sigma`` the
    estimated gaussian noise on the 0-255 scale; ``impulses`` the fraction of
    colour values detected as impulses."""

    image: np.ndarray
    method: str
    noise: str
    sigma: float
    impulses: float
    seconds: float
    tiles: int
    strength: float = 1.0


def run_denoise(request: DenoiseRequest, cancel: CancelToken) -> Generator[Event, None, DenoiseResult]:
    """Denoise the photo; see :class:`DenoiseRequest` for the options.

    * ``net``: gaussian noise through the blind denoiser, tiled. Salt and
      pepper is detected and each impulse value replaced by the median of
      its clean neighbours (core.noise); all other values stay as they are.
    * ``nlmeans``: OpenCV's fastNlMeansDenoisingColored, strength from the
      estimated sigma, tiled (impulses are first removed as above).
    * ``median``: a plain 3x3 median (the classical baseline).
    * ``dip``: Deep Image Prior (impulses: only they are unknown and replaced).

    Alpha is kept.
    """
    check_image(request.image)
    described = operation("denoise", request.method).description
    if request.noise not in NOISE_KINDS:
        raise JobError(f"Unknown noise kind '{request.noise}'. Choose one of: {', '.join(NOISE_KINDS)}.")
    if not 0.0 <= request.strength <= 1.0:
        raise JobError(f"Denoise strength must be between 0 and 100 %; got {request.strength * 100:g} %.")
    start = time.perf_counter()
    image = request.image
    yield Progress(0.0, "Denoise: measuring the noise")
    impulses = detect_impulses(image[..., :3])
    noise = request.noise if request.noise != "auto" else classify_noise(image, impulses)
    sigma = estimate_noise_sigma(image) * 255.0
    label = f"Denoise ({described}, {noise})"
    cancel.check()
    if request.method == "median":
        out, tiles = with_alpha(image, _median3(image[..., :3])), 1
    elif request.method == "dip":
        out, tiles = (yield from _dip_denoise(request, impulses if noise == "saltpepper" else None, cancel)), 1
    elif request.method == "nlmeans":
        source = remove_impulses(image[..., :3], impulses) if noise == "saltpepper" else image[..., :3]
        out, tiles = yield from _nlmeans_denoise(image, source, cancel, label, request.previews)
    elif noise == "saltpepper":
        # Detect and fill: each impulse takes the median of its clean
        # neighbours. The inpainting network filling the same pixels scored
        # 2-3 dB lower (36.0-38.1 vs 39.1-40.4 dB, 5 % noise, 4 held-out photos).
        out, tiles = remove_impulses(image, impulses), 1
    else:
        out, tiles = yield from _net_denoise(request, cancel, label)
    if request.strength < 1.0:
        out = _blend(image, out, request.strength)
    return DenoiseResult(out, request.method, noise, sigma, float(impulses.mean()),
                         time.perf_counter() - start, tiles, request.strength)


def classify_noise(image: np.ndarray, impulses: np.ndarray | None = None) -> str:
    """``"saltpepper"`` or ``"gaussian"``: what ``--noise auto`` treats.

    Extreme values far from their neighbours are not enough: strong gaussian
    noise clipped at 0 and 255 makes them too (sigma 50 flags 3-6 % of the
    values, as many as 5 % salt and pepper). Impulse noise leaves the other
    pixels clean, gaussian noise does not; so it is salt and pepper only if
    impulses are frequent *and* the photo is clean once they are removed
    (residual sigma below :data:`IMPULSE_REST_SIGMA`; measured on six photos:
    S&P 1-20 % leaves 0-8, gaussian sigma 25-50 leaves 21-44).
    """
    rgb = image[..., :3]
    impulses = detect_impulses(rgb) if impulses is None else impulses
    if impulses.mean() <= AUTO_FRACTION:
        return "gaussian"
    rest = estimate_noise_sigma(remove_impulses(rgb, impulses)) * 255.0
    return "saltpepper" if rest < IMPULSE_REST_SIGMA else "gaussian"


def _net_denoise(request: DenoiseRequest, cancel: CancelToken, label: str):
    image = request.image
    net, device = get_restore_net(request.model, "denoise", request.device)
    c = net.spec.contract                 # tiles and padding grid: the architecture's, as data
    plan = plan_tiles(image.shape[:2], c.tile, c.overlap, multiple=c.multiple)
    rgb = yield from run_tiled(image[..., :3], plan, lambda px: infer_image(net, device, px), cancel,
                               label, request.previews)
    return with_alpha(image, rgb), len(plan)


def _nlmeans_denoise(image: np.ndarray, source: np.ndarray, cancel: CancelToken, label: str, previews: bool):
    strength = NLMEANS_STRENGTH * estimate_noise_sigma(source) * 255.0
    plan = plan_tiles(source.shape[:2], NLMEANS_TILE, NLMEANS_OVERLAP)
    rgb = yield from run_tiled(source, plan, lambda px: _nlmeans(px, strength), cancel, label, previews)
    return with_alpha(image, rgb), len(plan)


def _dip_denoise(request: DenoiseRequest, impulses: np.ndarray | None, cancel: CancelToken):
    from .dip import DipRequest, run_dip

    mask = None if impulses is None else impulses.any(axis=-1).astype(np.uint8) * np.uint8(255)
    result = yield from run_dip(DipRequest(request.image, "denoise", mask=mask, iterations=request.dip_iterations,
                                           previews=request.previews, device=request.device), cancel)
    if impulses is None:
        return result.image
    out = np.array(request.image, copy=True)      # only the flagged channel values change
    out[..., :3] = np.where(impulses, result.image[..., :3], request.image[..., :3])
    return out


def _nlmeans(pixels: np.ndarray, strength: float) -> np.ndarray:
    import cv2

    if strength <= 0.5:             # nothing to remove; h = 0 would still smear
        return pixels.astype(np.float32)
    bgr = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2BGR)
    out = cv2.fastNlMeansDenoisingColored(bgr, None, strength, strength, 7, 21)
    return cv2.cvtColor(out, cv2.COLOR_BGR2RGB).astype(np.float32)


def _blend(image: np.ndarray, denoised: np.ndarray, strength: float) -> np.ndarray:
    """``strength`` of the way from ``image`` to ``denoised``, rounded (alpha is the photo's)."""
    rgb = image[..., :3].astype(np.float32)
    mixed = rgb + np.float32(strength) * (denoised[..., :3].astype(np.float32) - rgb)
    return with_alpha(image, np.clip(np.rint(mixed), 0, 255).astype(np.uint8))


def describe(result: DenoiseResult) -> str:
    """What the denoiser found and did, in one line, e.g. for the status bar."""
    if result.noise == "saltpepper":
        found = f"salt-and-pepper noise ({result.impulses * 100:.2g} % of the values are impulses)"
    else:
        found = f"gaussian noise of about {result.sigma:.1f} / 255"
        if result.sigma < 1.0:
            found += " (the photo looks clean: little to remove)"
    how = operation("denoise", result.method).description
    amount = "" if result.strength >= 1.0 else f" at {result.strength * 100:.0f} % strength"
    return f"Found {found}; the {how} treated it{amount} in {result.seconds:.1f} s."


def _median3(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.medianBlur(np.ascontiguousarray(rgb), 3)
