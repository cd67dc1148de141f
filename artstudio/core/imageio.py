"""Reading and writing images and masks.

Everything that touches image files goes through this module so that the
rest of the program only ever sees ``uint8`` RGB(A) arrays, and so that every
problem a user can cause (a damaged file, a missing folder, a full disk)
arrives as a one-line :class:`ImageError` instead of a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError, features

from .atomic import atomic_save
from .decode import (ORIENT, ImageError, check_decodable, decode_float_tiff, decode_with_opencv, decode_with_pillow,
                     orientation, refuse_if_truncated, source_bit_depth)

__all__ = [
    "DECODERS", "ImageError", "atomic_save", "LoadedImage", "MAX_PIXELS", "READ_EXTENSIONS",
    "WRITE_EXTENSIONS", "load_image", "load_mask", "read_text_chunk", "save_image", "save_mask",
]

_log = logging.getLogger(__name__)


MAX_PIXELS: int = 250_000_000
READ_EXTENSIONS: tuple[str, ...] = (
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")
# The only Pillow decoders a file from outside may reach. Without this list
# Pillow picks the decoder from the content, so a PostScript file named
# scan.jpg would be handed to the system Ghostscript (which can write files)
# and a few bytes of EPS could ask for gigapixels. Adding a format here is a
# decision: check its decoder's history first and list it in the README.
DECODERS: tuple[str, ...] = ("PNG", "JPEG", "TIFF", "WEBP", "BMP")
WRITE_EXTENSIONS: tuple[str, ...] = (
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")

_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG",
                 ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
_MAX_SIDE = {"JPEG": 65_500, "WEBP": 16_383}
# Pillow's own bomb limit (~89 MP) would reject scans we accept; raise it to
# ours so that our clearer check runs first, but never lower a caller's.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS

@dataclass(frozen=True, eq=False)
class LoadedImage:
    """An image read from disk.

    Attributes
    ----------
    pixels : numpy.ndarray
        ``uint8`` array of shape (H, W, 3) or (H, W, 4), RGB(A) with straight
        alpha, C-contiguous and writeable.
    path : pathlib.Path
        The file it came from.
    format : str
        Pillow's format name, one of :data:`DECODERS` (or ``"MPO"``, a
        JPEG holding several pictures).
    bit_depth : int
        8, or 16 when the file stored more than 8 bits per channel
        (floating-point TIFF included).
    """

    pixels: np.ndarray
    path: Path
    format: str
    bit_depth: int

    @property
    def has_alpha(self) -> bool:
        """Whether the pixels carry an alpha channel."""
        return self.pixels.shape[2] == 4

    @property
    def size(self) -> tuple[int, int]:
        """Image size as ``(width, height)``."""
        return self.pixels.shape[1], self.pixels.shape[0]


def load_image(path, *, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Read an image file as 8-bit RGB or RGBA.

    Parameters
    ----------
    path : str or os.PathLike
        File to read; the content decides the format, not the extension,
        but only the decoders in :data:`DECODERS` are ever tried.
    max_pixels : int, optional
        Images with more pixels are refused before any pixel is decoded.

    Returns
    -------
    LoadedImage
        Pixels upright (EXIF orientation applied); greyscale becomes RGB,
        and any transparency becomes an alpha channel. 16-bit sources are
        rounded to 8 bits.

    Raises
    ------
    ImageError
        If the file is missing, unreadable, damaged, or too large.
    """
    path = Path(path)
    name = path.name or str(path)
    _check_source(path, name)
    with _user_errors(path, name), _pillow_limit_silenced(max_pixels):
        try:
            source = Image.open(path, formats=DECODERS)
        except UnidentifiedImageError:
            pixels = decode_float_tiff(path, name, max_pixels)   # the one TIFF Pillow cannot read
            if pixels is None:
                raise
            return LoadedImage(pixels, path, "TIFF", 16)
        with source as im:
            width, height = im.size
            if width * height > max_pixels:
                raise ImageError(
                    f"Cannot open '{name}': {width}x{height} pixels is "
                    f"larger than the {_describe_limit(max_pixels)} limit.")
            depth = source_bit_depth(im, path)
            truncation = check_decodable(im, path, name, depth)
            turn = orientation(im)
            pixels = None
            if depth > 8:
                pixels = decode_with_opencv(path, im.size)
            if pixels is None:
                pixels = decode_with_pillow(im)
            if truncation is not None:
                refuse_if_truncated(truncation.result(), name)
            fmt = im.format or "unknown"
        pixels = np.ascontiguousarray(ORIENT.get(turn, lambda a: a)(pixels))
    return LoadedImage(pixels, path, fmt, 16 if depth > 8 else 8)


