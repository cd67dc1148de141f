"""Decoding helpers for :mod:`artstudio.core.imageio`: bit depth, orientation,
the OpenCV and Pillow decoders, and checks made on a file before or after it is
decoded (truncated PNG data, the memory a decode will need).

Nothing here opens a file by name for Pillow: :func:`imageio.load_image` does,
with its explicit list of decoders.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


class ImageError(Exception):
    """One-line, user-facing message about an image file."""

ORIENTATION_TAG = 0x0112
# round(v / 257) maps 0..65535 exactly onto 0..255 (v / 257 never ends in
# .5); a table is 6x faster than integer division on 24 MP and needs no
# 32-bit temporary.
_SIXTEEN_TO_EIGHT = np.round(np.arange(65536) / 257).astype(np.uint8)

# EXIF orientation -> the numpy view that displays the image upright; the
# same table as ImageOps.exif_transpose, shared by the Pillow and OpenCV paths.
ORIENT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


def source_bit_depth(im: Image.Image, path: Path) -> int:
    # Pillow silently reduces 16-bit RGB(A) to 8 bits on open and still
    # calls the mode "RGB", so ask the file itself.
    if im.mode.startswith("I;16"):
        return 16
    if im.mode in ("I", "F"):
        return 32
    if im.format == "PNG":
        with open(path, "rb") as fh:
            header = fh.read(25)
        return header[24] if len(header) == 25 else 8
    if im.format == "TIFF":
        bits = im.tag_v2.get(258, 8)
        return max(bits) if isinstance(bits, tuple) else int(bits)
    return 8


def orientation(im: Image.Image) -> int:
    # PNG's getexif() decodes the whole image to look for a late eXIf chunk;
    # only trust one that precedes the pixels, like most viewers.
    if im.format == "PNG" and "exif" not in im.info:
        return 1
    try:
        return int(im.getexif().get(ORIENTATION_TAG, 1))
    except Exception:  # a damaged EXIF block should not lose the image
        return 1


def decode_with_opencv(path: Path, size: tuple[int, int]):
    """16-bit PNG/TIFF via OpenCV, or None to fall back to Pillow."""
    try:
        import cv2
    except ImportError:
        return None
    try:
        # IMREAD_UNCHANGED keeps 16 bits and alpha and ignores EXIF
        # orientation, which the caller applies for both decoders.
        arr = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        return None
    if arr is None or arr.shape[1::-1] != size:
        return None
    arr = to_uint8(arr)
    if arr.ndim == 2:
        return np.repeat(arr[..., None], 3, axis=2)
    if arr.shape[2] == 3:
        return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    if arr.shape[2] == 4:
        return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA)
    return None


def decode_with_pillow(im: Image.Image) -> np.ndarray:
    im.load()  # decode now so truncated files fail inside our try
    if im.mode.startswith("I") or im.mode == "F":
        grey = to_uint8(np.asarray(im))
        return np.repeat(grey[..., None], 3, axis=2)
    alpha = (im.mode in ("RGBA", "LA", "PA", "La", "RGBa")
             or "transparency" in im.info
             or (im.mode == "P" and im.palette is not None
                 and im.palette.mode == "RGBA"))
    target = "RGBA" if alpha else "RGB"
    return np.array(im if im.mode == target else im.convert(target))


def to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind == "f":
        arr = np.nan_to_num(arr.astype(np.float32))
        scale = 255.0 if arr.max(initial=0) <= 1.0 else 1.0
        return np.clip(np.rint(arr * scale), 0, 255).astype(np.uint8)
    if arr.dtype != np.uint16:
        arr = np.clip(arr, 0, 65535).astype(np.uint16)
    return _SIXTEEN_TO_EIGHT[arr]


# -- checks a decoder does not make ------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_INFLATE_STEP = 1 << 20


def png_is_truncated(path: Path) -> bool:
    """True when a PNG's image data ends before its last row.

    Pillow's zlib decoder stops quietly at the end of a complete zlib stream
    and leaves the rows it never received black, so a 32x24 image whose header
    claims 2,000,000 rows decodes to 416 MB of zeros. This inflates the data
    once more, counting bytes in 1 MB steps (no full-size buffer), and
    compares with what the header promises. Damaged headers are left to the
    decoder, which refuses them itself.
    """
    with open(path, "rb") as fh:
        if fh.read(8) != _PNG_SIGNATURE:
            return False
        length, kind = struct.unpack(">I4s", fh.read(8))
        header = fh.read(length)
        if kind != b"IHDR" or length != 13:
            return False
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
        fh.read(4)
        expected = _png_data_size(width, height, depth, _PNG_CHANNELS.get(colour, 4), interlace)
        return _inflated_size(fh, expected) < expected


def _png_data_size(width: int, height: int, depth: int, channels: int, interlace: int) -> int:
    passes = _ADAM7 if interlace else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        cols, rows = -(-max(width - x0, 0) // dx), -(-max(height - y0, 0) // dy)
        if cols and rows:
            total += rows * (1 + -(-cols * channels * depth // 8))
    return total


def _inflated_size(fh, expected: int) -> int:
    """Bytes the IDAT stream inflates to, counted up to ``expected``."""
    inflater, produced = zlib.decompressobj(), 0
    while produced < expected:
        head = fh.read(8)
        if len(head) < 8:
            break
        length, kind = struct.unpack(">I4s", head)
        if kind == b"IEND":
            break
        if kind != b"IDAT":
            fh.seek(length + 4, 1)
            continue
        remaining = length
        while remaining and produced < expected:
            piece = fh.read(min(remaining, _INFLATE_STEP))
            if not piece:
                return produced
            remaining -= len(piece)
            try:
                produced += _drain(inflater, piece, expected - produced)
            except zlib.error:
                return produced       # damaged data: the decoder will say so
        fh.seek(remaining + 4, 1)
    return produced


def _drain(inflater, data: bytes, wanted: int) -> int:
    produced = len(inflater.decompress(data, _INFLATE_STEP))
    while inflater.unconsumed_tail and produced < wanted:
        produced += len(inflater.decompress(inflater.unconsumed_tail, _INFLATE_STEP))
    return produced


def decode_bytes(width: int, height: int, bit_depth: int) -> int:
    """Peak bytes a decode of this image needs: the decoder's buffer (RGBA at
    worst, two bytes a value above 8 bits) plus the uint8 array handed back."""
    values = width * height * 4
    return values * (2 if bit_depth > 8 else 1) + values


def available_memory() -> int | None:
    """Bytes the system could still give this process (Linux), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_decodable(im: Image.Image, path: Path, name: str, depth: int):
    """Refuse, before any pixel is decoded, what would exhaust memory or be zero-padded.

    Returns None, or a future saying whether the PNG's data ends early: for
    an ordinary PNG that count runs beside the decode (zlib and Pillow's
    decoder both release the GIL), so it costs almost nothing; a file that
    claims far more pixels than its size can plausibly hold is counted
    first, so a bomb never gets its buffer.
    """
    need = decode_bytes(*im.size, depth)
    free = available_memory()
    if free is not None and need > free:
        raise ImageError(f"Cannot open '{name}': decoding {im.size[0]}x{im.size[1]} pixels needs "
                         f"{need / 2**30:.1f} GB of memory and {free / 2**30:.1f} GB is free.")
    if im.format == "TIFF":
        refuse_if_truncated(tiff_is_truncated(im, path), name)
        return None
    if im.format != "PNG":
        return None
    if need > _PLAUSIBLE_RATIO * path.stat().st_size:
        refuse_if_truncated(png_is_truncated(path), name)
        return None
    return _checks().submit(png_is_truncated, path)


