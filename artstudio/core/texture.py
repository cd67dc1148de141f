"""Content-aware fill: multi-scale patch synthesis guided by a smooth structure prior.

The hole is filled with texture copied from the photo itself (Wexler et al.
2007 completion, with the PatchMatch nearest-neighbour search of Barnes et
al. 2009), coarse to fine. Two things keep it from pasting wrong content and
from leaving seams:

- a **structure prior** (a smooth fill of the hole: OpenCV's Telea
  inpainting with a wide radius, which continues the border's colours and
  gradients) takes part in every patch match, so a patch is chosen for texture that also agrees with what the
  surroundings say the hole's colours should be;
- the votes that make each pixel weight the overlapping patches by how well
  they match, so colours blend across patch seams, and the fill's fine
  detail is then brought near the surroundings' strength.

Patches are compared as a few principal components of their Lab pixels
(computed from the sampling area), which is what makes a vectorised numpy
search over a megapixel hole take seconds. Everything here works on one crop;
:mod:`artstudio.jobs.texture_fill` cuts a photo into crops and pastes back.
Pure numpy and OpenCV.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .patchmatch import Field as _Field, Level as _Level, valid_centres as _valid_centres
from .texture_detail import match_texture_energy

__all__ = ["TextureError", "TextureSettings", "sampling_band", "structure_prior", "synthesize"]

MAX_PRIOR_HOLE = 40_000   # larger holes get their prior on a downscaled copy (only its lows are used)
PRIOR_RADIUS = 15
# Levels with more target pixels than this run fewer EM iterations (the
# coarser levels have settled the layout; what is left is mostly detail):
# a 1 MP hole would otherwise take four times as long.
LARGE_TARGETS = 150_000


class TextureError(ValueError):
    """The fill cannot run (no texture to copy from); the message is one line for the user."""


@dataclass(frozen=True)
class TextureSettings:
    """How the synthesis runs; the defaults are what the benchmark measured.

    Attributes
    ----------
    patch : int
        Patch side in pixels (odd).
    features : int
        Principal components a patch is compared by.
    prior_weight : float
        How strongly a patch's mean colour must agree with the prior's.
    sharp : bool
        The last vote copies only the best-matching patch's pixel (crisper,
        but seams between copied patches show); otherwise a weighted mean.
    vote_percentile : float
        The last vote weights patches by ``exp(-cost / 2 s2)``, ``s2`` this
        percentile of the costs: low means nearly only the best ones count.
    texture_match : float
        The fill's fine-detail energy, when more than this factor off the
        ring's around the hole either way, is brought to it (0: left as
        synthesised; grain from the photo makes up what raising cannot); see
        :func:`artstudio.core.texture_detail.match_texture_energy`.
    texture_gain : float
        The most the fine detail's amplitude may be raised to get there.
    locality : float
        How much more a far copy costs (:class:`artstudio.core.patchmatch.Field`).

    Tuned on 15 textured photos with a 96 px hole (/tmp/tx/probe.py, the
    "tuning" set of docs/BENCHMARKS.md) and checked on 10 others never used
    for tuning. A prior weight of 0.3 scored a little better on the tuning
    boxes but let the coffee photo's spoon handle fill with wood grain in
    place of the saucer's red; 1.0 was better on the spoon and worse on
    both sets (more texture where the truth is smooth). Imposing the prior's
    low frequencies (below a Gaussian of 8 px) cost 0.4-0.8 dB of low-passed
    PSNR on both sets and smeared the cup's white rim down the spoon's
    handle: removed.
    """

    patch: int = 7
    features: int = 24
    prior_weight: float = 0.6
    sharp: bool = False
    vote_percentile: float = 2.0
    texture_match: float = 1.3
    texture_gain: float = 2.0
    locality: float = 0.5


def sampling_band(hole: np.ndarray) -> int:
    """Width in px of the default sampling band around ``hole`` (wider for deeper holes)."""
    import cv2

    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max()) if hole.any() else 0.0
    return int(min(400, max(64, 2 * depth + 32)))


def structure_prior(pixels: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """A smooth fill of ``hole`` (Telea, radius :data:`PRIOR_RADIUS`) to guide the synthesis.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``uint8 (h, w, 3)`` RGB crop.
    hole : numpy.ndarray
        ``bool (h, w)``.

    Returns
    -------
    numpy.ndarray
        ``uint8 (h, w, 3)``: ``pixels`` outside the hole, the smooth fill inside.
        Holes over :data:`MAX_PRIOR_HOLE` pixels are solved on a copy scaled
        down to that size (only the low frequencies are used).
    """
    import cv2

    from .inpaint import fill_crop

    count = int(np.count_nonzero(hole))
    if count == 0:
        return pixels.copy()
    h, w = hole.shape
    factor = min(1.0, float(np.sqrt(MAX_PRIOR_HOLE / count)))
    if factor >= 1.0:
        filled = fill_crop(pixels, hole, "telea", PRIOR_RADIUS)
    else:
        size = (max(8, round(w * factor)), max(8, round(h * factor)))
        small = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        small_hole = cv2.resize(hole.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 0
        filled = cv2.resize(fill_crop(small, small_hole, "telea", max(3, round(PRIOR_RADIUS * factor))),
                            (w, h), interpolation=cv2.INTER_CUBIC)
    return np.where(hole[..., None], filled, pixels)


# -- one level of the pyramid -------------------------------------------------------------------

def _to_lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def _to_rgb(lab: np.ndarray) -> np.ndarray:
    import cv2

    rgb = cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


def _half(array: np.ndarray) -> np.ndarray:
    import cv2

    h, w = array.shape[:2]
    return cv2.resize(array, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)


def _pyramid(lab, hole, source, prior, patch: int) -> list[_Level]:
    """Finest level first; coarser until the hole is about a patch deep."""
    import cv2

    levels = [_Level(lab, hole, _valid_centres(source, patch), prior)]
    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())
    while depth > patch:
        top = levels[-1]
        if min(top.hole.shape) // 2 < 3 * patch:
            break
        coarse_hole = _half(top.hole.astype(np.float32)) > 0
        coarse_source = (_half(source.astype(np.float32)) >= 0.999) & ~coarse_hole
        valid = _valid_centres(coarse_source, patch)
        if np.count_nonzero(valid) < 64:
            break
        source = coarse_source
        levels.append(_Level(_half(top.lab), coarse_hole, valid, _half(top.prior)))
        depth /= 2
    return levels


# -- patch features -----------------------------------------------------------------------------

def _basis(level: _Level, patch: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``float32 (count, 3, patch, patch)``: principal directions of the sampling area's patches."""
    ys, xs = np.nonzero(level.valid)
    pick = rng.choice(ys.size, size=min(ys.size, 3000), replace=False)
    r = patch // 2
    windows = np.lib.stride_tricks.sliding_window_view(level.lab, (patch, patch), axis=(0, 1))
    samples = windows[ys[pick] - r, xs[pick] - r].reshape(pick.size, -1).astype(np.float64)
    samples -= samples.mean(axis=0)
    _, _, vt = np.linalg.svd(samples, full_matrices=False)
    return vt[:count].reshape(-1, 3, patch, patch).astype(np.float32)


