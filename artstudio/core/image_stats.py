"""Classical image statistics: the half of ArtStudio's features that no network has to learn.

Features of an untrained network react to content and colour but barely to
blur or noise; these statistics react to exactly those, so
:mod:`artstudio.models.features` puts both side by side. numpy + scipy only.

For ``uint8 (N, S, S, 3)`` images (S a multiple of 8, ArtStudio uses 64),
three groups per image, in this order:

``colour``     opponent-colour moments (mean, standard deviation, skewness of
               luminance and two chroma axes: 9) and the square root of the
               joint RGB histogram on 4x4x4 bins (64; Hellinger embedding);
``frequency``  the Laplacian pyramid of each opponent channel: log mean
               absolute band value per band (4 bands x 3 = 12) and the log
               kurtosis of the luminance bands (4): blur empties the fine
               bands, noise fills them and makes them Gaussian;
``gradient``   at full and half size, the luminance gradient's log-magnitude
               histogram (8), its magnitude-weighted orientation histogram
               (8) and the mean and spread of its log magnitude (2).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .pyramid import laplacian_pyramid

GROUPS = ("colour", "frequency", "gradient")
BANDS = 4
HIST_BINS = 4            # per channel; the index below packs 2 bits each
GRAD_BINS = 8
_LOG_MAG_EDGES = np.linspace(-7.0, 0.0, GRAD_BINS + 1)[1:-1]       # log |gradient|, 0-1 units per px: 1e-3 to 1
_OPPONENT = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, -0.5, 0.0], [0.25, 0.25, -0.5]], np.float32).T


def group_sizes() -> dict[str, int]:
    """How many numbers each group holds (the columns of :func:`image_statistics`, in order)."""
    return {"colour": 9 + HIST_BINS ** 3, "frequency": BANDS * 3 + BANDS,
            "gradient": 2 * (2 * GRAD_BINS + 2)}


def image_statistics(images: np.ndarray) -> np.ndarray:
    """``float32 (N, 125)``: the groups of the module docstring side by side, unscaled."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images shaped (N, H, W, 3), got {images.dtype} {images.shape}")
    unit = images.astype(np.float32) / 255.0
    opponent = unit @ _OPPONENT                                   # (N, H, W, 3): L, R-G, (R+G)/2-B
    return np.concatenate([_colour(images, opponent), _frequency(opponent), _gradient(opponent[..., 0])],
                          axis=1).astype(np.float32)


def _colour(images: np.ndarray, opponent: np.ndarray) -> np.ndarray:
    n = len(images)
    flat = opponent.reshape(n, -1, 3)
    mean = flat.mean(axis=1)
    centred = flat - mean[:, None, :]
    std = np.sqrt((centred ** 2).mean(axis=1))
    skew = (centred * centred * centred).mean(axis=1) / np.maximum(std, 1e-3) ** 3   # not ** 3: 10x slower
    bins = images.reshape(n, -1, 3) >> 6                              # 4 levels per channel, uint8
    index = (bins[..., 0] << 4) | (bins[..., 1] << 2) | bins[..., 2]
    offsets = (np.arange(n) * HIST_BINS ** 3)[:, None]
    hist = np.bincount((index + offsets).ravel(), minlength=n * HIST_BINS ** 3).reshape(n, -1)
    hist = np.sqrt(hist / index.shape[1])
    return np.concatenate([mean, std, np.clip(skew, -10, 10), hist], axis=1)


def _frequency(opponent: np.ndarray) -> np.ndarray:
    batch = np.ascontiguousarray(opponent.transpose(0, 3, 1, 2))
    bands = laplacian_pyramid(batch, BANDS + 1)[:BANDS]           # the low-pass residual is colour's business
    energy = [np.log(np.abs(band).mean(axis=(2, 3)) + 1e-4) for band in bands]          # (N, 3) each
    kurtosis = []
    for band in bands:
        squared = band[:, 0].reshape(len(band), -1) ** 2
        second = squared.mean(axis=1)
        kurtosis.append(np.log((squared * squared).mean(axis=1) / np.maximum(second, 1e-10) ** 2 + 1e-3))
    return np.concatenate(energy + [np.stack(kurtosis, axis=1)], axis=1)


def _gradient(luminance: np.ndarray) -> np.ndarray:
    parts = [_gradient_stats(luminance)]
    n, h, w = luminance.shape
    half = luminance.reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))
    parts.append(_gradient_stats(half))
    return np.concatenate(parts, axis=1)


def _gradient_stats(luminance: np.ndarray) -> np.ndarray:
    gy = ndimage.sobel(luminance, axis=1, mode="reflect") / 8.0
    gx = ndimage.sobel(luminance, axis=2, mode="reflect") / 8.0
    n = len(luminance)
    magnitude = np.sqrt(gx ** 2 + gy ** 2).reshape(n, -1)
    log_mag = np.log(magnitude + 1e-4)
    which = np.searchsorted(_LOG_MAG_EDGES, log_mag)                     # (N, P) in 0..GRAD_BINS-1
    mag_hist = _row_histograms(which, np.ones_like(log_mag), GRAD_BINS)
    angle = np.mod(np.arctan2(gy, gx).reshape(n, -1), np.pi)               # orientation, not direction
    which = np.minimum((angle / np.pi * GRAD_BINS).astype(np.int64), GRAD_BINS - 1)
    ori_hist = _row_histograms(which, magnitude, GRAD_BINS)
    return np.concatenate([np.sqrt(mag_hist), np.sqrt(ori_hist),
                           log_mag.mean(axis=1, keepdims=True), log_mag.std(axis=1, keepdims=True)], axis=1)


def _row_histograms(which: np.ndarray, weights: np.ndarray, bins: int) -> np.ndarray:
    """Per-row weighted histograms, normalised to sum 1 (an empty row stays 0)."""
    n = len(which)
    offsets = (np.arange(n) * bins)[:, None]
    hist = np.bincount((which + offsets).ravel(), weights=weights.ravel(), minlength=n * bins).reshape(n, bins)
    return hist / np.maximum(hist.sum(axis=1, keepdims=True), 1e-12)
