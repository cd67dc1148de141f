"""ProGAN's sliced Wasserstein distance on Laplacian pyramids, and MS-SSIM between images.

SWD (Karras et al. 2018, ``metrics/sliced_wasserstein.py`` of the ProGAN
code): each image's Laplacian pyramid (levels from its side down to 16 px)
gives ``128`` random 7x7x3 neighbourhoods per level; descriptors are
normalised per colour channel; the distance is the mean over ``4 x 128``
random unit directions of the 1-D Wasserstein-1 distance between the sorted
projections, reported multiplied by 1000, per level and averaged.

One change, ``normalise="reference"`` (the default): both sets are
normalised with the *real* set's channel means and spreads. ProGAN
normalises each set by its own (``normalise="each"``), which rescales a
flat grey set (an untrained generator) to full-contrast noise and hides any
loss or gain of contrast. Measured on 1,000 photo crops (docs/BENCHMARKS.md):
ProGAN's put the benchmark GAN at step 600 level with its untrained start
(357 vs 351), this one 290 vs 628; a 0.5 px blur triples this one (21 ->
64) and raises ProGAN's by 18 % (15.8 -> 18.7).

Randomness (neighbourhood positions, directions) comes from a seed, so two
comparisons made with one seed use the same draws: their difference is the
images', not the dice's.

MS-SSIM (Wang et al. 2003) is used among samples as a diversity figure
(AC-GAN's): a mean over random pairs, lower is more diverse.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .pyramid import laplacian_pyramid, swd_resolutions

NHOOD = 7
NHOODS_PER_IMAGE = 128
DIR_REPEATS = 4
DIRS_PER_REPEAT = 128
_MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def to_nchw(images: np.ndarray) -> np.ndarray:
    """``uint8 (N, H, W, 3)`` -> ``float32 (N, 3, H, W)`` in 0-255, as ProGAN feeds its pyramid."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected images shaped (N, H, W, 3), got {images.shape}")
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32)