def read_text_chunk(path, key: str) -> str | None:
    """The text stored under ``key`` in an image's header (a PNG tEXt/iTXt
    chunk before the pixels), or None; no pixel is decoded.

    Raises
    ------
    ImageError
        If the file is missing, unreadable or not an image ArtStudio opens.
    """
    path = Path(path)
    name = path.name or str(path)
    _check_source(path, name)
    with _user_errors(path, name):
        with Image.open(path, formats=DECODERS) as im:
            text = im.info.get(key)
    return None if text is None else str(text)


@contextlib.contextmanager
def _user_errors(path: Path, name: str):
    """Every way a decoder can fail, as the one line a user reads."""
    try:
        yield
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning only arrives here when warnings are made errors.
        raise ImageError(f"Cannot open '{name}': the image has too many "
                         "pixels to open safely.") from None
    except FileNotFoundError:
        raise ImageError(f"File not found: '{name}'") from None
    except PermissionError:
        raise ImageError(f"Cannot open '{name}': permission denied.") from None
    except UnidentifiedImageError:
        raise ImageError(f"Cannot open '{name}': {_not_supported(path)}") from None
    except MemoryError:
        raise ImageError(f"Cannot open '{name}': not enough memory.") from None
    except Exception:
        # Decoders fail with OSError, SyntaxError, ValueError, zlib.error...
        # all meaning the same thing to the user; keep the detail for logs.
        _log.debug("decoding %s failed", path, exc_info=True)
        raise ImageError(f"Cannot open '{name}': the file is damaged or "
                         "incomplete.") from None


