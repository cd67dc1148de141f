"""What a saved photo keeps from the file it was opened from: EXIF, ICC profile, JPEG quality.

A JPEG opened and saved must stay a JPEG of about the same quality and size
(not balloon into a PNG), with its camera data and colour profile. The facts
are read once, from the open Pillow image, into a :class:`SourceMeta` that
travels with the pixels; :func:`save_options` turns them into Pillow's save
arguments for whatever format the user saves to.

JPEG quality: Pillow's ``quality="keep"`` works only when the image being
saved *is* the opened JPEG, never for edited pixels from numpy. What "keep"
does underneath is reuse the source's quantisation tables and chroma
subsampling, so that is what is kept here (:attr:`SourceMeta.jpeg_tables`):
a camera's own tables, not just the nearest IJG quality. The IJG quality
those tables come closest to (:func:`estimate_jpeg_quality`) is what a save
into another lossy format (WebP) uses, and what the window reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PIL import Image

_log = logging.getLogger(__name__)

ORIENTATION = 0x0112
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_PIXEL_X, _PIXEL_Y = 0xA002, 0xA003
# TIFF tags that describe how a TIFF's pixels are stored, not the photo: a TIFF's
# getexif() returns them beside the camera's tags, and copying them into another
# file would describe pixels that are not there.
_STORAGE_TAGS = frozenset({254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281,
                           284, 317, 320, 322, 323, 324, 325, 330, 338, 339, 340, 341, 347,
                           513, 514, 529, 530, 531, 532, 700, 33723, 34377, 34675})
# The IJG base tables (libjpeg's jcparam.c, natural order) that `quality` scales.
_IJG_LUMA = (16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
             14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
             49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99)
_IJG_CHROMA = (17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
               47, 66, 99, 99, 99, 99, 99, 99) + (99,) * 32
DEFAULT_QUALITY = 95


@dataclass(frozen=True)
class SourceMeta:
    """What the source file said beside its pixels (all None when unknown).

    Attributes
    ----------
    exif : bytes or None
        The EXIF block (``b"Exif\\0\\0"`` + TIFF data) with Orientation set
        to 1, because the pixels handed out are already upright, and with no
        thumbnail (it would show the unrestored photo).
    icc_profile : bytes or None
        The ICC profile, kept only when it describes RGB (pixels are RGB).
    jpeg_tables : tuple of tuple of int, or None
        The source JPEG's quantisation tables, 64 values each, natural order.
    jpeg_subsampling : int or None
        Pillow's subsampling code of the source JPEG (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0).
    jpeg_quality : int or None
        The IJG quality (1-100) closest to ``jpeg_tables``.
    webp_lossless : bool or None
        Whether a WebP source was lossless.
    grey : bool
        The source was greyscale (its pixels are handed out as RGB with equal channels):
        a save to PNG, TIFF or JPEG writes greyscale again while they stay equal (within the
        2 levels a fill computed in Lab leaves).
    """

    exif: bytes | None = None
    icc_profile: bytes | None = None
    jpeg_tables: tuple[tuple[int, ...], ...] | None = None
    jpeg_subsampling: int | None = None
    jpeg_quality: int | None = None
    webp_lossless: bool | None = None
    grey: bool = False

    def describe(self, fmt: str = "JPEG") -> str:
        """What a save in ``fmt`` keeps, for a status line: e.g. ``"JPEG quality ≈ 87, EXIF, colour profile"``."""
        parts = [f"JPEG quality ≈ {self.jpeg_quality}"] if self.jpeg_quality and fmt == "JPEG" else []
        parts += ["EXIF"] if self.exif else []
        parts += ["colour profile"] if self.icc_profile else []
        return ", ".join(parts)


NO_META = SourceMeta()
GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def read_meta(im: Image.Image, head: bytes = b"") -> SourceMeta:
    """The keepable facts of an open Pillow image; never raises (damaged metadata is dropped).

    ``head`` is the file's first bytes (a WebP's chunk header tells lossless from lossy).
    """
    try:
        icc = im.info.get("icc_profile") or None
        if icc is not None and (len(icc) < 20 or icc[16:20] != b"RGB "):
            icc = None                     # a grey or CMYK profile would be wrong for RGB pixels
        tables = subsampling = quality = None
        if im.format in ("JPEG", "MPO"):
            tables, subsampling = _jpeg_tables(im)
            quality = estimate_jpeg_quality(tables) if tables else None
        lossless = head[12:16] == b"VP8L" if im.format == "WEBP" and len(head) >= 16 else None
        grey = im.mode in GREY_MODES
        return SourceMeta(_clean_exif(im), icc, tables, subsampling, quality, lossless, grey)
    except Exception:                      # metadata is a courtesy: never lose the photo over it
        _log.debug("reading metadata failed", exc_info=True)
        return NO_META


def _jpeg_tables(im: Image.Image):
    from PIL import JpegImagePlugin

    raw = getattr(im, "quantization", None) or {}
    tables = tuple(tuple(int(v) for v in raw[k]) for k in sorted(raw))
    if not tables or any(len(t) != 64 or max(t) > 255 or min(t) < 1 for t in tables):
        return None, None                   # 16-bit tables: fall back to the estimated quality
    if len(tables) == 1:
        tables = tables * 2                 # a grey JPEG: its one table serves colour too
    sampling = JpegImagePlugin.get_sampling(im)
    return tables[:2], (sampling if sampling in (0, 1, 2) else None)


def estimate_jpeg_quality(tables) -> int:
    """The IJG quality (1-100) whose scaled tables are nearest to ``tables``.

    Parameters
    ----------
    tables : sequence of sequence of int
        Quantisation tables in natural order; the first is luminance, the
        second (if any) chrominance.

    Returns
    -------
    int
        Exact for files written by libjpeg, Pillow, OpenCV or GIMP at a
        quality setting; the nearest match for a camera's own tables.
    """
    bases = (_IJG_LUMA, _IJG_CHROMA)[:len(tables)]
    best, best_error = DEFAULT_QUALITY, None
    for quality in range(1, 101):
        scale = 5000 // quality if quality < 50 else 200 - 2 * quality
        error = 0
        for base, table in zip(bases, tables):
            error += sum(abs(min(max((b * scale + 50) // 100, 1), 255) - t) for b, t in zip(base, table))
        if best_error is None or error < best_error:
            best, best_error = quality, error
    return best


def _clean_exif(im: Image.Image) -> bytes | None:
    if im.format == "PNG" and "exif" not in im.info:
        return None                          # only an eXIf chunk before the pixels counts (decode.orientation)
    exif = im.getexif()
    for tag in [t for t in exif if t in _STORAGE_TAGS]:
        del exif[tag]
    if not exif:
        return None
    if ORIENTATION in exif:
        exif[ORIENTATION] = 1
    _load_sub_ifds(exif)
    return exif.tobytes()


def _load_sub_ifds(exif: Image.Exif) -> None:
    # Pillow writes a sub-IFD back only once it has been read; asking for one
    # that is absent would add an empty one.
    for tag in (_EXIF_IFD, _GPS_IFD):
        if tag in exif:
            exif.get_ifd(tag)


def has_sub_ifds(exif: bytes | None) -> bool:
    """Whether an EXIF block points to an Exif or GPS sub-IFD (libtiff cannot write those)."""
    if not exif:
        return False
    data = Image.Exif()
    data.load(exif)
    return _EXIF_IFD in data or _GPS_IFD in data


def _exif_for(exif: bytes, size: tuple[int, int]) -> bytes:
    """The kept EXIF with its pixel dimensions made true for ``size`` (an upscale changes them)."""
    data = Image.Exif()
    data.load(exif)
    _load_sub_ifds(data)
    sub = data.get_ifd(_EXIF_IFD) if _EXIF_IFD in data else {}
    if _PIXEL_X in sub or _PIXEL_Y in sub:
        sub[_PIXEL_X], sub[_PIXEL_Y] = size
    return data.tobytes()


def save_options(fmt: str, meta: SourceMeta | None, quality: int | None, size: tuple[int, int]) -> dict:
    """Pillow save arguments for ``fmt`` that keep what ``meta`` says.

    Parameters
    ----------
    fmt : str
        ``"PNG"``, ``"JPEG"``, ``"TIFF"`` or ``"WEBP"``.
    meta : SourceMeta or None
        What the source file carried; None keeps nothing.
    quality : int or None
        1-100 for JPEG and WebP; None means "as the source" (its JPEG tables,
        its estimated quality, a lossless WebP stays lossless), else 95.
    size : tuple of int
        ``(width, height)`` of the pixels being saved.
    """
    meta = meta or NO_META
    options: dict = {}
    if meta.icc_profile:
        options["icc_profile"] = meta.icc_profile
    if meta.exif:
        try:
            options["exif"] = _exif_for(meta.exif, size)
        except Exception:                       # damaged: save the photo without it
            _log.debug("rewriting EXIF failed", exc_info=True)
    if fmt == "JPEG":
        options.update(_jpeg_options(meta, quality))
    elif fmt == "WEBP":
        if quality == 100 or (quality is None and meta.webp_lossless):
            options.update(lossless=True, exact=True)   # exact keeps the colour under transparent pixels
        else:
            options["quality"] = quality or meta.jpeg_quality or DEFAULT_QUALITY
    return options


def _jpeg_options(meta: SourceMeta, quality: int | None) -> dict:
    if quality is None and meta.jpeg_tables:
        options = {"qtables": [list(t) for t in meta.jpeg_tables]}
        if meta.jpeg_subsampling is not None:
            options["subsampling"] = meta.jpeg_subsampling
        return options
    quality = quality or DEFAULT_QUALITY
    options = {"quality": quality}
    if quality >= 90:
        options["subsampling"] = 0   # 4:2:0 smears colour detail
    return options
