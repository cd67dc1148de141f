"""Content-aware fill job: texture synthesis for holes wider than a stroke, and Auto.

Each hole (holes closer than :data:`MERGE` px are one) is filled on its own
crop: the hole, the sampling area around it (by default a band whose width
grows with the hole's depth, :func:`artstudio.core.texture.sampling_band`;
or what the user painted as "sample from here"), minus what the user painted
as "never sample from here". The synthesis itself is
:func:`artstudio.core.texture.synthesize`; it runs on a worker thread so the
job can report progress and honour Cancel between its passes (each a
fraction of a second).

**Variations**: ``variations`` seeded fills (``seed``, ``seed + 1``...); the
first is the result's image, all of them are in :attr:`TextureResult.variants`
as crops of :attr:`bounds`. Each is guided by one of two structure priors
(:data:`GUIDES`): the inpainting network's fill or the smooth Telea fill.
With ``guide="auto"`` they alternate, the network first, because two seeds
of one guide differ in texture but lay out the same structure, and when
that structure is wrong (a dark pool where a person-sized object stood)
every variation repeats it. Measured on four photo sets (docs/BENCHMARKS.md),
the better of a network-guided and a smooth-guided fill is closer to the
truth than the better of two network-guided seeds. Each variation is
reproducible from its seed and guide (:attr:`TextureResult.guides`).

**Auto** (:func:`run_auto_fill`): thin holes (scratches, dust, strokes no
deeper than :data:`THIN_DEPTH` px) go to the neural fill, which is best on
them; the rest to the texture fill, on the neural fill's result.

RGBA: colour is synthesised, alpha inside the hole is the smooth prior's.
Soft mask values blend; where the mask is 0 pixels are bit-identical.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.inpaint import blend_into
from ..core.rect import Rect
from ..core.texture import TextureError, TextureSettings, sampling_band, structure_prior, synthesize
from .base import CancelToken, Cancelled, Event, JobError, Preview, Progress, readonly_copy
from .restore import PREVIEW_INTERVAL_S, FillResult, check_fill_mask

MERGE = 16            # px: holes nearer than this share one crop (and one synthesis)
# px: a hole no deeper than this (a brush stroke up to ~24 px wide, as the
# damage generator draws them) is thin: Auto gives it to the network. At 6
# px Auto sent most free-form strokes to the texture fill: 22.88 dB in the
# hole on 26 textured photos against the network's 24.39 (now 24.09).
THIN_DEPTH = 12.0
MAX_VARIATIONS = 8
POLL_S = 0.1
GUIDES = ("network", "smooth")      # what "auto" alternates between, in this order
GUIDE_CHOICES = ("auto",) + GUIDES


@dataclass(frozen=True)
class TextureRequest:
    """What to fill and where texture may come from; arrays are read-only copies.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)``.
    mask : numpy.ndarray
        ``uint8 (H, W)``, >0 = fill.
    sample_from : numpy.ndarray or None
        ``uint8 (H, W)``: where texture may be copied from (>0); None for
        the default band around each hole.
    sample_never : numpy.ndarray or None
        ``uint8 (H, W)``: where texture must never be copied from (>0).
    seed : int
        The first variation's seed.
    variations : int
        How many fills to make (1..:data:`MAX_VARIATIONS`).
    previews : bool
        Yield a preview after each hole.
    model : str or None
        The inpainting network whose fill is the structure prior (shipped
        name, task or checkpoint); None, or a network that cannot be loaded,
        for OpenCV Telea's (:func:`artstudio.core.texture.structure_prior`).
    device : str
        Where the network runs.
    guide : str
        ``network`` (the network's fill guides every variation), ``smooth``
        (Telea's does) or ``auto`` (they alternate, the network first).
    """

    image: np.ndarray
    mask: np.ndarray
    sample_from: np.ndarray | None = None
    sample_never: np.ndarray | None = None
    seed: int = 0
    variations: int = 1
    previews: bool = True
    settings: TextureSettings = field(default_factory=TextureSettings)
    model: str | None = "inpaint"
    device: str = "auto"
    guide: str = "auto"

    @classmethod
    def snapshot(cls, image, mask, sample_from=None, sample_never=None, **options) -> "TextureRequest":
        def copy(a):
            return None if a is None else readonly_copy(a)

        return cls(copy(image), copy(mask), copy(sample_from), copy(sample_never), **options)


@dataclass(frozen=True)
class TextureResult(FillResult):
    """A :class:`FillResult` whose image is the first variation.

    Attributes
    ----------
    seeds : tuple of int
        The seed of each variation, in order.
    variants : tuple of numpy.ndarray
        Each variation's pixels inside ``bounds`` (the first is in ``image``
        too); paste one with :meth:`apply`.
    guides : tuple of str
        What guided each variation (:data:`GUIDES`): ``smooth`` wherever
        no network could be loaded.
    """

    seeds: tuple[int, ...] = ()
    variants: tuple[np.ndarray, ...] = ()
    guides: tuple[str, ...] = ()

    def apply(self, base: np.ndarray, index: int) -> np.ndarray:
        """``base`` (the input image) with variation ``index`` pasted in."""
        out = np.array(base, copy=True)
        if self.bounds is not None:
            out[self.bounds.slices] = self.variants[index]
        return out


@dataclass(frozen=True)
class _Hole:
    crop: Rect
    hole: np.ndarray       # bool, crop-sized: this hole's pixels
    weight: np.ndarray     # uint8, crop-sized: the mask's values there (soft edges blend)
    source: np.ndarray     # bool, crop-sized


def plan(request: TextureRequest) -> list[_Hole]:
    """The holes to fill, largest first, each with its crop and sampling area.

    Raises
    ------
    JobError
        One line: nothing to fill, a sampling mask that leaves nothing to copy.
    """
    import cv2

    mask = request.mask
    h, w = mask.shape
    allowed = mask == 0
    if request.sample_never is not None:
        allowed &= request.sample_never == 0
    if request.sample_from is not None and not (allowed & (request.sample_from > 0)).any():
        raise JobError("The 'sample from' area has no pixels outside the hole: paint it where the texture is.")
    if not allowed.any():
        raise JobError("Nothing is left to copy texture from: the hole and 'never sample' cover the whole photo.")
    # Labelling runs on the holes' bounding box only: on a 24 MP scan the full-frame dilation and
    # connected components cost about a second, however small the holes.
    x, y, bw, bh = cv2.boundingRect(np.ascontiguousarray(mask, np.uint8))   # of the non-zero pixels
    window = Rect(x, y, x + bw, y + bh).grown(MERGE).clip(w, h)
    holes = (mask[window.slices] > 0).astype(np.uint8)
    merged = cv2.dilate(holes, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (MERGE | 1,) * 2))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    plans = []
    for label in range(1, count):
        x, y, bw, bh = stats[label, :4]
        box = Rect(int(x) + window.x0, int(y) + window.y0, int(x + bw) + window.x0, int(y + bh) + window.y0)
        own_full = _own(labels, holes, label, window, box)
        band = sampling_band(own_full)
        crop = box.grown(band).clip(w, h)
        if request.sample_from is not None:
            crop = _with_sample_area(crop, request.sample_from > 0, box, band, w, h)
        own = _own(labels, holes, label, window, crop)
        if request.sample_from is not None:
            source = (request.sample_from[crop.slices] > 0) & allowed[crop.slices]
        else:
            distance = cv2.distanceTransform((~own).astype(np.uint8), cv2.DIST_L2, 3)
            source = (distance <= band) & allowed[crop.slices]
        plans.append(_Hole(crop, own, np.where(own, mask[crop.slices], 0).astype(np.uint8), source))
    plans.sort(key=lambda p: -int(np.count_nonzero(p.hole)))
    return plans


def _own(labels: np.ndarray, holes: np.ndarray, label: int, window: Rect, rect: Rect) -> np.ndarray:
    """bool, ``rect``-sized: the pixels of hole ``label`` (labels are of ``window``; none outside it)."""
    out = np.zeros((rect.height, rect.width), bool)
    inner = rect.intersect(window)
    if not inner.empty:
        local = Rect(inner.x0 - window.x0, inner.y0 - window.y0, inner.x1 - window.x0, inner.y1 - window.y0)
        out[inner.y0 - rect.y0:inner.y1 - rect.y0, inner.x0 - rect.x0:inner.x1 - rect.x0] = \
            (labels[local.slices] == label) & (holes[local.slices] > 0)
    return out


def _with_sample_area(crop: Rect, sample: np.ndarray, box: Rect, band: int, w: int, h: int) -> Rect:
    """``crop`` grown to hold the painted sampling area near the hole (within 4 bands of it)."""
    reach = box.grown(4 * band).clip(w, h)
    ys, xs = np.nonzero(sample[reach.slices])
    if ys.size == 0:
        return crop
    return crop.union(Rect(int(xs.min()) + reach.x0, int(ys.min()) + reach.y0,
                           int(xs.max()) + 1 + reach.x0, int(ys.max()) + 1 + reach.y0))


def run_texture_fill(request: TextureRequest, cancel: CancelToken) -> Generator[Event, None, TextureResult]:
    """Fill every hole with copied texture, ``variations`` times; see the module docstring."""
    check_fill_mask(request.image, request.mask, "paint over what should go first")
    for extra, name in ((request.sample_from, "'sample from'"), (request.sample_never, "'never sample'")):
        if extra is not None and extra.shape != request.mask.shape:
            raise JobError(f"The {name} mask and the image have different sizes.")
    count = int(request.variations)
    if not 1 <= count <= MAX_VARIATIONS:
        raise JobError(f"Variations must be between 1 and {MAX_VARIATIONS}; got {request.variations}.")
    if request.guide not in GUIDE_CHOICES:
        raise JobError(f"The guide must be auto, network or smooth; got {request.guide!r}.")
    start = time.perf_counter()
    yield Progress(0.0, "Content-aware fill: finding the holes")
    holes = plan(request)
    bounds = None
    for item in holes:
        bounds = item.crop.union(bounds)
    seeds = tuple(int(request.seed) + k for k in range(count))
    results = []          # the first variation whole, the others as crops of ``bounds``
    prior_of, has_network = _prior_maker(request)
    guides = tuple(GUIDES[k % 2] if request.guide == "auto" else request.guide for k in range(count)) \
        if has_network else ("smooth",) * count
    priors = {}
    total = len(holes) * count
    last_preview = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        for v, seed in enumerate(seeds):
            image = np.array(request.image, copy=True)
            for index, item in enumerate(holes):
                step = v * len(holes) + index
                label = f"Content-aware fill: variation {v + 1} of {count}" if count > 1 else \
                    f"Content-aware fill: hole {index + 1} of {len(holes)}"
                pixels = np.ascontiguousarray(request.image[item.crop.slices])
                key = (index, guides[v])
                if key not in priors:
                    priors[key] = prior_of(pixels, item.hole, guides[v])
                    cancel.check()
                filled = yield from _synthesize_polling(pool, pixels, item, priors[key], seed,
                                                        request.settings, cancel, step, total, label)
                blend_into(image[item.crop.slices], filled, item.weight)
                if request.previews and v == 0 and time.perf_counter() - last_preview >= PREVIEW_INTERVAL_S \
                        and step + 1 < total:
                    last_preview = time.perf_counter()
                    yield Preview(image.copy(), item.crop)
            results.append(image if v == 0 else image[bounds.slices].copy())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    variants = (results[0][bounds.slices].copy(),) + tuple(results[1:])
    return TextureResult(results[0], "texture", len(holes), time.perf_counter() - start, bounds,
                         seeds=seeds, variants=variants, guides=guides)


def _prior_maker(request: TextureRequest):
    """``(prior(pixels, hole, guide), has_network)`` for the crops: the inpainting network's
    fill (guide ``network``, when one loads), or Telea's.

    Measured (docs/BENCHMARKS.md): guided by the network's fill the synthesis
    is 1.6 dB closer to the truth in low-passed PSNR on photos never used
    to tune it than guided by Telea's.
    """
    network = None
    if request.model is not None and request.guide != "smooth":
        from .nets import get_restore_net

        try:
            network = get_restore_net(request.model, "inpaint", request.device)
        except JobError:
            if request.model != "inpaint":
                raise               # a network the user named: say what is wrong with it
            network = None          # the shipped one not installed or damaged: the classical prior still works

    def prior(pixels: np.ndarray, hole: np.ndarray, guide: str) -> np.ndarray:
        return _prior(pixels, hole, network if guide == "network" else None)

    return prior, network is not None


def _prior(pixels: np.ndarray, hole: np.ndarray, network=None) -> np.ndarray:
    """The smooth structure prior of a crop (alpha too, for RGBA): the network's fill when
    ``network`` is ``(net, device)``, Telea's otherwise."""
    rgb = np.ascontiguousarray(pixels[..., :3])
    if network is not None:
        from .fill_net import fill_at_network_scale

        filled = fill_at_network_scale(*network, rgb, hole)
        prior = np.where(hole[..., None], filled, rgb)
    else:
        prior = structure_prior(rgb, hole)
    if pixels.shape[2] == 4:
        alpha = structure_prior(np.repeat(pixels[..., 3:], 3, axis=2), hole)[..., :1]
        prior = np.concatenate([prior, alpha], axis=2)
    return prior


def _synthesize_polling(pool, pixels, item: _Hole, prior, seed, settings, cancel: CancelToken,
                        step: int, total: int, label: str):
    """Run one synthesis on ``pool``; yield its progress; Cancel stops it at its next pass."""
    state = {"fraction": 0.0}
    stop = threading.Event()

    def check(fraction: float) -> None:
        state["fraction"] = fraction
        if stop.is_set():
            raise Cancelled()

    def work():
        rgb = synthesize(np.ascontiguousarray(pixels[..., :3]), item.hole, item.source, prior[..., :3],
                         seed=seed, settings=settings, check=check)
        if pixels.shape[2] == 4:
            rgb = np.concatenate([rgb, np.where(item.hole[..., None], prior[..., 3:], pixels[..., 3:])], axis=2)
        return rgb

    future = pool.submit(work)
    try:
        while True:
            try:
                return future.result(timeout=POLL_S)
            except TimeoutError:
                cancel.check()
                yield Progress((step + state["fraction"]) / total, label)
    except TextureError as error:
        raise JobError(str(error)) from None
    finally:
        stop.set()
        if not future.done():
            future.exception()         # wait for the worker to see the stop


def run_auto_fill(request: TextureRequest, cancel: CancelToken, model: str = "inpaint",
                  device: str = "auto") -> Generator[Event, None, FillResult]:
    """Thin holes to the neural fill, the rest to the texture fill (on the neural result)."""
    from .fill_net import NetFillRequest, run_net_fill

    check_fill_mask(request.image, request.mask)
    start = time.perf_counter()
    thin, deep = split_thin(request.mask)
    image, bounds, regions = request.image, None, 0
    if thin.any():
        net = yield from run_net_fill(NetFillRequest(image, thin, model=model, previews=request.previews,
                                                     device=device), cancel)
        image, bounds, regions = readonly_copy(net.image), net.bounds, net.regions
    if deep.any():
        texture = yield from run_texture_fill(replace(request, image=image, mask=deep, variations=1,
                                                      model=model, device=device), cancel)
        image, bounds, regions = texture.image, texture.bounds.union(bounds), regions + texture.regions
    return FillResult(np.array(image, copy=True), "auto", regions, time.perf_counter() - start, bounds)


def split_thin(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(thin, deep)``: the mask's connected holes no deeper than :data:`THIN_DEPTH` px, and the others."""
    import cv2

    hole = (mask > 0).astype(np.uint8)
    count, labels = cv2.connectedComponents(hole, connectivity=8)
    depth = cv2.distanceTransform(hole, cv2.DIST_L2, 3)
    from scipy import ndimage

    deepest = np.asarray(ndimage.maximum(depth, labels, index=np.arange(count)), np.float32)
    is_deep = deepest > THIN_DEPTH
    is_deep[0] = False
    deep_pixels = is_deep[labels]
    zero = np.uint8(0)
    return np.where(deep_pixels, zero, mask).astype(np.uint8), np.where(deep_pixels, mask, zero).astype(np.uint8)
