"""Stylize jobs: match colours, paint like a reference, transfer texture; whole photo or under the mask.

No downloaded weights (see :mod:`artstudio.models.style_features`): what
carries over is colour mood, grain and brush-like texture, never meaning.
It does not know a face from a sky.

* ``colour``: :func:`artstudio.core.colour_transfer.match_colours` at full
  resolution (milliseconds).
* ``paint`` / ``texture``: the photo (or the crop around the mask) is reduced
  to the working ``size``, colour-matched, optimised coarse to fine
  (:func:`artstudio.models.style_optim.optimise`) and what changed is
  carried back to full resolution (:func:`artstudio.core.style_carry.carry_residual`).

Where: no mask, the whole photo; a mask, only inside it (soft edges blend;
pixels where it is 0 are bit-identical); a mask and a second style, the
first inside and the second outside. Alpha is never changed.

Out of memory on a GPU: the work is retried at half the size, then on the
CPU, and the result says so. The same request and seed give the same pixels
on the same device.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np

from ..core.colour_transfer import METHODS, match_colours
from ..core.inpaint import blend_into
from ..core.rect import Rect, bbox_of_nonzero
from ..core.style_input import StyleError, prepare_style, same_picture
from .base import CancelToken, Event, JobError, Preview, Progress
from .restore import check_image

ENGINE = "stylize-1"
MODES = ("colour", "paint", "texture")
STATISTICS = ("sliced", "gram")
DRAFT_SIZE = 256
DEFAULT_SIZE = 512
SIZES = (256, 512, 768, 1024, 1448)         # working long side, px (1448² ≈ 2 MP)
DEFAULT_STEPS = 240
MAX_STEPS = 3000
MIN_RETRY_SIZE = 128
PREVIEW_INTERVAL_S = 1.0
MARGIN = 24                                 # px of context around the mask's box


@dataclass(frozen=True)
class StylizeRequest:
    """What to stylise; arrays are read-only copies taken on the GUI thread.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)``, the photo.
    style : numpy.ndarray
        ``uint8 (h, w, 3|4)``, the style image (checked by :func:`prepare_style`).
    mode : str
        One of :data:`MODES`.
    mask : numpy.ndarray or None
        ``uint8 (H, W)``: where to stylise (>0, soft values blend); None: everywhere.
    style_outside : numpy.ndarray or None
        A second style for where the mask is 0 (needs ``mask``).
    method : str
        The colour method (:data:`artstudio.core.colour_transfer.METHODS`), colour mode.
    strength : float
        0 (the photo) to 1 (the full effect).
    preserve_colour : bool
        Paint and texture: transfer on luminance only, keep the photo's colours.
    steps : int or None
        Optimisation steps (None: :data:`DEFAULT_STEPS`).
    size : int
        Working long side in px (the photo is never enlarged).
    content_weight : float
        How much of the photo's structure the optimiser keeps (0 = style only).
    statistic : str
        Paint mode: ``sliced`` (Wasserstein, the default) or ``gram``.
    softmax : bool
        Paint mode: SWAG's softmax on the random features instead of ReLU.
    seed : int
        The random filters, directions and positions.
    """

    image: np.ndarray
    style: np.ndarray
    mode: str = "colour"
    mask: np.ndarray | None = None
    style_outside: np.ndarray | None = None
    method: str = "mkl"
    strength: float = 1.0
    preserve_colour: bool = False
    steps: int | None = None
    size: int = DEFAULT_SIZE
    content_weight: float = 1.0
    statistic: str = "sliced"
    softmax: bool = False
    seed: int = 0
    previews: bool = True
    device: str = "auto"


@dataclass(frozen=True)
class StylizeResult:
    """A stylised photo.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8``, the photo's shape; bit-identical where the mask is 0.
    method : str
        The mode (``colour``, ``paint``, ``texture``).
    seconds : float
    bounds : Rect or None
        Where pixels may differ.
    notes : tuple of str
        What the user should know (a reduced style image, a retry at a smaller size...).
    recipe : dict
        JSON-ready: everything that made this picture except the style files
        (the caller adds their names and hashes).
    reduced : bool
        The work was done below the photo's (or the masked area's) own
        resolution: a larger ``size`` would refine it.
    """

    image: np.ndarray
    method: str
    seconds: float
    bounds: Rect | None
    notes: tuple[str, ...] = ()
    recipe: dict = field(default_factory=dict)
    reduced: bool = False

    def describe(self) -> str:
        """``paint, 150 steps at 512 px`` and the like."""
        r = self.recipe
        if self.method == "colour":
            return f"colour match ({r.get('method')}, strength {r.get('strength', 1):.0%})"
        return f"{self.method}, {r.get('steps')} steps at {r.get('size')} px"


def check_request(r: StylizeRequest) -> tuple[list, list[str]]:
    """``(regions, notes)``: ``(weights or None, prepared style)`` pairs; JobError (one line) otherwise."""
    check_image(r.image)
    if r.mode not in MODES:
        raise JobError(f"Unknown stylize mode '{r.mode}'. Choose one of: {', '.join(MODES)}.")
    if r.mode == "colour" and r.method not in METHODS:
        raise JobError(f"Unknown colour method '{r.method}'. Choose one of: {', '.join(METHODS)}.")
    if r.statistic not in STATISTICS:
        raise JobError(f"Unknown style statistic '{r.statistic}'. Choose one of: {', '.join(STATISTICS)}.")
    if not 0.0 <= r.strength <= 1.0:
        raise JobError(f"The strength must be from 0 to 1, not {r.strength}.")
    if r.steps is not None and not 1 <= r.steps <= MAX_STEPS:
        raise JobError(f"The steps must be from 1 to {MAX_STEPS}, not {r.steps}.")
    if not 32 <= r.size <= max(SIZES):
        raise JobError(f"The working size must be from 32 to {max(SIZES)} px, not {r.size}.")
    if r.content_weight < 0:
        raise JobError("The content weight cannot be negative.")
    if r.style is None:
        raise JobError("Choose a style image first.")
    try:
        style, notes = prepare_style(r.style, "The style image")
        outside = None
        if r.style_outside is not None:
            outside, more = prepare_style(r.style_outside, "The second style image")
            notes += more
    except StyleError as error:
        raise JobError(str(error)) from None
    for picture in (style, outside):
        if picture is not None and same_picture(picture, r.image):
            raise JobError("The style image is the photo itself: there is no other style to take; "
                           "choose a painting or another photo.")
    return _regions(r, style, outside), notes


def _regions(r: StylizeRequest, style: np.ndarray, outside: np.ndarray | None) -> list:
    if r.mask is None:
        if outside is not None:
            raise JobError("Two styles need a mask: paint where the first style goes.")
        return [(None, style)]
    if r.mask.shape != r.image.shape[:2]:
        raise JobError("The mask and the image have different sizes.")
    if not r.mask.any():
        raise JobError("The mask is empty: paint where the style should go, or stylise the whole photo.")
    regions = [(r.mask, style)]
    if outside is not None:
        inverse = (255 - r.mask).astype(np.uint8)
        if inverse.any():
            regions.append((inverse, outside))
    return regions


def run_stylize(request: StylizeRequest, cancel: CancelToken) -> Generator[Event, None, StylizeResult]:
    """Stylise; yields progress and (paint, texture) previews; see the module docstring."""
    start = time.perf_counter()
    regions, notes = check_request(request)
    result = np.array(request.image, copy=True)
    bounds, used = None, {}
    for index, (weights, style) in enumerate(regions):
        crop = _crop(weights, request.image.shape)
        span = (index / len(regions), (index + 1) / len(regions))
        stylised = yield from _stylize_crop(request, style, crop, weights, cancel, span, notes, used,
                                            result, bounds)
        _paste(result, stylised, crop, weights)
        bounds = crop.union(bounds)
        cancel.check()
    recipe = _recipe(request, len(regions), used)
    return StylizeResult(result, request.mode, time.perf_counter() - start, bounds, tuple(notes), recipe,
                         bool(used.get("reduced", False)))


def _crop(weights: np.ndarray | None, shape) -> Rect:
    h, w = shape[:2]
    if weights is None:
        return Rect(0, 0, w, h)
    box = bbox_of_nonzero(weights)
    return box.grown(MARGIN + max(box.x1 - box.x0, box.y1 - box.y0) // 16).clip(w, h)


def _paste(target: np.ndarray, stylised: np.ndarray, crop: Rect, weights: np.ndarray | None) -> None:
    """Put the stylised RGB of ``crop`` into ``target`` (alpha untouched), through ``weights``."""
    rgb = target[crop.slices][..., :3]
    if weights is None:
        rgb[...] = stylised
    else:
        blend_into(rgb, stylised, weights[crop.slices])


def _stylize_crop(r: StylizeRequest, style, crop: Rect, weights, cancel, span, notes, used, result, bounds):
    pixels = np.ascontiguousarray(r.image[crop.slices][..., :3])
    where = None if weights is None else np.where(weights[crop.slices] > 0, 255, 0).astype(np.uint8)
    if r.mode == "colour":
        yield Progress(span[0], "Stylize: matching colours")
        return match_colours(pixels, style, r.method, r.strength, where=where)
    from .stylize_optim import optimise_crop

    def preview(picture: np.ndarray) -> Preview:
        shown = np.array(result, copy=True)
        _paste(shown, picture, crop, weights)
        return Preview(shown, crop)

    return (yield from optimise_crop(r, pixels, style, where, cancel, span, notes, used, preview))


def _recipe(r: StylizeRequest, regions: int, used: dict) -> dict:
    """What made the picture, JSON-ready (the style files are added by the caller)."""
    recipe = {"engine": ENGINE, "mode": r.mode, "strength": round(float(r.strength), 4), "seed": int(r.seed),
              "region": ("whole photo", "inside the mask", "mask and its inverse")[
                  0 if r.mask is None else regions],
              "features": {"colour": "none (colour statistics)", "paint": "seeded random filters",
                           "texture": "seeded random patch projections"}[r.mode] + ", no downloaded weights"}
    if r.mode == "colour":
        recipe["method"] = r.method
        return recipe
    recipe.update(steps=int(r.steps or DEFAULT_STEPS), size=int(used.get("size", r.size)),
                  preserve_colour=bool(r.preserve_colour),
                  weights={"content": round(float(r.content_weight), 4), "style": 1.0},
                  device=used.get("device", "cpu"))
    if r.mode == "paint":
        recipe.update(statistic=r.statistic, softmax=bool(r.softmax))
    return recipe