def _neighbourhoods(level: np.ndarray, per_image: int, rng: np.random.Generator) -> np.ndarray:
    """ProGAN's ``get_descriptors_for_minibatch``: ``per_image`` random 7x7 patches of every image."""
    n, c, h, w = level.shape
    half = NHOOD // 2
    count = per_image * n
    image = (np.arange(count) // per_image)[:, None, None, None]
    chan = np.arange(c)[None, :, None, None]
    dy = np.arange(-half, half + 1)[None, None, :, None]
    dx = np.arange(-half, half + 1)[None, None, None, :]
    y = rng.integers(half, h - half, size=(count, 1, 1, 1)) + dy
    x = rng.integers(half, w - half, size=(count, 1, 1, 1)) + dx
    return level[image, chan, y, x]


def _channel_stats(desc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and spread over every descriptor of a set (ProGAN's ``finalize_descriptors``)."""
    flat = desc.reshape(desc.shape[0], desc.shape[1], -1)
    mean = flat.mean(axis=(0, 2), dtype=np.float64)
    std = np.sqrt(np.maximum((flat.astype(np.float64) ** 2).mean(axis=(0, 2)) - mean ** 2, 0))
    return mean, np.maximum(std, 1e-8)                      # a flat set: zeros, not NaN


def _finalise(desc: np.ndarray, stats: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Standardise each colour channel with ``stats`` and flatten: ``(M, 147)`` float32."""
    n, c = desc.shape[:2]
    mean, std = (v[None, :, None].astype(np.float32) for v in stats)
    return ((desc.reshape(n, c, -1) - mean) / std).reshape(n, -1)


def _sliced_wasserstein(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> float:
    count = min(len(a), len(b))        # ProGAN compares equal counts; the larger set is thinned evenly
    a, b = _thin(a, count), _thin(b, count)
    results = []
    for _ in range(DIR_REPEATS):
        dirs = rng.standard_normal((a.shape[1], DIRS_PER_REPEAT))
        dirs = (dirs / np.sqrt((dirs ** 2).sum(axis=0, keepdims=True))).astype(np.float32)
        proj_a = np.sort(dirs.T @ a.T, axis=1)          # (directions, patches): sorted along rows, in place
        proj_b = np.sort(dirs.T @ b.T, axis=1)
        results.append(float(np.abs(proj_a - proj_b).mean()))
    return float(np.mean(results))


def _thin(desc: np.ndarray, count: int) -> np.ndarray:
    if len(desc) == count:
        return desc
    return desc[np.linspace(0, len(desc) - 1, count).round().astype(np.int64)]


def swd(real: np.ndarray, fake: np.ndarray, seed: int = 0, per_image: int = NHOODS_PER_IMAGE,
        normalise: str = "reference") -> dict[int, float]:
    """``{side: SWD x 1e3}`` per Laplacian level (finest first) between two ``uint8 (N, S, S, 3)`` sets.

    One level at a time, so 1,000 images of 64 px need ~0.3 GB, not all
    levels' descriptors at once. The draws come from ``seed`` only: real
    patches, fake patches and directions from three streams, so comparing
    one real set with several fake sets of one size uses the same draws.
    ``normalise``: ``"reference"`` (both sets by the real set's statistics)
    or ``"each"`` (ProGAN's: each set by its own); see the module docstring.
    """
    if normalise not in ("reference", "each"):
        raise ValueError(f"normalise must be 'reference' or 'each', not {normalise!r}")
    a, b = to_nchw(real), to_nchw(fake)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"SWD compares images of one size, not {a.shape[2]} and {b.shape[2]} px")
    resolutions = swd_resolutions(a.shape[2])
    if not resolutions:
        raise ValueError("SWD needs images of at least 16 px")
    streams = [np.random.default_rng([seed, k]) for k in range(3)]
    pyramid_a, pyramid_b = laplacian_pyramid(a, len(resolutions)), laplacian_pyramid(b, len(resolutions))
    found = {}
    for side, level_a, level_b in zip(resolutions, pyramid_a, pyramid_b):
        raw_a = _neighbourhoods(level_a, per_image, streams[0])
        raw_b = _neighbourhoods(level_b, per_image, streams[1])
        stats_a = _channel_stats(raw_a)
        stats_b = stats_a if normalise == "reference" else _channel_stats(raw_b)
        found[side] = _sliced_wasserstein(_finalise(raw_a, stats_a), _finalise(raw_b, stats_b), streams[2]) * 1e3
    return found


# -- MS-SSIM -------------------------------------------------------------------------------------

def _gaussian(image: np.ndarray) -> np.ndarray:
    return ndimage.gaussian_filter(image, sigma=(0, 1.5, 1.5), truncate=3.5, mode="reflect")


def _ssim_parts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _gaussian(a), _gaussian(b)
    var_a = _gaussian(a * a) - mu_a ** 2
    var_b = _gaussian(b * b) - mu_b ** 2
    cov = _gaussian(a * b) - mu_a * mu_b
    crop = (slice(None), slice(5, -5), slice(5, -5))      # the 11x11 window's valid part
    luminance = ((2 * mu_a * mu_b + c1) / (mu_a ** 2 + mu_b ** 2 + c1))[crop]
    contrast_structure = ((2 * cov + c2) / (var_a + var_b + c2))[crop]
    return luminance.mean(axis=(1, 2)), contrast_structure.mean(axis=(1, 2))


def ms_ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MS-SSIM of pairs ``a[i]``, ``b[i]`` (``uint8 (N, S, S, 3)``, luminance) -> ``(N,)`` in [-1, 1].

    As many of Wang et al.'s five scales as leave at least 16 px at the
    coarsest (3 for 64 px images, 4 for 128 px), their weights renormalised.
    """
    x = (np.asarray(a, np.float64) @ [0.299, 0.587, 0.114])
    y = (np.asarray(b, np.float64) @ [0.299, 0.587, 0.114])
    scales = max(1, min(len(_MS_SSIM_WEIGHTS), int(np.log2(x.shape[1] / 16)) + 1))
    weights = np.array(_MS_SSIM_WEIGHTS[:scales]) / sum(_MS_SSIM_WEIGHTS[:scales])
    result = np.ones(len(x))
    for scale in range(scales):
        luminance, cs = _ssim_parts(x, y)
        last = scale == scales - 1
        value = np.clip(luminance * cs if last else cs, 1e-6, None)   # negative cs: no fractional power
        result *= value ** weights[scale]
        if not last:
            x = _downsample(x)
            y = _downsample(y)
    return result


def _downsample(image: np.ndarray) -> np.ndarray:
    n, h, w = image.shape
    return image[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))


def mean_ms_ssim(images: np.ndarray, pairs: int = 200, seed: int = 0) -> float:
    """Mean MS-SSIM of ``pairs`` random pairs of distinct images of one set (lower: more diverse)."""
    n = len(images)
    if n < 2:
        raise ValueError("MS-SSIM among samples needs at least two images")
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, pairs)
    j = (i + rng.integers(1, n, pairs)) % n
    return float(ms_ssim(images[i], images[j]).mean())
