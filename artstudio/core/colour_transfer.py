"""Colour transfer: give a photo the colour mood of a style image, in milliseconds at any size.

Three classical methods, each reduced to a map that OpenCV applies to every
pixel in one call, so a 12 MP photo takes tens of milliseconds:

* ``mkl``: the Monge-Kantorovitch linear map of Pitié & Kokaram (2007). The
  content's RGB mean and covariance become exactly the style's, with the
  least total colour displacement. Pixels pushed out of [0, 255] are
  clipped, which shrinks the covariance again (by up to 0.02 on photos with
  deep shadows and highlights); so the map is refined a few times on the
  clipped samples (:func:`fitted_mkl_map`) until the clipped result's
  covariance is within :data:`GAMUT_TOLERANCE` of the style's. One affine
  3x4 matrix (``cv2.transform``).
* ``reinhard``: Reinhard et al. (2001), each channel's mean and spread
  matched in a decorrelated space; here CIE L*a*b* (OpenCV's, in float)
  rather than the paper's l-alpha-beta. Affine in Lab, two conversions:
  several times slower than ``mkl`` on a big photo.
* ``histogram``: each of R, G and B gets the style's histogram (a 256-entry
  lookup table per channel); matches the marginals exactly, ignores how
  the channels go together.

Statistics are read from at most :data:`MAX_SAMPLES` pixels on a regular
grid (deterministic); only pixels where ``weights`` (a mask, or the alpha of
an RGBA image) is at least half count. ``strength`` moves between the
photo (0) and the full transfer (1); for every method it blends the map
itself, so it costs nothing extra. Alpha is never changed.
"""

from __future__ import annotations

import numpy as np

METHODS: dict[str, str] = {
    "mkl": "colour covariance (Pitié MKL)",
    "reinhard": "mean and spread in Lab (Reinhard)",
    "histogram": "per-channel histograms",
}
MAX_SAMPLES = 1 << 17
GAMUT_SAMPLES = 1 << 15
GAMUT_ITERATIONS = 30
GAMUT_TOLERANCE = 2e-4


def samples(image: np.ndarray, weights: np.ndarray | None = None, limit: int = MAX_SAMPLES) -> np.ndarray:
    """``float64 (N, 3)`` RGB in [0, 1] from a regular grid of ``image`` (``uint8 (H, W, 3|4)``).

    ``weights``: ``uint8 (H, W)``; only pixels where it is >= 128 count
    (None: the alpha channel of an RGBA image, else every pixel).

    Raises
    ------
    ValueError
        When no pixel counts.
    """
    h, w = image.shape[:2]
    step = max(1, int(np.ceil(np.sqrt(h * w / limit))))
    grid = image[::step, ::step]
    if weights is None and image.shape[2] == 4 and (image[::step, ::step, 3] >= 128).any():
        weights = image[..., 3]          # an all-transparent photo is still measured, whole
    rgb = grid[..., :3].reshape(-1, 3)
    if weights is not None:
        rgb = rgb[(weights[::step, ::step] >= 128).ravel()]
    if rgb.shape[0] == 0:
        raise ValueError("no pixel to read colours from")
    return rgb.astype(np.float64) / 255.0


