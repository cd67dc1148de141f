"""Closed-form latent directions (SeFa, Shen & Zhou 2021) and their cache.

SeFa takes the matrix ``W`` that maps z linearly to the first layer's output
(``z @ W``, W of shape ``(D, F)``) and returns the eigenvectors of ``W W^T``
(``D x D``) with the largest eigenvalues: the unit directions in z space that
change that output the most. They are orthonormal, so for a standard-normal z
moving by ``sigma * v`` is ``sigma`` standard deviations along ``v``.

numpy only (no torch): the UI can read cached directions cheaply.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CACHE_VERSION = 1


@dataclass(frozen=True)
class Directions:
    """Principal latent directions of one model.

    Attributes
    ----------
    values : numpy.ndarray
        ``float32 (K,)``, eigenvalues, descending.
    vectors : numpy.ndarray
        ``float32 (K, D)``, orthonormal rows in latent (z) space.
    """

    values: np.ndarray
    vectors: np.ndarray


def sefa_directions(weight: np.ndarray, count: int) -> Directions:
    """The top ``count`` (at most D) directions of a ``(D, F)`` first-layer map.

    Each vector's sign is fixed (largest-magnitude component positive) so a
    recomputation after the cache is cleared gives the same slider meanings.
    """
    w = np.asarray(weight, dtype=np.float64)
    values, vectors = np.linalg.eigh(w @ w.T)          # ascending, columns
    order = np.argsort(values)[::-1][:max(0, min(count, w.shape[0]))]
    values, vectors = values[order], vectors[:, order].T
    signs = np.sign(vectors[np.arange(len(vectors)), np.abs(vectors).argmax(axis=1)])
    vectors = vectors * np.where(signs == 0, 1.0, signs)[:, None]
    return Directions(values.astype(np.float32), vectors.astype(np.float32))


def cache_path(cache_dir: Path, model_hash: str, count: int) -> Path:
    return Path(cache_dir) / f"directions-sefa-{model_hash}-{count}.npz"


def load_cached(cache_dir: Path, model_hash: str, count: int, latent_dim: int) -> Directions | None:
    """The cached directions, or None when absent, unreadable or of the wrong shape."""
    path = cache_path(cache_dir, model_hash, count)
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != CACHE_VERSION:
                return None
            values, vectors = data["values"], data["vectors"]
    except Exception:  # truncated or foreign file (BadZipFile, EOFError, ...): recompute it
        return None
    if vectors.ndim != 2 or vectors.shape[1] != latent_dim or values.shape != (vectors.shape[0],):
        return None
    return Directions(values.astype(np.float32), vectors.astype(np.float32))


def save_cached(cache_dir: Path, model_hash: str, count: int, directions: Directions) -> Path:
    """Write atomically (a reader never sees half a file)."""
    path = cache_path(cache_dir, model_hash, count)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.part")
    with open(partial, "wb") as handle:
        np.savez(handle, values=directions.values, vectors=directions.vectors,
                 version=np.int64(CACHE_VERSION))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return path