def _features(lab: np.ndarray, basis: np.ndarray, smooth: np.ndarray, weight: float) -> np.ndarray:
    """``float32 (h, w, k + 3)``: each pixel's patch projected on ``basis``, then ``smooth`` scaled."""
    import cv2

    h, w = lab.shape[:2]
    planes = np.empty((basis.shape[0] + 3, h, w), np.float32)     # channel planes: contiguous writes
    channels = [np.ascontiguousarray(lab[..., c]) for c in range(3)]
    for k, kernel in enumerate(basis):
        cv2.filter2D(channels[0], -1, kernel[0], dst=planes[k], borderType=cv2.BORDER_REFLECT)
        for c in (1, 2):
            planes[k] += cv2.filter2D(channels[c], -1, kernel[c], borderType=cv2.BORDER_REFLECT)
    for c in range(3):
        np.multiply(smooth[..., c], weight, out=planes[-3 + c])
    return np.ascontiguousarray(planes.transpose(1, 2, 0))


def _target_features(level: "_Level", field: "_Field", basis, smooth, weight) -> np.ndarray:
    """``float32 (n, k + 3)``: the features of the field's target pixels only, computed on
    their bounding box (a big crop's sampling band is most of its area)."""
    r = basis.shape[-1] // 2
    h, w = level.hole.shape
    y0, y1 = max(0, int(field.ty.min()) - r), min(h, int(field.ty.max()) + r + 1)
    x0, x1 = max(0, int(field.tx.min()) - r), min(w, int(field.tx.max()) + r + 1)
    box = _features(level.lab[y0:y1, x0:x1], basis, smooth[y0:y1, x0:x1], weight)
    return box[field.ty - y0, field.tx - x0]