def _sqrt_and_inverse(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(matrix)
    values = np.clip(values, 1e-10, None)
    return (vectors * np.sqrt(values)) @ vectors.T, (vectors / np.sqrt(values)) @ vectors.T


def mkl_map(content: np.ndarray, style: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(T, b)``: ``x -> T x + b`` (RGB in [0, 1]) takes the content samples' mean and covariance
    to the style samples' (``(N, 3)`` arrays from :func:`samples`).

    ``T = Σc^-1/2 (Σc^1/2 Σs Σc^1/2)^1/2 Σc^-1/2``, the linear map of least
    mean squared displacement between the two Gaussians (Pitié & Kokaram 2007).
    A flat (rank-deficient) content covariance is regularised, so a grey
    photo still gets the style's mean.
    """
    return _mkl(content.mean(axis=0), np.cov(content.T), style.mean(axis=0), np.cov(style.T))


def _mkl(mean_c, cov_c, mean_s, cov_s, ridge: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The MKL map between two Gaussians; ``ridge`` (relative to the trace) steadies a near-flat content."""
    root, inverse_root = _sqrt_and_inverse(cov_c + np.eye(3) * (1e-7 + ridge * np.trace(cov_c)))
    middle, _ = _sqrt_and_inverse(root @ cov_s @ root)
    transform = inverse_root @ middle @ inverse_root
    return transform, mean_s - transform @ mean_c


def fitted_mkl_map(content: np.ndarray, style: np.ndarray, iterations: int = GAMUT_ITERATIONS,
                   tolerance: float = GAMUT_TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mkl_map` refined so that the *clipped* result has the style's covariance.

    Each round maps a subsample of the content, clips it to [0, 1] as the
    image will be, and composes the MKL map from that to the style onto the
    map so far; it stops when the largest covariance difference is under
    ``tolerance`` (or after ``iterations`` rounds).
    """
    mean_s, cov_s = style.mean(axis=0), np.cov(style.T)
    transform, offset = _mkl(content.mean(axis=0), np.cov(content.T), mean_s, cov_s)
    sub = content[::max(1, len(content) // GAMUT_SAMPLES)]
    for _ in range(iterations):
        clipped = np.clip(sub @ transform.T + offset, 0.0, 1.0)
        cov = np.cov(clipped.T)
        if np.abs(cov - cov_s).max() < tolerance:
            break
        # After a grey style the clipped samples are nearly grey too: without the ridge the
        # inverse root of their covariance would blow numerical noise up into colour.
        step, shift = _mkl(clipped.mean(axis=0), cov, mean_s, cov_s, ridge=1e-4)
        transform, offset = step @ transform, step @ offset + shift
    return transform, offset


def _apply_affine(image: np.ndarray, transform: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """``uint8`` RGB through ``x -> T x + b`` (T, b in [0, 1] units), rounded and clipped by OpenCV."""
    import cv2

    matrix = np.hstack([transform, (offset * 255.0)[:, None]]).astype(np.float32)
    return cv2.transform(np.ascontiguousarray(image[..., :3]), matrix)


def _reinhard(image: np.ndarray, content: np.ndarray, style: np.ndarray, strength: float) -> np.ndarray:
    import cv2

    def lab_stats(rgb):
        lab = cv2.cvtColor(rgb.astype(np.float32).reshape(-1, 1, 3), cv2.COLOR_RGB2Lab).reshape(-1, 3)
        return lab.mean(axis=0, dtype=np.float64), lab.std(axis=0, dtype=np.float64) + 1e-6

    (mc, sc), (ms, ss) = lab_stats(content), lab_stats(style)
    scale = 1 + strength * (ss / sc - 1)
    shift = strength * (ms - mc * ss / sc)
    matrix = np.hstack([np.diag(scale), shift[:, None]]).astype(np.float32)
    # float Lab: the 8-bit Lab round trip alone moves colours by a level or two
    lab = cv2.cvtColor(image[..., :3].astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
    rgb = cv2.cvtColor(cv2.transform(lab, matrix), cv2.COLOR_Lab2RGB)
    return np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)


def histogram_tables(content: np.ndarray, style: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """``uint8 (256, 3)``: per channel, the level whose style quantile equals the content level's quantile."""
    levels = np.arange(256)
    tables = np.empty((256, 3), np.uint8)
    for c in range(3):
        cdf_c = np.cumsum(np.bincount(np.round(content[:, c] * 255).astype(int), minlength=256)) / len(content)
        cdf_s = np.cumsum(np.bincount(np.round(style[:, c] * 255).astype(int), minlength=256)) / len(style)
        matched = np.interp(cdf_c, cdf_s, levels)
        tables[:, c] = np.clip(np.round(levels + strength * (matched - levels)), 0, 255)
    return tables


def match_colours(image: np.ndarray, style: np.ndarray, method: str = "mkl", strength: float = 1.0,
                  where: np.ndarray | None = None, style_where: np.ndarray | None = None) -> np.ndarray:
    """``image`` with the colours of ``style``.

    Parameters
    ----------
    image, style : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A); the style's alpha marks which of its
        pixels count.
    method : str
        One of :data:`METHODS`.
    strength : float
        0 (the photo) to 1 (the full transfer).
    where : numpy.ndarray or None
        ``uint8 (H, W)``: the photo's pixels whose colours are measured
        (>= 128; the part being changed). None: all (opaque) pixels.
    style_where : numpy.ndarray or None
        The same for the style image.

    Returns
    -------
    numpy.ndarray
        ``uint8``, ``image``'s shape; alpha copied. Every pixel is mapped:
        the caller blends it under a mask.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown colour method '{method}'. Choose one of: {', '.join(METHODS)}.")
    strength = float(np.clip(strength, 0.0, 1.0))
    if strength == 0.0:
        return np.array(image, copy=True)
    content, reference = samples(image, where), samples(style, style_where)
    if method == "mkl":
        transform, offset = fitted_mkl_map(content, reference)
        rgb = _apply_affine(image, np.eye(3) + strength * (transform - np.eye(3)), strength * offset)
    elif method == "reinhard":
        rgb = _reinhard(image, content, reference, strength)
    else:
        import cv2

        rgb = cv2.LUT(np.ascontiguousarray(image[..., :3]),
                      histogram_tables(content, reference, strength).reshape(256, 1, 3))
    if image.shape[2] == 4:
        return np.concatenate([rgb, image[..., 3:]], axis=2)
    return rgb


def covariance_error(result: np.ndarray, style: np.ndarray) -> float:
    """Largest absolute difference between the RGB covariances (in [0, 1] units) of two images."""
    return float(np.abs(np.cov(samples(result).T) - np.cov(samples(style).T)).max())
