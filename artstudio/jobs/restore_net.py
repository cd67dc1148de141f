"""Neural restore jobs: fill holes, denoise and upscale with the shipped networks.

* :func:`run_net_fill` cuts the photo into crops around each masked region
  (with context; long scratches in tiles), brings each crop to a scale the
  inpainting network handles (a hole deeper than :data:`MAX_HOLE_DEPTH` is
  downscaled until it is not), fills it, scales the fill back and pastes
  only the masked pixels: everything else stays bit-identical. Memory is
  bounded by one crop, whatever the photo's size.
* :func:`run_denoise` and :func:`run_upscale` run a network (or a classical
  method) tile by tile with overlap and blend the tiles with a smooth window
  (:mod:`artstudio.core.tiling`), so there are no seams and memory stays at
  one band of tiles.

torch is imported only inside the jobs, so the window can import the request
types at start-up.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np

from ..core.imageio import MAX_PIXELS
from ..core.inpaint import Region, blend_into
from ..core.rect import Rect
from ..core.tiling import TileBlender, plan_crops, plan_tiles
from .base import CancelToken, Event, JobError, Preview, Progress, readonly_copy
from .restore import PREVIEW_INTERVAL_S, FillResult

DENOISE_METHODS = {"net": "neural denoiser", "nlmeans": "OpenCV non-local means",
                   "median": "3x3 median", "dip": "Deep Image Prior"}
NOISE_KINDS = ("gaussian", "saltpepper", "auto")
UPSCALE_METHODS = {"net": "neural upscaler", "lanczos": "Lanczos", "dip": "Deep Image Prior"}
UPSCALE_FACTORS = (2, 4)

FILL_MARGIN = 48          # px of context around every hole (and holes nearer than 2x share a crop)
FILL_TILE = 384           # long scratches are cut into pieces this long
FILL_MAX_WORK = 768 * 768 # a crop is downscaled to at most this many pixels for the network
SHAPE_BUCKET = 64         # crops are padded to multiples of this (allocator reuse)
# Holes deeper than this (px from the nearest known pixel) are filled on a
# downscaled crop. The network reaches ~250 px and is meant for up to 96 px
# boxes; on held-out photos (step-400 checkpoint) filling scratches, strokes
# and the 96 px box at full scale scored 0 to 0.6 dB better inside the hole
# than downscaling them to the hole sizes of the 128 px training crops.
MAX_HOLE_DEPTH = 48
DENOISE_TILE, DENOISE_OVERLAP = 512, 64     # receptive field ~140 px, but weights fall fast
NLMEANS_TILE, NLMEANS_OVERLAP = 512, 64     # search window 21 + patch 7: radius 13 < 64 // 4
UPSCALE_TILE, UPSCALE_OVERLAP = 256, 32     # input px; receptive field 13 px
MAX_OUTPUT_PIXELS = MAX_PIXELS   # an upscale the app could not open again is refused
IMPULSE_REST_SIGMA = 10.0  # see classify_noise
NLMEANS_STRENGTH = 0.7    # h = 0.7 x estimated sigma: best of 0.45-1.2 on astronaut and coffee


# -- requests and results ----------------------------------------------------------------------

@dataclass(frozen=True)
class NetFillRequest:
    """Fill the masked holes with the inpainting network.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A); alpha is kept as it is.
    mask : numpy.ndarray
        ``uint8 (H, W)``; 0 = keep, >0 = fill (soft values blend).
    model : str
        A shipped restoration model name or task, or a trained checkpoint
        (``.safetensors`` with its card).
    previews : bool
        Yield intermediate full-frame copies (the CLI turns them off).
    device : str
        ``auto``, ``cuda``, ``mps`` or ``cpu``.
    """

    image: np.ndarray
    mask: np.ndarray
    model: str = "inpaint"
    previews: bool = True
    device: str = "auto"

    @classmethod
    def snapshot(cls, image: np.ndarray, mask: np.ndarray, **options) -> "NetFillRequest":
        return cls(readonly_copy(image), readonly_copy(mask), **options)


@dataclass(frozen=True)
class DenoiseRequest:
    """Remove noise.

    ``method``: a key of :data:`DENOISE_METHODS`. ``noise``: ``gaussian``,
    ``saltpepper`` or ``auto`` (impulse noise is detected by itself).
    ``model``: the denoiser, by name, task or checkpoint path.
    ``dip_iterations``: the Deep Image Prior limit (None: its default).
    """

    image: np.ndarray
    method: str = "net"
    noise: str = "auto"
    model: str = "denoise"
    dip_iterations: int | None = None
    previews: bool = True
    device: str = "auto"

    @classmethod
    def snapshot(cls, image: np.ndarray, **options) -> "DenoiseRequest":
        return cls(readonly_copy(image), **options)


@dataclass(frozen=True)
class UpscaleRequest:
    """Upscale by ``scale`` (2 or 4) with a key of :data:`UPSCALE_METHODS`."""

    image: np.ndarray
    scale: int = 2
    method: str = "net"
    model: str = "sr"
    dip_iterations: int | None = None
    previews: bool = True
    device: str = "auto"

    @classmethod
    def snapshot(cls, image: np.ndarray, **options) -> "UpscaleRequest":
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


@dataclass(frozen=True)
class UpscaleResult:
    image: np.ndarray
    method: str
    scale: int
    seconds: float
    tiles: int


# -- neural fill -------------------------------------------------------------------------------

def run_net_fill(request: NetFillRequest, cancel: CancelToken) -> Generator[Event, None, FillResult]:
    """Fill every hole with the inpainting network; see the module docstring.

    Yields Progress after each crop and a Preview (full frame, with the
    rectangle changed since the previous one) at most every 0.25 s.
    Returns a :class:`~artstudio.jobs.restore.FillResult` with method ``"net"``.
    """
    _check_image(request.image)
    if request.mask.shape != request.image.shape[:2]:
        raise JobError("The mask and the image have different sizes.")
    if not request.mask.any():
        raise JobError("The mask is empty: paint over the damage first.")
    start = time.perf_counter()
    yield Progress(0.0, "Neural fill: loading the network")
    net, device = get_restore_net(request.model, "inpaint", request.device)
    cancel.check()
    labels, regions = plan_crops(request.mask, FILL_MARGIN, FILL_TILE)
    result = np.array(request.image, copy=True)
    total = sum(r.pixels for r in regions)
    done, last_preview, dirty, bounds = 0, time.perf_counter(), None, None
    for index, region in enumerate(regions, start=1):
        cancel.check()
        filled, own, core = _fill_region(net, device, request, labels, region)
        blend_into(result[core.slices][..., :3], filled, own)
        _release_memory()
        done += region.pixels
        dirty, bounds = core.union(dirty), core.union(bounds)
        yield Progress(done / total, f"Neural fill: region {index} of {len(regions)}")
        if request.previews and index < len(regions) and time.perf_counter() - last_preview >= PREVIEW_INTERVAL_S:
            last_preview = time.perf_counter()
            yield Preview(result.copy(), dirty)
            dirty = None
    return FillResult(result, "net", len(regions), time.perf_counter() - start, bounds)


def _fill_region(net, device, request: NetFillRequest, labels: np.ndarray,
                 region: Region) -> tuple[np.ndarray, np.ndarray, Rect]:
    """Fill one region; returns (filled RGB of the core, soft mask of the core to paste, core)."""
    import cv2

    h, w = request.mask.shape
    core = region.core
    mask = request.mask
    hole_core = mask[core.slices] > 0
    own_core = np.where((labels[core.slices] == region.label) & hole_core, mask[core.slices], 0).astype(np.uint8)
    # Context grows with the hole: a 96 px box needs more than a 3 px scratch.
    depth = float(cv2.distanceTransform(hole_core.astype(np.uint8), cv2.DIST_L2, 3).max())
    crop = region.rect.union(core.grown(max(FILL_MARGIN, int(2 * depth)))).clip(w, h)
    factor = min(1.0, MAX_HOLE_DEPTH / max(depth, 1e-6), math.sqrt(FILL_MAX_WORK / (crop.width * crop.height)))
    rgb = np.ascontiguousarray(request.image[crop.slices][..., :3])
    hole = (mask[crop.slices] > 0).astype(np.uint8)     # every hole is unknown, own or not
    size = (max(8, round(crop.width * factor)), max(8, round(crop.height * factor)))
    if size != (crop.width, crop.height):
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        # Any coverage makes a small pixel a hole, so no damage leaks into the context.
        hole = (cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    out = _infer_fill(net, device, rgb, hole)
    if size != (crop.width, crop.height):
        out = cv2.resize(out, (crop.width, crop.height), interpolation=cv2.INTER_CUBIC)
    inner = Rect(core.x0 - crop.x0, core.y0 - crop.y0, core.x1 - crop.x0, core.y1 - crop.y0)
    return out[inner.slices], own_core, core


def _infer_fill(net, device, rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """``uint8 (h, w, 3)`` filled by the network (contract: inpaint_net).

    The crop is padded by reflection to a multiple of :data:`SHAPE_BUCKET`:
    crops then come in a few shapes whose buffers the allocator reuses,
    instead of a new shape per crop that fragments the heap (measured on a
    24 MP scan: peak RSS +1.0 GB without buckets, see the report).
    """
    import torch

    h, w = hole.shape
    pad = ((0, -h % SHAPE_BUCKET), (0, -w % SHAPE_BUCKET))
    if any(p for _, p in pad):
        rgb = np.pad(rgb, pad + ((0, 0),), mode="symmetric")
        hole = np.pad(hole, pad, mode="symmetric")
    with torch.inference_mode():
        image = torch.from_numpy(rgb).to(device).permute(2, 0, 1)[None].float().div_(255.0)
        mask = torch.from_numpy(hole).to(device)[None, None].float()
        out = net(image, mask)[0, :, :h, :w].clamp(0, 1).mul(255.0).round().byte()
    return out.permute(1, 2, 0).cpu().numpy()


# -- denoise ------------------------------------------------------------------------------------

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
    from ..core.noise import detect_impulses, remove_impulses
    from .dip import estimate_noise_sigma

    _check_image(request.image)
    if request.method not in DENOISE_METHODS:
        raise JobError(f"Unknown denoise method '{request.method}'. Choose one of: {', '.join(DENOISE_METHODS)}.")
    if request.noise not in NOISE_KINDS:
        raise JobError(f"Unknown noise kind '{request.noise}'. Choose one of: {', '.join(NOISE_KINDS)}.")
    start = time.perf_counter()
    image = request.image
    yield Progress(0.0, "Denoise: measuring the noise")
    impulses = detect_impulses(image[..., :3])
    noise = request.noise if request.noise != "auto" else classify_noise(image, impulses)
    sigma = estimate_noise_sigma(image) * 255.0
    label = f"Denoise ({DENOISE_METHODS[request.method]}, {noise})"
    cancel.check()
    tiles = 1
    if request.method == "median":
        out = _with_alpha(image, _median3(image[..., :3]))
    elif request.method == "dip":
        out = yield from _dip_denoise(request, impulses if noise == "saltpepper" else None, cancel)
    elif request.method == "nlmeans":
        source = remove_impulses(image[..., :3], impulses) if noise == "saltpepper" else image[..., :3]
        strength = NLMEANS_STRENGTH * estimate_noise_sigma(source) * 255.0
        plan = plan_tiles(source.shape[:2], NLMEANS_TILE, NLMEANS_OVERLAP)
        tiles = len(plan)
        rgb = yield from _tiled(source, plan, lambda px: _nlmeans(px, strength), cancel, label,
                                request.previews)
        out = _with_alpha(image, rgb)
    elif noise == "saltpepper":
        # Detect and fill: each impulse takes the median of its clean
        # neighbours. The inpainting network filling the same pixels scored
        # 2-3 dB lower (36.0-38.1 vs 39.1-40.4 dB, 5 % noise, 4 held-out photos).
        out = remove_impulses(image, impulses)
    else:
        from ..models.denoise_net import MULTIPLE

        net, device = get_restore_net(request.model, "denoise", request.device)
        plan = plan_tiles(image.shape[:2], DENOISE_TILE, DENOISE_OVERLAP, multiple=MULTIPLE)
        tiles = len(plan)
        rgb = yield from _tiled(image[..., :3], plan, lambda px: _infer_image(net, device, px), cancel,
                                label, request.previews)
        out = _with_alpha(image, rgb)
    return DenoiseResult(out, request.method, noise, sigma, float(impulses.mean()),
                         time.perf_counter() - start, tiles)


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
    from ..core.noise import AUTO_FRACTION, detect_impulses, remove_impulses
    from .dip import estimate_noise_sigma

    rgb = image[..., :3]
    impulses = detect_impulses(rgb) if impulses is None else impulses
    if impulses.mean() <= AUTO_FRACTION:
        return "gaussian"
    rest = estimate_noise_sigma(remove_impulses(rgb, impulses)) * 255.0
    return "saltpepper" if rest < IMPULSE_REST_SIGMA else "gaussian"


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


def _median3(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.medianBlur(np.ascontiguousarray(rgb), 3)


# -- upscale ------------------------------------------------------------------------------------

def run_upscale(request: UpscaleRequest, cancel: CancelToken) -> Generator[Event, None, UpscaleResult]:
    """Upscale by 2 or 4. ``net``: the super-resolution network, tiled with
    overlap; ``lanczos``: Pillow's Lanczos; ``dip``: Deep Image Prior. Alpha
    is upscaled with Lanczos."""
    _check_image(request.image)
    if request.method not in UPSCALE_METHODS:
        raise JobError(f"Unknown upscale method '{request.method}'. Choose one of: {', '.join(UPSCALE_METHODS)}.")
    if request.scale not in UPSCALE_FACTORS:
        raise JobError(f"Upscale factor must be 2 or 4, not {request.scale}.")
    out_pixels = request.image.shape[0] * request.image.shape[1] * request.scale ** 2
    if out_pixels > MAX_OUTPUT_PIXELS:
        raise JobError(f"The result would have {out_pixels / 1e6:.0f} megapixels, more than the "
                       f"{MAX_OUTPUT_PIXELS / 1e6:.0f} ArtStudio can open; upscale a crop, or by 2.")
    start = time.perf_counter()
    image, scale = request.image, request.scale
    label = f"Upscale x{scale} ({UPSCALE_METHODS[request.method]})"
    yield Progress(0.0, label)
    tiles = 1
    if request.method == "lanczos":
        out = _lanczos(image, scale)
    elif request.method == "dip":
        from .dip import DipRequest, run_dip

        result = yield from run_dip(DipRequest(image, "sr", scale=scale, iterations=request.dip_iterations,
                                               previews=request.previews, device=request.device), cancel)
        out = result.image
    else:
        net, device = get_restore_net(request.model, "sr", request.device)
        plan = plan_tiles(image.shape[:2], UPSCALE_TILE, UPSCALE_OVERLAP, scale=scale)
        tiles = len(plan)
        rgb = yield from _tiled(image[..., :3], plan, lambda px: _infer_image(net, device, px, scale), cancel,
                                label, request.previews)
        out = rgb if image.shape[2] == 3 else np.dstack([rgb, _lanczos(image[..., 3:], scale)[..., 0]])
    cancel.check()
    return UpscaleResult(out, request.method, scale, time.perf_counter() - start, tiles)


def _lanczos(image: np.ndarray, scale: int) -> np.ndarray:
    from PIL import Image

    h, w = image.shape[:2]
    if image.shape[2] == 1:
        return np.asarray(Image.fromarray(image[..., 0]).resize((w * scale, h * scale), Image.LANCZOS))[..., None]
    return np.asarray(Image.fromarray(image).resize((w * scale, h * scale), Image.LANCZOS)).copy()


# -- shared ------------------------------------------------------------------------------------

def _tiled(rgb: np.ndarray, plan, fn: Callable, cancel: CancelToken, label: str,
           previews: bool) -> Generator[Event, None, np.ndarray]:
    """Run ``fn`` (``uint8 (h, w, 3) -> float (h*s, w*s, 3)`` on 0-255) per tile and blend."""
    out = None
    if previews:    # unfinished rows show the input, not black
        out = rgb.copy() if plan.scale == 1 else _lanczos(rgb, plan.scale) if rgb.size < 4e6 else None
    blender = TileBlender(plan, 3, out)
    last = time.perf_counter()
    dirty: Rect | None = None
    for index, tile in enumerate(plan, start=1):
        cancel.check()
        pixels = np.ascontiguousarray(rgb[tile.rect.slices])
        finished = blender.add(tile, fn(pixels))
        if not finished.empty:
            dirty = finished.union(dirty)
        yield Progress(index / len(plan), f"{label}: tile {index} of {len(plan)}")
        if previews and dirty is not None and index < len(plan) and time.perf_counter() - last >= PREVIEW_INTERVAL_S:
            last = time.perf_counter()
            yield Preview(blender.image.copy(), dirty)
            dirty = None
    return blender.finish()


def _infer_image(net, device, pixels: np.ndarray, scale: int | None = None) -> np.ndarray:
    """One tile through a denoise (``scale`` None) or sr network: ``float32`` 0-255."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(pixels).to(device).permute(2, 0, 1)[None].float().div_(255.0)
        y = net(x) if scale is None else net(x, scale)
        out = y[0].clamp(0, 1).mul(255.0)
    return out.permute(1, 2, 0).cpu().numpy()