def _blur(lab: np.ndarray, sigma: float) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(lab, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


# -- the synthesis ------------------------------------------------------------------------------

def synthesize(pixels: np.ndarray, hole: np.ndarray, source: np.ndarray, prior: np.ndarray,
               seed: int = 0, settings: TextureSettings = TextureSettings(),
               check: Callable[[float], None] | None = None) -> np.ndarray:
    """Fill ``hole`` with texture copied from ``source``, guided by ``prior``.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``uint8 (h, w, 3)`` RGB crop.
    hole : numpy.ndarray
        ``bool (h, w)``: the pixels to invent.
    source : numpy.ndarray
        ``bool (h, w)``: where texture may be copied from (outside the hole).
    prior : numpy.ndarray
        ``uint8 (h, w, 3)``: a smooth fill of the hole (:func:`structure_prior`).
    seed : int
        Different seeds give different, reproducible fills.
    check : callable or None
        Called with the fraction done between steps (at most a few tenths of
        a second apart on a megapixel hole); it may raise to cancel.

    Returns
    -------
    numpy.ndarray
        ``uint8 (h, w, 3)``: ``pixels`` outside the hole (bit-identical), the fill inside.

    Raises
    ------
    TextureError
        When no whole patch of the sampling area lies outside the hole.
    """
    hole = hole.astype(bool)
    source = source.astype(bool) & ~hole
    patch = settings.patch
    if not hole.any():
        return pixels.copy()
    if not _valid_centres(source, patch).any():
        raise TextureError("Nothing left to copy texture from: the sampling area is empty or thinner "
                           f"than {patch} px around the hole.")
    rng = np.random.default_rng(seed)
    lab, prior_lab = _to_lab(pixels), _to_lab(prior)
    lab[hole] = prior_lab[hole]
    levels = _pyramid(lab, hole, source, prior_lab, patch)
    weight = settings.prior_weight * patch
    field = None
    done = [0.0]              # the fraction reported to ``check``: never goes back
    for depth, level in enumerate(reversed(levels)):
        finest = depth == len(levels) - 1
        basis = _basis(level, patch, settings.features, rng)
        source_features = _features(level.lab, basis, _blur(level.lab, patch / 3), weight)
        prior_smooth = _blur(level.prior, patch / 3)
        coarse, field = field, _Field(level, patch, rng, settings.locality)
        done[0] = max(done[0], depth / len(levels))

        def tick():
            if check is not None:
                check(done[0])

        if coarse is None:
            _onion_peel(level, patch, settings.prior_weight, rng, tick)
            field.randomise()
        else:
            field.upsample_from(coarse)
            field.cost[:] = 0.0
        big = field.ty.size > LARGE_TARGETS
        if coarse is not None:
            level.lab[level.hole] = field.vote(step=2 if big else 1)
        iterations = (1 if big else 2) if finest else (4 if depth == 0 else (2 if big else 3))
        for iteration in range(iterations):
            target = _target_features(level, field, basis, prior_smooth, weight)
            field.evaluate(target, source_features)
            field.search(target, source_features, rounds=2 if iteration == 0 and not big else 1, tick=tick,
                         local=big)
            last = finest and iteration == iterations - 1
            level.lab[level.hole] = field.vote(step=2 if finest and big else 1,
                                               sharp=settings.sharp and last,
                                               percentile=settings.vote_percentile if last else 75.0)
            done[0] = (depth + (iteration + 1) / iterations) / len(levels)
            tick()
    finest = levels[0]
    out = pixels.copy()
    out[hole] = _to_rgb(finest.lab)[hole]
    if settings.texture_match > 0:
        match_texture_energy(out, hole, source, settings.texture_match, settings.texture_gain, rng)
    return out


def _onion_peel(level: _Level, patch: int, prior_weight: float, rng: np.random.Generator,
                tick: Callable[[], None], candidates: int = 1500) -> None:
    """First estimate of the coarsest hole: ring by ring from the border inwards, each pixel takes
    the centre of the source patch that best matches what is already known around it."""
    import cv2

    r = patch // 2
    h, w = level.hole.shape
    pad = ((r, r), (r, r))
    lab = level.lab
    known = ~level.hole
    vy, vx = np.nonzero(level.valid)
    pick = rng.choice(vy.size, size=min(vy.size, candidates), replace=False)
    windows = np.lib.stride_tricks.sliding_window_view(lab, (patch, patch), axis=(0, 1))
    pool = windows[vy[pick] - r, vx[pick] - r].reshape(pick.size, -1)          # (C, 3 p p)
    pool_mean = pool.reshape(pick.size, 3, -1).mean(axis=2)                      # (C, 3)
    prior = _blur(level.prior, patch / 3)
    cross = np.ones((3, 3), np.uint8)
    while not known.all():
        tick()
        ring = (cv2.dilate(known.astype(np.uint8), cross) > 0) & ~known
        ry, rx = np.nonzero(ring)
        if ry.size == 0:
            break
        padded = np.pad(lab, pad + ((0, 0),), mode="reflect")
        padded_known = np.pad(known, pad, mode="constant").astype(np.float32)
        tw = np.lib.stride_tricks.sliding_window_view(padded, (patch, patch), axis=(0, 1))[ry, rx]
        kw = np.lib.stride_tricks.sliding_window_view(padded_known, (patch, patch))[ry, rx]
        target = tw.reshape(ry.size, -1)                                           # (N, 3 p p)
        weight = np.tile(kw.reshape(ry.size, 1, -1), (1, 3, 1)).reshape(ry.size, -1)
        count = weight.sum(axis=1, keepdims=True)
        # masked SSD: sum over known pixels of (t - s)^2 = sum w t^2 - 2 (w t) . s + w . s^2
        wt = weight * target
        cost = (wt * target).sum(axis=1, keepdims=True) - 2.0 * wt @ pool.T + weight @ (pool * pool).T
        cost /= np.maximum(count, 1.0)
        mean_gap = prior[ry, rx][:, None, :] - pool_mean[None, :, :]
        cost += prior_weight * (mean_gap * mean_gap).sum(axis=2)
        best = np.argmin(cost, axis=1)
        lab[ry, rx] = pool[best].reshape(-1, 3, patch, patch)[:, :, r, r]
        known = known | ring