_OPENS = "(PNG, JPEG, TIFF, WebP or BMP)"
_NOT_SUPPORTED = f"the file is damaged or not an image ArtStudio opens {_OPENS}."
# Leading bytes of formats people try to open, named only in the refusal: a
# valid PDF or GIF is "not supported", not "damaged". Nothing here is decoded.
_KNOWN_OTHERS = ((b"%PDF", "a PDF document"), (b"%!PS", "a PostScript file"),
                 (b"\xc5\xd0\xd3\xc6", "an EPS file"), (b"GIF8", "a GIF image"),
                 (b"8BPS", "a Photoshop document"), (b"\x00\x00\x01\x00", "an icon file"),
                 (b"qoif", "a QOI image"), (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
                 (b"\xffO\xffQ", "a JPEG 2000 image"), (b"DDS ", "a DDS texture"),
                 (b"gimp xcf", "a GIMP document"), (b"PK\x03\x04", "a zip archive (a Krita .kra?)"))


def _not_supported(path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return _NOT_SUPPORTED
    what = next((name for magic, name in _KNOWN_OTHERS if head.startswith(magic)), None)
    if what is None and head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"heic", b"heix", b"mif1"):
        what = "an AVIF/HEIF image"
    if what is None:
        return _NOT_SUPPORTED
    return f"it is {what}, which ArtStudio does not open; it opens {_OPENS[1:-1]}."


def load_mask(path, size: tuple[int, int] | None = None, *,
              max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a mask file as ``uint8 (H, W)``, 0 = keep and 255 = fill.

    Parameters
    ----------
    path : str or os.PathLike
        Any readable image. If it has a real alpha channel (not fully
        opaque) the alpha is the mask, otherwise its luminance is.
    size : tuple of int, optional
        ``(width, height)`` of the image the mask belongs to; a mask of
        another size is refused.
    max_pixels : int, optional
        As for :func:`load_image`.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape (H, W).

    Raises
    ------
    ImageError
        If the file cannot be read or its size does not match ``size``.
    """
    loaded = load_image(path, max_pixels=max_pixels)
    if size is not None and tuple(size) != loaded.size:
        (mw, mh), (iw, ih) = loaded.size, tuple(size)
        raise ImageError(f"Mask '{loaded.path.name}' is {mw}x{mh} but the "
                         f"image is {iw}x{ih}.")
    px = loaded.pixels
    if loaded.has_alpha and px[..., 3].min() < 255:
        return px[..., 3].copy()
    # ITU-R 601 weights, as Pillow's "L" conversion, in integers so that a
    # grey pixel maps back to exactly its own value.
    lum = px[..., 0] * np.uint32(299) + px[..., 1] * np.uint32(587)
    lum += px[..., 2] * np.uint32(114) + np.uint32(500)
    return (lum // 1000).astype(np.uint8)


def save_image(path, pixels: np.ndarray, *, quality: int = 95) -> Path:
    """Write an RGB(A) image atomically; the extension picks the format.

    Parameters
    ----------
    path : str or os.PathLike
        Target file, one of :data:`WRITE_EXTENSIONS` (any case).
    pixels : numpy.ndarray
        ``uint8`` array of shape (H, W, 3) or (H, W, 4), straight alpha.
    quality : int, optional
        1-100, for JPEG and WebP; WebP at 100 is lossless. JPEG has no
        alpha, so transparent pixels are composited over white.

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
    fmt = _save_format(path)
    if (not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8
            or pixels.ndim != 3 or pixels.shape[2] not in (3, 4)
            or pixels.size == 0):
        raise ValueError("pixels must be a non-empty uint8 (H, W, 3|4) array")
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"quality must be 1-100, not {quality}")
    height, width = pixels.shape[:2]
    if max(width, height) > _MAX_SIDE.get(fmt, 2**31):
        raise ImageError(f"Cannot save '{path.name}': {fmt} images cannot be "
                         f"larger than {_MAX_SIDE[fmt]} pixels on a side.")
    options = {}
    if fmt == "PNG":
        options["compress_level"] = 3  # level 6+ is much slower on 24 MP
    elif fmt == "JPEG":
        if pixels.shape[2] == 4:
            rgb = pixels[..., :3].astype(np.uint16)
            alpha = pixels[..., 3:].astype(np.uint16)
            pixels = ((rgb * alpha + 255 * (255 - alpha) + 127) // 255
                      ).astype(np.uint8)
        options["quality"] = int(quality)
        if quality >= 90:
            options["subsampling"] = 0  # 4:2:0 smears colour detail
    elif fmt == "WEBP":
        if quality == 100:
            # exact keeps the colour under transparent pixels intact
            options.update(lossless=True, exact=True)
        else:
            options["quality"] = int(quality)
    elif fmt == "TIFF" and features.check_codec("libtiff"):
        options["compression"] = "tiff_lzw"
    image = Image.fromarray(np.ascontiguousarray(pixels))
    return atomic_save(path, image, fmt, options)


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


def _check_source(path: Path, name: str) -> None:
    # Checked up front because Pillow reports these as confusing errors
    # (an empty file is "cannot identify image file").
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageError(f"File not found: '{name}'") from None
    except PermissionError:
        raise ImageError(f"Cannot open '{name}': permission denied.") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or "the path is not valid"
        raise ImageError(f"Cannot open '{name}': {reason}.") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageError(f"Cannot open '{name}': it is a folder, not a file.")
    if not stat.S_ISREG(st.st_mode):
        raise ImageError(f"Cannot open '{name}': it is not a regular file.")
    if st.st_size == 0:
        raise ImageError(f"Cannot open '{name}': the file is empty.")


@contextlib.contextmanager
def _pillow_limit_silenced(max_pixels: int):
    # Pillow warns above its own limit; when the caller allows more than
    # that, ours is the check that counts. catch_warnings() touches global
    # state, so only pay for it in that rare case.
    limit = Image.MAX_IMAGE_PIXELS
    if limit is None or max_pixels <= limit:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def _describe_limit(max_pixels: int) -> str:
    if max_pixels >= 1_000_000:
        return f"{max_pixels / 1_000_000:g}-megapixel"
    return f"{max_pixels:,}-pixel"


def _save_format(path: Path) -> str:
    fmt = _SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        kind = (f"'{path.suffix}' files are not supported" if path.suffix
                else "the name has no extension")
        raise ImageError(f"Cannot save '{path.name}': {kind}; use one of "
                         f"{', '.join(WRITE_EXTENSIONS)}.")
    return fmt