def _with_alpha(image: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    if image.shape[2] == 3:
        return rgb
    return np.dstack([rgb, image[..., 3]])


def _release_memory() -> None:
    """Hand freed heap pages back to the system (glibc only).

    Crops of many sizes leave glibc's heap fragmented (its mmap threshold
    rises after the first large free), so without this a 24 MP scan with
    30 scratches crept to +1.0 GB of RSS; with it, +0.4 GB (see the report).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _malloc_trim():
    global _trim
    if _trim is False:
        import ctypes
        import sys

        _trim = None
        if sys.platform.startswith("linux"):
            try:
                _trim = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):   # musl and friends have none
                _trim = None
    return _trim


_trim = False


def _check_image(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 8:
        raise JobError("The image must be RGB(A), 8 bits per channel, at least 8x8 pixels.")


# -- networks ----------------------------------------------------------------------------------

_nets: dict[tuple, object] = {}
_nets_lock = threading.Lock()


def get_restore_net(model: str, task: str, device: str = "auto"):
    """The loaded network ``model`` for ``task``, loaded once per process.

    Raises :class:`JobError` with one line when the weights are missing,
    damaged or for another task.
    """
    from ..models.device import choose_device
    from ..models.registry import ModelError
    from ..models.restore_models import load_restore_net, resolve_restore_model

    try:
        target = choose_device(device)
        spec = resolve_restore_model(model)
    except (ValueError, ModelError) as error:
        raise JobError(str(error)) from None
    if spec.task != task:
        raise JobError(f"Model '{spec.name}' is a {_TASK_NAMES[spec.task]} network; "
                       f"this needs a {_TASK_NAMES[task]} network.")
    key = (str(spec.weights), spec.sha256, str(target))
    with _nets_lock:
        if key in _nets:
            return _nets[key], target
    if not spec.weights.is_file():
        raise JobError(f"The {_TASK_NAMES[task]} network is not installed ('{spec.weights.name}' is missing); "
                       f"{_ALTERNATIVES[task]}")
    try:
        net = load_restore_net(spec, target)
    except ModelError as error:
        raise JobError(str(error)) from None
    with _nets_lock:
        _nets[key] = net
    return net, target


_TASK_NAMES = {"inpaint": "inpainting", "denoise": "denoising", "sr": "super-resolution"}
_ALTERNATIVES = {"inpaint": "use the telea, ns, biharmonic or dip method instead.",
                 "denoise": "use the nlmeans, median or dip method instead.",
                 "sr": "use the lanczos or dip method instead."}


def clear_restore_nets() -> None:
    """Forget loaded networks (tests; freeing memory)."""
    with _nets_lock:
        _nets.clear()
