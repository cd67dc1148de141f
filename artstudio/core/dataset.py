"""A folder of images turned into one array of square training crops, cached between runs.

:func:`prepare_dataset` walks a folder recursively, decodes every PNG, JPEG,
WebP, TIFF or BMP it finds (in parallel: Pillow and OpenCV release the GIL),
and turns each into one square ``uint8`` tile:

- ``crop="center"``: the centred square, resized to ``size`` (area filter);
- ``crop="random"``: the centred square resized to ``margin * size``, so
  that training can take a random ``size`` crop of it each time it is drawn
  (see :func:`random_crops`).

Files that cannot be read, and images whose shorter side is below ``size``
(they would have to be enlarged, teaching the model blur), are skipped and
listed in the :class:`DataReport`, never raised. Only a folder with nothing
usable is an error (:class:`DatasetError`, one line).

The tiles are cached as ``.npy`` under ``cache_dir``, keyed by the list of
files with their sizes and modification times and by the tiling parameters,
so a second run on an unchanged folder starts at once. Only the
``CACHE_KEEP`` most recently used folders are kept.

:func:`prepare_photos` is the same scan, decode and cache for trainers that
take their own random crops of whole photos (the restoration networks): it
keeps every image at full resolution instead of one square tile.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .imageio import READ_EXTENSIONS, ImageError, load_image

CROPS = ("center", "random")
RANDOM_MARGIN = 1.125
CACHE_VERSION = 1
CACHE_KEEP = 4          # decoded folders kept; the least recently used go first
MAX_PIXELS = 100_000_000
PHOTO_CACHE_BYTES = 1 << 30     # whole photos take room: a bigger folder is decoded each run


class DatasetError(Exception):
    """A folder that cannot be trained on, with a one-line message for the user."""


@dataclass(frozen=True)
class DataReport:
    """What was found. ``skipped`` holds ``"relative/path: reason"`` lines."""

    folder: Path
    found: int
    used: int
    skipped: tuple[str, ...]
    cached: bool

    def summary(self) -> str:
        text = f"{self.used} of {self.found} images from {self.folder}"
        if self.skipped:
            text += f" ({len(self.skipped)} skipped)"
        return text + (" [from cache]" if self.cached else "")


def scan_images(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursive, hidden folders and files ignored), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"Training data folder '{folder}' does not exist.")
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / f for f in files
                  if not f.startswith(".") and Path(f).suffix.lower() in READ_EXTENSIONS]
    return sorted(found)


def prepare_dataset(folder: Path, size: int, crop: str = "center", cache_dir: Path | None = None,
                    workers: int | None = None, should_stop=None,
                    files: list[Path] | None = None) -> tuple[np.ndarray, DataReport]:
    """All usable images of ``folder`` as square tiles.

    Parameters
    ----------
    folder : Path
        Searched recursively.
    size : int
        The training resolution in px (the tile side for ``crop="center"``).
    crop : {"center", "random"}
    cache_dir : Path, optional
        Where tiles are cached; None disables the cache.
    workers : int, optional
        Decoding threads (default: the CPUs this process may use).
    should_stop : callable, optional
        Polled between files; when it returns True, :class:`InterruptedError`.
    files : list of Path, optional
        Only these images of ``folder`` (e.g. the captioned ones), in this order.

    Returns
    -------
    tiles : ndarray, uint8 (N, T, T, 3)
        ``T = size`` (center) or ``round(size * RANDOM_MARGIN)`` (random).
    report : DataReport
    """
    if crop not in CROPS:
        raise DatasetError(f"Unknown crop mode '{crop}'; choose {' or '.join(CROPS)}.")
    files = _files(folder) if files is None else list(files)
    tile = tile_side(size, crop)
    key = _cache_key(folder, files, size, tile)
    cached = _read_cache(cache_dir, key) if cache_dir is not None else None
    if cached is not None:
        tiles, skipped = cached
        return tiles, DataReport(Path(folder), len(files), len(tiles), skipped, True)
    images, skipped = _decode_all(Path(folder), files, size, lambda p: _square_tile(p, tile), workers,
                                  should_stop)
    tiles = np.stack(images) if images else np.empty((0, tile, tile, 3), np.uint8)
    if cache_dir is not None:
        _write_cache(cache_dir, key, tiles, skipped)
    return tiles, DataReport(Path(folder), len(files), len(tiles), tuple(skipped), False)


def prepare_photos(folder: Path, min_side: int, cache_dir: Path | None = None, workers: int | None = None,
                   should_stop=None) -> tuple[list[np.ndarray], DataReport]:
    """All usable images of ``folder`` at full resolution, RGB (alpha composited on white).

    Parameters are those of :func:`prepare_dataset`; ``min_side`` (px) is the
    shortest side an image must have (smaller ones are skipped and reported).
    Folders whose photos take more than ``PHOTO_CACHE_BYTES`` are not cached.

    Returns
    -------
    photos : list of ndarray, uint8 (H, W, 3)
        In the order of :func:`scan_images`.
    report : DataReport
    """
    files = _files(folder)
    key = _cache_key(folder, files, min_side, 0)
    cached = _read_photo_cache(cache_dir, key) if cache_dir is not None else None
    if cached is not None:
        photos, skipped = cached
        return photos, DataReport(Path(folder), len(files), len(photos), skipped, True)
    photos, skipped = _decode_all(Path(folder), files, min_side, _rgb, workers, should_stop)
    if cache_dir is not None and sum(p.nbytes for p in photos) <= PHOTO_CACHE_BYTES:
        flat = np.concatenate([p.reshape(-1) for p in photos])
        _write_cache(cache_dir, key, flat, skipped, [list(p.shape) for p in photos])
    return photos, DataReport(Path(folder), len(files), len(photos), tuple(skipped), False)


def _files(folder: Path) -> list[Path]:
    files = scan_images(folder)
    if not files:
        raise DatasetError(f"No images in '{folder}' (looked for {', '.join(READ_EXTENSIONS)}, "
                           "in subfolders too).")
    return files


def tile_side(size: int, crop: str) -> int:
    return size if crop == "center" else int(round(size * RANDOM_MARGIN))


def random_crops(tiles: np.ndarray, indices: np.ndarray, size: int, rng: np.random.Generator,
                 flip: bool = True) -> np.ndarray:
    """``uint8 (B, size, size, 3)``: a random ``size`` crop of each chosen tile, mirrored at random.

    Tiles already of side ``size`` are only flipped. Every draw comes from
    ``rng``, so a seeded generator gives the same batch every time.
    """
    side = tiles.shape[1]
    out = np.empty((len(indices), size, size, 3), np.uint8)
    for row, index in enumerate(indices):
        y, x = rng.integers(0, side - size + 1, size=2)
        crop = tiles[index, y:y + size, x:x + size]
        out[row] = crop[:, ::-1] if flip and rng.random() < 0.5 else crop
    return out


def _decode_all(folder: Path, files: list[Path], min_side: int, keep, workers, should_stop):
    """``keep(pixels)`` of every image with both sides >= ``min_side``, decoded in parallel."""
    def one(path: Path):
        if should_stop is not None and should_stop():
            raise InterruptedError
        try:
            pixels = load_image(path, max_pixels=MAX_PIXELS).pixels
        except ImageError as error:
            return None, str(error)
        except Exception as error:     # a decoder bug must not end the whole scan
            return None, f"cannot be read ({type(error).__name__})"
        if min(pixels.shape[:2]) < min_side:
            return None, f"{pixels.shape[1]}x{pixels.shape[0]} px is smaller than {min_side} px"
        return keep(pixels), None

    workers = workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                             else (os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, files))
    images = [t for t, _ in results if t is not None]
    skipped = [f"{p.relative_to(folder)}: {why}" for p, (t, why) in zip(files, results) if t is None]
    if not images:
        reasons = "; ".join(skipped[:3]) + (" ..." if len(skipped) > 3 else "")
        raise DatasetError(f"No usable images in '{folder}': all {len(files)} were skipped ({reasons}).")
    return images, skipped


def _rgb(pixels: np.ndarray) -> np.ndarray:
    """RGB ``uint8``: an alpha channel is composited on white (transparent means paper, not black)."""
    if pixels.shape[2] == 4:
        alpha = pixels[..., 3:4].astype(np.float32) / 255.0
        pixels = (pixels[..., :3] * alpha + 255.0 * (1 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(pixels[..., :3])


def _square_tile(pixels: np.ndarray, tile: int) -> np.ndarray:
    """The centred square of an RGB(A) image, resized to ``tile`` px."""
    import cv2

    pixels = _rgb(pixels)
    h, w = pixels.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    square = pixels[y:y + side, x:x + side]
    if side != tile:
        square = cv2.resize(square, (tile, tile), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(square)


def _cache_key(folder: Path, files: list[Path], size: int, tile: int) -> str:
    digest = hashlib.sha256(json.dumps([CACHE_VERSION, size, tile]).encode())
    for path in files:
        try:
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\0gone\n".encode())
    return digest.hexdigest()[:32]


def _read_cache(cache_dir: Path, key: str):
    found = _load_cached(cache_dir, key)
    if found is None:
        return None
    tiles, info = found
    if tiles.ndim != 4 or tiles.shape[-1] != 3 or not len(tiles):
        return None
    return tiles, tuple(info["skipped"])


def _read_photo_cache(cache_dir: Path, key: str):
    """Photos cached as one flat array plus their shapes; None unless every number adds up."""
    found = _load_cached(cache_dir, key)
    if found is None:
        return None
    flat, info = found
    try:
        shapes = [tuple(int(n) for n in shape) for shape in info["shapes"]]
    except (KeyError, TypeError, ValueError):
        return None
    sizes = [h * w * c for h, w, c in shapes] if all(len(s) == 3 and s[2] == 3 for s in shapes) else []
    if not sizes or min(sizes) <= 0 or flat.ndim != 1 or sum(sizes) != flat.size:
        return None
    ends = np.cumsum(sizes)
    photos = [flat[end - size:end].reshape(shape) for end, size, shape in zip(ends, sizes, shapes)]
    return photos, tuple(info["skipped"])


def _load_cached(cache_dir: Path, key: str):
    base = Path(cache_dir) / "datasets" / key
    try:
        array = np.load(base.with_suffix(".npy"), allow_pickle=False)
        info = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
        [str(line) for line in info["skipped"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if array.dtype != np.uint8:
        return None
    try:
        os.utime(base.with_suffix(".npy"))       # recently used: pruned last
    except OSError:
        pass
    return array, info


def _write_cache(cache_dir: Path, key: str, tiles: np.ndarray, skipped: list[str],
                 shapes: list[list[int]] | None = None) -> None:
    """Best effort: a full disk or a read-only cache only costs the next run its head start."""
    base = Path(cache_dir) / "datasets" / key
    info = {"skipped": list(skipped), **({"shapes": shapes} if shapes is not None else {})}
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        tmp = base.with_name(key + ".tmp.npy")
        np.save(tmp, tiles, allow_pickle=False)
        base.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")
        tmp.replace(base.with_suffix(".npy"))
        _prune(base.parent, CACHE_KEEP)
    except OSError:
        pass


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently used cached datasets."""
    cached = sorted(folder.glob("*.npy"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in cached[keep:]:
        if not old.name.endswith(".tmp.npy"):
            old.unlink(missing_ok=True)
            old.with_suffix(".json").unlink(missing_ok=True)
