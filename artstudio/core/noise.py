"""Noise in photos, numpy + OpenCV, no torch: gaussian noise measured
(:func:`estimate_noise_sigma`); salt-and-pepper (impulse) noise detected,
measured and removed.

An impulse is a colour value at an extreme (<= ``low`` or >= ``high``) that
differs from the median of its 3x3 neighbourhood by more than ``threshold``.
Saturated areas (a white sky, a black background) are not impulses: their
median is extreme too. Only the detected values are replaced, by the median
of the *clean* values around them, so every other pixel stays bit-identical,
which is why this beats a plain median filter (that blurs everything).
"""

from __future__ import annotations

import numpy as np

AUTO_FRACTION = 0.003   # more impulses than this (0.3 % of values): call it salt-and-pepper


def estimate_noise_sigma(image: np.ndarray) -> float:
    """Standard deviation of additive gaussian noise, 0-1 scale.

    Donoho's robust estimator, as scikit-image's ``estimate_sigma`` (which
    needs PyWavelets): the median absolute finest-scale diagonal Haar
    coefficient over 0.6745, per channel, averaged. Edges barely move a
    median, so a clean photo reads near 0 and sigma 25 reads about 25/255.

    Parameters
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)``; alpha is ignored.
    """
    rgb = image[..., :3].astype(np.float32) / 255.0
    h, w = (rgb.shape[0] // 2) * 2, (rgb.shape[1] // 2) * 2
    blocks = rgb[:h, :w]
    diagonal = (blocks[0::2, 0::2] - blocks[0::2, 1::2] - blocks[1::2, 0::2] + blocks[1::2, 1::2]) / 2
    return float(np.mean(np.median(np.abs(diagonal.reshape(-1, rgb.shape[2])), axis=0)) / 0.6745)


def detect_impulses(image: np.ndarray, threshold: int = 40, low: int = 0, high: int = 255) -> np.ndarray:
    """Where the impulses are.

    Parameters
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, C)`` (alpha, if any, is ignored) or ``(H, W)``.
    threshold : int
        Minimum distance from the 3x3 median, in levels.
    low, high : int
        Values at or beyond these count as extreme.

    Returns
    -------
    numpy.ndarray
        ``bool``, shape ``(H, W, min(C, 3))`` (or ``(H, W)``); True on impulse values.
    """
    import cv2

    planes = _planes(image)
    hits = []
    for plane in planes:
        median = cv2.medianBlur(np.ascontiguousarray(plane), 3)
        extreme = (plane <= low) | (plane >= high)
        far = np.abs(plane.astype(np.int16) - median.astype(np.int16)) > threshold
        hits.append(extreme & far)
    return hits[0] if image.ndim == 2 else np.stack(hits, axis=-1)


def impulse_fraction(image: np.ndarray) -> float:
    """The fraction of colour values that :func:`detect_impulses` flags."""
    return float(detect_impulses(image).mean())


def looks_like_salt_and_pepper(image: np.ndarray) -> bool:
    """True if the image carries impulse noise (for ``--noise auto``)."""
    return impulse_fraction(image) > AUTO_FRACTION


def remove_impulses(image: np.ndarray, impulses: np.ndarray | None = None) -> np.ndarray:
    """Replace impulse values by the median of the clean values around them.

    Each flagged value takes the median of the unflagged values of the same
    channel in its 3x3, else 5x5, else 7x7 neighbourhood (a plain 5x5 median
    as a last resort). Unflagged values are returned unchanged.

    Returns
    -------
    numpy.ndarray
        ``uint8``, same shape as ``image``; alpha is copied unchanged.
    """
    if impulses is None:
        impulses = detect_impulses(image)
    out = image.copy()
    planes = _planes(out)
    flags = [impulses] if image.ndim == 2 else [impulses[..., c] for c in range(len(planes))]
    for index, (plane, bad) in enumerate(zip(planes, flags)):
        filled = _fill_plane(plane, bad)
        if image.ndim == 2:
            out = filled
        else:
            out[..., index] = filled
    return out


def _fill_plane(plane: np.ndarray, bad: np.ndarray) -> np.ndarray:
    import cv2

    out = plane.copy()
    todo = bad.copy()
    for radius in (1, 2, 3):
        ys, xs = np.nonzero(todo)
        if ys.size == 0:
            return out
        values = np.pad(plane.astype(np.float32), radius, mode="reflect")
        clean = np.pad(~bad, radius, mode="reflect")
        stack = []
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                y, x = ys + radius + dy, xs + radius + dx
                stack.append(np.where(clean[y, x], values[y, x], np.nan))
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                median = np.nanmedian(np.stack(stack), axis=0)
        found = ~np.isnan(median)
        out[ys[found], xs[found]] = np.rint(median[found]).astype(np.uint8)
        todo[ys[found], xs[found]] = False
    if todo.any():
        out[todo] = cv2.medianBlur(np.ascontiguousarray(plane), 5)[todo]
    return out


def _planes(image: np.ndarray) -> list[np.ndarray]:
    if image.ndim == 2:
        return [image]
    return [image[..., c] for c in range(min(3, image.shape[2]))]