def tiff_is_truncated(im: Image.Image, path: Path) -> bool:
    """True when a TIFF's strips or tiles leave rows of the image uncovered, or an
    uncompressed strip runs past the end of the file.

    Pillow leaves what no strip covers black, as with short PNG data: a 2.4 kB
    TIFF whose header claims 4,194,337 rows of 23 pixels decoded to 290 MB of
    zeros in 3.7 s (found by benchmarks/fuzz_decode.py). Only the header and
    the strip table are read; compressed strips are left to libtiff, which
    refuses short data itself.
    """
    width, height = im.size
    file_size = path.stat().st_size
    tags = getattr(im, "tag_v2", {})
    bits = tags.get(258, (1,))
    bits = bits if isinstance(bits, tuple) else (int(bits),) * int(tags.get(277, 1))
    # Planar ("separate") files have one tile per channel and strip: one sample per pixel each.
    bits_per_pixel = bits[0] if tags.get(284, 1) == 2 else sum(bits)
    covered = 0
    for tile in im.tile:
        x0, y0, x1, y1 = tile[1]
        area = max(0, min(x1, width) - x0) * max(0, min(y1, height) - y0)
        covered += area
        if tile[0] == "raw":
            row_bytes = -(-max(0, x1 - x0) * bits_per_pixel // 8)
            if tile[2] + row_bytes * max(0, y1 - y0) > file_size:
                return True
    return covered < width * height


def refuse_if_truncated(truncated: bool, name: str) -> None:
    if truncated:
        raise ImageError(f"Cannot open '{name}': the file is incomplete (its image data ends "
                         "before the last row).")


# Decoded bytes per file byte above which the rows are counted before decoding:
# photos and scans stay far below (24 MP grainy photo: ~4), flat graphics and
# bombs do not.
_PLAUSIBLE_RATIO = 16
_executor = None


def _checks():
    global _executor
    if _executor is None:
        from concurrent.futures import ThreadPoolExecutor

        _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="artstudio-png-check")
    return _executor


_TIFF_MAGIC = (b"II*\0", b"MM\0*")


def decode_float_tiff(path: Path, name: str, max_pixels: int) -> np.ndarray | None:
    """A floating-point colour TIFF (which Pillow cannot open) via tifffile, or None if the
    file is no such TIFF. Values in 0-1 map to 0-255; the size is checked before decoding."""
    with open(path, "rb") as fh:
        if fh.read(4) not in _TIFF_MAGIC:
            return None
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            shape, dtype = page.shape, page.dtype
            if dtype is None or dtype.kind != "f" or len(shape) != 3 or shape[-1] not in (3, 4):
                return None
            if shape[0] * shape[1] > max_pixels:
                raise ImageError(f"Cannot open '{name}': {shape[1]}x{shape[0]} pixels is larger than the "
                                 f"{max_pixels / 1e6:g}-megapixel limit.")
            return np.ascontiguousarray(to_uint8(page.asarray()))
    except ImageError:
        raise
    except Exception:    # tifffile's errors for damaged files: the caller says "damaged"
        return None
