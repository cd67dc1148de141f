"""Writing images and masks (re-exported by :mod:`artstudio.core.imageio`).

Every write is atomic (a temporary file, then one rename), and every problem a
user can cause arrives as one :class:`ImageError` line. A photo saved with the
:class:`~artstudio.core.file_meta.SourceMeta` it was opened with keeps its
EXIF, ICC profile and JPEG quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, features

from .atomic import atomic_save
from .decode import ImageError
from .file_meta import SourceMeta, has_sub_ifds, save_options

WRITE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".ora")
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
                ".webp": "WEBP", ".ora": "ORA"}
# The extension a format is saved under when the user has not chosen one.
FORMAT_EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "MPO": ".jpg", "TIFF": ".tif", "WEBP": ".webp",
                     "ORA": ".ora"}
_MAX_SIDE = {"JPEG": 65_500, "WEBP": 16_383}


def save_image(path, pixels: np.ndarray, *, quality: int | None = None, meta: SourceMeta | None = None) -> Path:
    """Write an RGB(A) image atomically; the extension picks the format.

    Parameters
    ----------
    path : str or os.PathLike
        Target file, one of :data:`WRITE_EXTENSIONS` (any case); ``.ora``
        writes a one-layer OpenRaster file (:mod:`artstudio.core.ora` writes
        several).
    pixels : numpy.ndarray
        ``uint8`` array of shape (H, W, 3) or (H, W, 4), straight alpha.
    quality : int, optional
        1-100, for JPEG and WebP; WebP at 100 is lossless. None (default):
        as the source in ``meta`` (a JPEG's own quantisation tables), else 95.
        JPEG has no alpha, so transparent pixels are composited over white.
    meta : SourceMeta, optional
        What the source file carried: its EXIF and ICC profile are written
        where the format holds them (PNG, JPEG, TIFF, WebP).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ImageError
        If the format is unsupported or the file cannot be written; an
        existing file at ``path`` is then left untouched.
    ValueError
        If ``pixels`` or ``quality`` are not valid.
    """
    path = Path(path)
    fmt = save_format(path)
    check_pixels(pixels)
    if quality is not None and not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be 1-100, not {quality}")
    height, width = pixels.shape[:2]
    if max(width, height) > _MAX_SIDE.get(fmt, 2**31):
        raise ImageError(f"Cannot save '{path.name}': {fmt} images cannot be "
                         f"larger than {_MAX_SIDE[fmt]} pixels on a side.")
    if fmt == "ORA":
        from .ora import OraLayer, write_ora

        return write_ora(path, [OraLayer("photo", pixels)], pixels)
    options = save_options(fmt, meta, None if quality is None else int(quality), (width, height))
    if fmt == "PNG":
        options["compress_level"] = 3  # level 6+ is much slower on 24 MP
    elif fmt == "JPEG" and pixels.shape[2] == 4:
        rgb = pixels[..., :3].astype(np.uint16)
        alpha = pixels[..., 3:].astype(np.uint16)
        pixels = ((rgb * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    elif fmt == "TIFF" and features.check_codec("libtiff") and not has_sub_ifds(options.get("exif")):
        # libtiff refuses EXIF's sub-IFDs (camera settings, GPS): keeping them wins over
        # LZW, and Pillow's own writer stores them, uncompressed.
        options["compression"] = "tiff_lzw"
    grey = _grey(pixels) if meta is not None and meta.grey and fmt in ("PNG", "TIFF", "JPEG") else None
    if grey is not None:                      # L or LA, as it came
        pixels = grey if pixels.shape[2] == 3 else np.stack([grey, pixels[..., 3]], axis=-1)
    image = Image.fromarray(np.ascontiguousarray(pixels))
    return atomic_save(path, image, fmt, options)


GREY_SPREAD = 2   # levels: a fill of a grey photo computed in colour (Lab) leaves its channels this close


def _grey(pixels: np.ndarray) -> np.ndarray | None:
    """The one channel of RGB(A) ``pixels`` whose channels differ by at most :data:`GREY_SPREAD`
    (their rounded mean: a pixel with equal channels keeps its value), else None (colour)."""
    rgb = pixels[..., :3]
    spread = rgb.max(axis=2).astype(np.int16) - rgb.min(axis=2)
    if int(spread.max()) > GREY_SPREAD:
        return None
    return ((rgb.astype(np.uint16).sum(axis=2) + 1) // 3).astype(np.uint8)


def check_pixels(pixels) -> None:
    """ValueError unless ``pixels`` is a non-empty ``uint8 (H, W, 3|4)`` array."""
    if (not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8
            or pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.size == 0):
        raise ValueError("pixels must be a non-empty uint8 (H, W, 3|4) array")


def save_mask(path, mask: np.ndarray) -> Path:
    """Write a mask as an 8-bit greyscale PNG, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Target file; must end in ``.png``.
    mask : numpy.ndarray
        ``uint8`` (or ``bool``) array of shape (H, W), 0 = keep, 255 = fill.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ImageError
        If the name does not end in ``.png`` or the file cannot be written.
    ValueError
        If ``mask`` is not a 2-D uint8 or bool array.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ImageError(f"Cannot save mask '{path.name}': masks are saved "
                         "as PNG, so the name must end in .png.")
    if not isinstance(mask, np.ndarray) or mask.ndim != 2 or mask.size == 0:
        raise ValueError("mask must be a non-empty (H, W) array")
    if mask.dtype == bool:
        mask = mask.astype(np.uint8) * np.uint8(255)
    elif mask.dtype != np.uint8:
        raise ValueError(f"mask must be uint8 or bool, not {mask.dtype}")
    image = Image.fromarray(np.ascontiguousarray(mask))
    return atomic_save(path, image, "PNG", {"compress_level": 3})


def save_format(path: Path) -> str:
    """The format the name of ``path`` asks for; ImageError (one line) if none."""
    fmt = SAVE_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        kind = (f"'{path.suffix}' files are not supported" if path.suffix
                else "the name has no extension")
        raise ImageError(f"Cannot save '{path.name}': {kind}; use one of "
                         f"{', '.join(WRITE_EXTENSIONS)}.")
    return fmt
