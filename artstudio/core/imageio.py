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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .atomic import atomic_save
from .decode import (ORIENT, ImageError, check_decodable, decode_float_tiff, decode_with_opencv, decode_with_pillow,
                     orientation, refuse_if_truncated, source_bit_depth)
from .file_meta import NO_META, SourceMeta, read_meta
from .imagesave import FORMAT_EXTENSIONS, WRITE_EXTENSIONS, save_image, save_mask

__all__ = [
    "DECODERS", "FORMAT_EXTENSIONS", "ImageError", "atomic_save", "LoadedImage", "MAX_PIXELS", "READ_EXTENSIONS",
    "SourceMeta", "WRITE_EXTENSIONS", "load_image", "load_mask", "mask_from_pixels", "read_source_meta",
    "read_text_chunk",
    "save_image", "save_mask",
]

_log = logging.getLogger(__name__)


MAX_PIXELS: int = 250_000_000
READ_EXTENSIONS: tuple[str, ...] = (
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".ora")
# The only Pillow decoders a file from outside may reach. Without this list
# Pillow picks the decoder from the content, so a PostScript file named
# scan.jpg would be handed to the system Ghostscript (which can write files)
# and a few bytes of EPS could ask for gigapixels. Adding a format here is a
# decision: check its decoder's history first and list it in the README.
# OpenRaster (.ora) is a zip read by core/ora.py, whose layers go through PNG alone.
DECODERS: tuple[str, ...] = ("PNG", "JPEG", "TIFF", "WEBP", "BMP")
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
    meta : SourceMeta
        What a save keeps from this file: EXIF, ICC profile, JPEG quality.
    mask : numpy.ndarray or None
        ``uint8 (H, W)``, the mask the file itself holds (the layer named
        "mask" of an OpenRaster file), else None.
    layers : object
        An OpenRaster file's own layers (:class:`~artstudio.core.ora.KeptLayers`)
        to write back around the restored photo, else None.
    sampling : dict
        The content-aware fill's sampling areas an ArtStudio .ora holds
        (``"sample_from"``, ``"sample_never"``: ``uint8 (H, W)``), else empty.
    """

    pixels: np.ndarray
    path: Path
    format: str
    bit_depth: int
    meta: SourceMeta = NO_META
    mask: np.ndarray | None = None
    layers: object = None
    sampling: dict = field(default_factory=dict)

    @property
    def has_alpha(self) -> bool:
        """Whether the pixels carry an alpha channel."""
        return self.pixels.shape[2] == 4

    @property
    def size(self) -> tuple[int, int]:
        """Image size as ``(width, height)``."""
        return self.pixels.shape[1], self.pixels.shape[0]


def load_image(path, *, max_pixels: int = MAX_PIXELS, decoders: tuple[str, ...] = DECODERS,
               name: str | None = None) -> LoadedImage:
    """Read an image file as 8-bit RGB or RGBA.

    Parameters
    ----------
    path : str or os.PathLike
        File to read; the content decides the format, not the extension,
        but only the decoders in :data:`DECODERS` are ever tried. An
        OpenRaster file gives its composite image (:func:`artstudio.core.ora.read_ora`).
    max_pixels : int, optional
        Images with more pixels are refused before any pixel is decoded.
    decoders : tuple of str, optional
        A narrower list than :data:`DECODERS` (an OpenRaster layer: PNG only).
    name : str, optional
        What messages call the file (default: its name).

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
    name = name or path.name or str(path)
    _check_source(path, name)
    head = _head(path)
    if head.startswith(b"PK\x03\x04") and decoders == DECODERS:
        from .ora import read_ora       # a zip: OpenRaster, or refused with what it is

        return read_ora(path, max_pixels=max_pixels)
    with _user_errors(path, name), _pillow_limit_silenced(max_pixels):
        try:
            source = Image.open(path, formats=decoders)
        except UnidentifiedImageError:
            pixels = decode_float_tiff(path, name, max_pixels) if "TIFF" in decoders else None
            if pixels is None:   # above: the one TIFF Pillow cannot read
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
            meta = read_meta(im, head)
        pixels = np.ascontiguousarray(ORIENT.get(turn, lambda a: a)(pixels))
    return LoadedImage(pixels, path, fmt, 16 if depth > 8 else 8, meta)


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(16)
    except OSError:
        return b""        # the decoder will say what is wrong


def read_source_meta(path) -> tuple[str | None, SourceMeta]:
    """``(format, meta)`` of an image file from its header alone (no pixel is decoded);
    ``(None, NO_META)`` when it cannot be read. For a document whose file was
    not opened here (a recovered one), so that a save still keeps its EXIF and quality."""
    path = Path(path)
    try:
        _check_source(path, path.name)
        if _head(path).startswith(b"PK\x03\x04"):
            return "ORA", NO_META
        with _user_errors(path, path.name), Image.open(path, formats=DECODERS) as im:
            return im.format, read_meta(im, _head(path))
    except ImageError:
        return None, NO_META


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


_OPENS = "(PNG, JPEG, TIFF, WebP, BMP or OpenRaster)"
_NOT_SUPPORTED = f"the file is damaged or not an image ArtStudio opens {_OPENS}."
# Leading bytes of formats people try to open, named only in the refusal: a
# valid PDF or GIF is "not supported", not "damaged". Nothing here is decoded.
_KNOWN_OTHERS = ((b"%PDF", "a PDF document"), (b"%!PS", "a PostScript file"),
                 (b"\xc5\xd0\xd3\xc6", "an EPS file"), (b"GIF8", "a GIF image"),
                 (b"8BPS", "a Photoshop document"), (b"\x00\x00\x01\x00", "an icon file"),
                 (b"qoif", "a QOI image"), (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
                 (b"\xffO\xffQ", "a JPEG 2000 image"), (b"DDS ", "a DDS texture"),
                 (b"gimp xcf", "a GIMP document (export it as OpenRaster .ora)"),
                 (b"PK\x03\x04", "a zip archive, not an OpenRaster image (a Krita .kra? export it as .ora)"))


def _not_supported(path) -> str:
    head = _head(path)
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
        opaque) the alpha is the mask, otherwise its luminance is; an
        OpenRaster file gives its layer named "mask" (or its composite).
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
    return loaded.mask if loaded.mask is not None else mask_from_pixels(loaded.pixels)


def mask_from_pixels(px: np.ndarray) -> np.ndarray:
    """The mask an RGB(A) image means: its alpha if any pixel is not opaque, else its luminance."""
    if px.shape[2] == 4 and px[..., 3].min() < 255:
        return px[..., 3].copy()
    # ITU-R 601 weights, as Pillow's "L" conversion, in integers so that a
    # grey pixel maps back to exactly its own value.
    lum = px[..., 0] * np.uint32(299) + px[..., 1] * np.uint32(587)
    lum += px[..., 2] * np.uint32(114) + np.uint32(500)
    return (lum // 1000).astype(np.uint8)


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
