"""Distances between two sets of feature vectors: Fréchet distance, KID, precision/recall/density/coverage.

numpy and scipy only. Features are ``(N, D)`` arrays, one row per image,
computed by any feature network (ArtStudio's own, see
:mod:`artstudio.models.features`, or the FID Inception network, see
:mod:`artstudio.models.inception`); the figures are only as comparable as
the features are: FD on ArtStudio's features is not FID.

- :func:`frechet_distance`: ``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``
  (Heusel et al. 2017), the trace of the matrix square root taken from the
  eigenvalues of ``S1^(1/2) S2 S1^(1/2)``, which is symmetric positive
  semi-definite: the same number ``scipy.linalg.sqrtm`` gives (pytorch-fid's
  route), without its complex round-off on rank-deficient covariances.
- :func:`kid`: the unbiased squared MMD with the cubic polynomial kernel
  ``(x.y / D + 1)^3`` (Binkowski et al. 2018), averaged over random subsets.
- :func:`prdc`: k-nearest-neighbour precision, recall, density and coverage
  (Naeem et al. 2020, the authors' reference implementation, k = 5).
- :func:`mean_pairwise_distance`: sample diversity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_IMAGES = 200           # below this, a mild blur is not always ranked worse than real (docs/BENCHMARKS.md)
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
KID_WHOLE_KERNELS = 2000       # sets up to this size: all kernels once, subsets read blocks
PRDC_K = 5


class TooFewImages(ValueError):
    """A set too small for a stable figure; the message says how many are needed."""


def check_count(count: int, what: str, needed: int | None = None) -> None:
    """:class:`TooFewImages` (one line) when ``count < needed`` (default :data:`MIN_IMAGES`)."""
    needed = MIN_IMAGES if needed is None else needed
    if count < needed:
        raise TooFewImages(f"{what} has {count} usable image{'s' if count != 1 else ''}; at least {needed} are "
                           f"needed for a stable figure (1,000 or more recommended).")


@dataclass(frozen=True)
class Gaussian:
    """Mean ``(D,)`` and covariance ``(D, D)`` of a feature set, float64.

    ``factor``: for a set of ``N <= D`` vectors, the centred rows over
    ``sqrt(N - 1)`` (``cov = factor.T @ factor``), which lets
    :func:`frechet_distance` work in the N-dimensional sample space.
    """

    mean: np.ndarray
    cov: np.ndarray
    count: int
    factor: np.ndarray | None = None

    @classmethod
    def of(cls, features: np.ndarray) -> "Gaussian":
        x = np.asarray(features, np.float64)
        if x.ndim != 2 or len(x) < 2:
            raise ValueError("need at least two feature vectors, shaped (N, D)")
        mean = x.mean(axis=0)
        factor = (x - mean) / np.sqrt(len(x) - 1)
        return cls(mean, factor.T @ factor, len(x), factor if len(x) <= x.shape[1] else None)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def _trace_sqrt_product(a: Gaussian, b: Gaussian) -> float:
    """``tr (S_a S_b)^(1/2)``: in sample space when a set is smaller than the dimension, else in feature space.

    With ``S_a = F.T F`` (F: N x D), ``S_a^(1/2) S_b S_a^(1/2)`` has the
    non-zero eigenvalues of ``F S_b F.T`` (N x N): the same trace, exactly.
    """
    small = min((g for g in (a, b) if g.factor is not None), key=lambda g: g.count, default=None)
    if small is not None:
        other = b if small is a else a
        middle = small.factor @ other.cov @ small.factor.T
    else:
        root = _psd_sqrt(a.cov)
        middle = root @ b.cov @ root
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum())


def frechet_distance(a: Gaussian, b: Gaussian) -> float:
    """The Fréchet distance between two Gaussians (0 for identical ones; units: squared feature units)."""
    diff = a.mean - b.mean
    value = float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2.0 * _trace_sqrt_product(a, b))
    return max(value, 0.0)


def _cubic_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    k = a @ b.T / a.shape[1] + 1.0
    return k * k * k                     # not ** 3: numpy's pow is ten times slower


def _mmd2_unbiased(k_xx: np.ndarray, k_yy: np.ndarray, k_xy: np.ndarray) -> float:
    m, n = len(k_xx), len(k_yy)
    xx = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    yy = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * k_xy.mean())


def kid(real: np.ndarray, fake: np.ndarray, subsets: int = KID_SUBSETS,
        subset_size: int = KID_SUBSET_SIZE, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception-style distance: ``(mean, std)`` of the unbiased MMD^2 over random subsets.

    Each subset draws ``m = min(subset_size, n_real // 2, n_fake // 2)`` rows
    of each set without replacement; half the smaller set, so the subsets
    differ and the standard deviation says how noisy the mean is (with
    ``m = n`` every subset would be the same set, in another order). The
    estimate is unbiased: about 0 for two draws of one distribution, and
    it may be slightly negative. For sets of up to 2,000 the kernels of all
    pairs are computed once and each subset reads its block (same values).
    """
    x, y = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    m = min(subset_size, len(x) // 2, len(y) // 2)
    if m < 2:
        raise TooFewImages("KID needs at least 4 images in each set")
    whole = max(len(x), len(y)) <= KID_WHOLE_KERNELS       # 3 x 2000^2 float64: 96 MB
    if whole:
        k_xx, k_yy, k_xy = _cubic_kernel(x, x), _cubic_kernel(y, y), _cubic_kernel(x, y)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        i, j = rng.choice(len(x), m, replace=False), rng.choice(len(y), m, replace=False)
        if whole:
            values.append(_mmd2_unbiased(k_xx[np.ix_(i, i)], k_yy[np.ix_(j, j)], k_xy[np.ix_(i, j)]))
        else:
            values.append(_mmd2_unbiased(_cubic_kernel(x[i], x[i]), _cubic_kernel(y[j], y[j]),
                                         _cubic_kernel(x[i], y[j])))
    values = np.array(values)
    return float(values.mean()), float(values.std())


def pairwise_distances(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Euclidean distances ``(len(a), len(b))`` (``b`` None: ``a`` with itself), float64."""
    a = np.asarray(a, np.float64)
    b = a if b is None else np.asarray(b, np.float64)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(squared, 0, None))


def _kth_neighbour_radius(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest other row (the row itself is the 0th)."""
    distances = pairwise_distances(features)
    return np.partition(distances, k, axis=1)[:, k]


def prdc(real: np.ndarray, fake: np.ndarray, k: int = PRDC_K) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` against ``real`` (Naeem et al. 2020).

    Precision: share of fakes inside some real's k-NN ball; recall: share of
    reals inside some fake's k-NN ball; density: fakes counted per real ball,
    over k (about 1 for the same distribution, can exceed 1); coverage: share
    of real balls holding at least one fake. All in [0, 1] but density;
    higher is better.
    """
    if min(len(real), len(fake)) <= k:
        raise TooFewImages(f"precision/recall need more than k = {k} images in each set")
    real_radius = _kth_neighbour_radius(real, k)
    fake_radius = _kth_neighbour_radius(fake, k)
    between = pairwise_distances(real, fake)               # (n_real, n_fake)
    inside_real = between < real_radius[:, None]
    return {
        "precision": float(inside_real.any(axis=0).mean()),
        "recall": float((between < fake_radius[None, :]).any(axis=1).mean()),
        "density": float(inside_real.sum(axis=0).mean() / k),
        "coverage": float((between.min(axis=1) < real_radius).mean()),
    }


def mean_pairwise_distance(features: np.ndarray, pairs: int = 0, seed: int = 0) -> float:
    """Mean Euclidean distance between distinct rows (all pairs, or ``pairs`` random ones)."""
    x = np.asarray(features, np.float64)
    n = len(x)
    if n < 2:
        raise TooFewImages("diversity needs at least two images")
    if pairs <= 0:
        distances = pairwise_distances(x)
        return float(distances.sum() / (n * (n - 1)))
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, pairs)
    j = (i + rng.integers(1, n, pairs)) % n            # never a row with itself
    return float(np.linalg.norm(x[i] - x[j], axis=1).mean())
