"""OpenRaster (.ora), the layered format GIMP and Krita share: read and write.

An .ora file is a zip: ``mimetype`` first and uncompressed (``image/openraster``),
``stack.xml`` (the layer tree, top layer first), one PNG per layer under
``data/``, the composite ``mergedimage.png`` and ``Thumbnails/thumbnail.png``
(at most 256 px). See https://www.openraster.org/.

Reading gives the composite as the photo and the layer named "mask" as the
mask; the file's other layers are kept (:class:`KeptLayers`) so that a save
writes them back under the restored result. A file from outside is hostile:
every count and size read from the zip or from ``stack.xml`` is bounded before
anything is allocated with it, ``src`` names are looked up in the zip, never
on disk, and layer data reaches only Pillow's PNG decoder.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
from PIL import Image

from .atomic import atomic_write
from .decode import ImageError
from .imagesave import check_pixels
from .ora_stack import Leaf, composite, mask_of, parse_stack

MIMETYPE = b"image/openraster"
MERGED, THUMBNAIL, STACK = "mergedimage.png", "Thumbnails/thumbnail.png", "stack.xml"
MAX_MEMBERS = 4096
MAX_MEMBER_BYTES = 1 << 30          # one layer PNG, as stored uncompressed in the zip
MAX_TOTAL_BYTES = 4 << 30
MAX_STACK_BYTES = 4 << 20
MAX_RATIO = 100                     # PNGs barely compress in a zip; a bomb compresses a thousandfold
_PNG = b"\x89PNG\r\n\x1a\n"
_THUMB_SIDE = 256


@dataclass(frozen=True)
class OraLayer:
    """One layer to write.

    Attributes
    ----------
    name : str
        Shown in GIMP's and Krita's layer list.
    pixels : numpy.ndarray
        ``uint8 (h, w, 3|4)``, straight alpha; may be smaller than the canvas.
    x, y : int
        Where its top-left pixel lies on the canvas.
    visible : bool
        False writes ``visibility="hidden"`` (the mask: it is not part of the picture).
    """

    name: str
    pixels: np.ndarray
    x: int = 0
    y: int = 0
    visible: bool = True


@dataclass(frozen=True, eq=False)
class KeptLayers:
    """An OpenRaster file's own layers (all but "mask"), written back unchanged.

    Attributes
    ----------
    stack : xml.etree.ElementTree.Element
        The file's top ``<stack>``, its ``src`` attributes naming keys of ``data``.
    data : dict of str to bytes
        Each layer's PNG file, byte for byte.
    size : tuple of int
        ``(width, height)`` of the canvas.
    digest : bytes
        Of the composite they make; :meth:`matches` tells whether a photo is still it.
    """

    stack: ET.Element
    data: dict
    size: tuple[int, int]
    digest: bytes

    def matches(self, pixels: np.ndarray) -> bool:
        """Whether ``pixels`` is the composite these layers make (nothing was undone past, or resized)."""
        return pixels.shape[1::-1] == self.size and digest(pixels) == self.digest


def digest(pixels: np.ndarray) -> bytes:
    """A fingerprint of an image's pixels (shape included)."""
    pixels = np.ascontiguousarray(pixels)
    return hashlib.blake2b(pixels.data, digest_size=16, person=repr(pixels.shape).encode()[:16]).digest()


# The hidden layers ArtStudio writes for the content-aware fill's sampling areas (read back, never drawn).
SAMPLING_LAYERS = ("sample_from", "sample_never")


# -- reading -------------------------------------------------------------------------------------------

def read_ora(path, *, max_pixels: int):
    """Read an OpenRaster file: composite, mask layer and the other layers.

    Parameters
    ----------
    path : str or os.PathLike
        The .ora file.
    max_pixels : int
        A canvas (or a layer) with more pixels is refused before decoding.

    Returns
    -------
    artstudio.core.imageio.LoadedImage
        ``pixels``: the composite, uint8 RGB (RGBA where it is transparent);
        ``mask``: uint8 (H, W) from the layer named "mask", or None;
        ``layers``: :class:`KeptLayers`; ``format``: ``"ORA"``.

    Raises
    ------
    ImageError
        One line, for a damaged, hostile or unsupported file.
    """
    from .imageio import LoadedImage

    path = Path(path)
    name = path.name or str(path)
    with _zip_errors(name), zipfile.ZipFile(path) as zf:
        members = _members(zf, name)
        root, (width, height) = _stack_of(zf, members, name, max_pixels)
        tree = parse_stack(root, name, members)
        leaves = list(tree.leaves())
        mask_leaf = _topmost(leaves, "mask")
        area_leaves = {key: leaf for key in SAMPLING_LAYERS if (leaf := _topmost(leaves, key)) is not None}
        ours = [leaf for leaf in (mask_leaf, *area_leaves.values()) if leaf is not None]
        with tempfile.TemporaryDirectory(prefix="artstudio-ora-") as tmp:
            # A layer may overhang the canvas, never by gigapixels.
            reader = _LayerReader(zf, members, Path(tmp), name, min(max_pixels, max(4 * width * height, 16_000_000)))
            mask = None if mask_leaf is None else mask_of(reader.leaf(mask_leaf), mask_leaf, (width, height))
            sampling = {key: mask_of(reader.leaf(leaf), leaf, (width, height)) for key, leaf in area_leaves.items()}
            if MERGED in members and not any(leaf.shown for leaf in ours):
                # The writer's own render: blend modes, filters and all. Unless it shows the mask.
                merged = reader.member(MERGED, "its merged image")
                if merged.size != (width, height):
                    raise ImageError(f"Cannot open '{name}': its merged image is {merged.size[0]}x{merged.size[1]} "
                                     f"but the canvas is {width}x{height}.")
                pixels, depth = merged.pixels, merged.bit_depth
            else:
                pixels = composite(tree, (width, height), reader.leaf, skip={id(leaf) for leaf in ours}, name=name)
                depth = 8
        pixels = _opaque_as_rgb(pixels)
        kept = KeptLayers(tree.kept_element(ours),
                          {leaf.src: reader.raw(leaf.src) for leaf in leaves if all(leaf is not o for o in ours)},
                          (width, height), digest(pixels))
    return LoadedImage(pixels, path, "ORA", depth, mask=mask, layers=kept, sampling=sampling)


def _topmost(leaves, name: str):
    """The first (topmost) leaf called ``name`` (case and spaces aside), or None."""
    return next((leaf for leaf in leaves if leaf.name.strip().lower() == name), None)


@contextlib.contextmanager
def _zip_errors(name: str):
    try:
        yield
    except ImageError:
        raise
    except zipfile.LargeZipFile:
        raise ImageError(f"Cannot open '{name}': the archive is too large to open safely.") from None
    except MemoryError:
        raise ImageError(f"Cannot open '{name}': not enough memory.") from None
    except PermissionError:
        raise ImageError(f"Cannot open '{name}': permission denied.") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method.
        raise ImageError(f"Cannot open '{name}': the OpenRaster file is damaged or incomplete.") from None


def _members(zf: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ImageError(f"Cannot open '{name}': it holds {len(infos)} files, more than an OpenRaster "
                         f"image ever needs ({MAX_MEMBERS}).")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if (info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES
                or (info.file_size > (1 << 20) and ratio > MAX_RATIO)):
            raise ImageError(f"Cannot open '{name}': '{info.filename[:80]}' would unpack to "
                             f"{info.file_size / 2**20:,.0f} MB, too much to open safely (a zip bomb?).")
    members = {info.filename: info for info in infos}
    kind = _read(zf, members["mimetype"], 256).strip() if "mimetype" in members else None
    if kind == b"application/x-krita":
        raise ImageError(f"Cannot open '{name}': it is a Krita document (.kra), which ArtStudio does not open; "
                         "in Krita, export it as OpenRaster (.ora).")
    if (kind is not None and kind != MIMETYPE) or STACK not in members:
        raise ImageError(f"Cannot open '{name}': it is a zip archive, not an OpenRaster image.")
    return members


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, never more than ``limit`` (its declared size is checked first)."""
    if info.file_size > limit:
        name = Path(zf.filename or "file").name
        raise ImageError(f"Cannot open '{name}': its '{info.filename[:80]}' is larger than {limit:,} bytes.")
    with zf.open(info) as handle:
        return handle.read(limit + 1)[:limit]


def _stack_of(zf, members, name: str, max_pixels: int):
    if members[STACK].file_size > MAX_STACK_BYTES:
        raise ImageError(f"Cannot open '{name}': its stack.xml is over {MAX_STACK_BYTES >> 20} MB.")
    text = _read(zf, members[STACK], MAX_STACK_BYTES)
    if b"<!DOCTYPE" in text.upper() or b"<!ENTITY" in text.upper():
        # OpenRaster needs no DTD; entities are how XML bombs and external-file tricks work.
        raise ImageError(f"Cannot open '{name}': its stack.xml declares XML entities, which OpenRaster never uses.")
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise ImageError(f"Cannot open '{name}': its stack.xml is not valid XML.") from None
    if root.tag != "image" or root.find("stack") is None:
        raise ImageError(f"Cannot open '{name}': its stack.xml has no <image> with a <stack>.")
    try:
        width, height = int(root.get("w", "")), int(root.get("h", ""))
    except ValueError:
        raise ImageError(f"Cannot open '{name}': its stack.xml gives no valid canvas size.") from None
    if not (0 < width <= 1 << 20 and 0 < height <= 1 << 20) or width * height > max_pixels:
        raise ImageError(f"Cannot open '{name}': a {width}x{height} canvas is not a size ArtStudio opens "
                         f"(at most {max_pixels / 1e6:g} megapixels).")
    return root, (width, height)


class _LayerReader:
    """Decodes layer PNGs through :func:`load_image` (PNG decoder only, every size check)."""

    def __init__(self, zf, members, folder: Path, name: str, max_pixels: int):
        self._zf, self._members, self._folder = zf, members, folder
        self._name, self._max_pixels, self._count = name, max_pixels, 0

    def raw(self, src: str) -> bytes:
        data = _read(self._zf, self._members[src], MAX_MEMBER_BYTES)
        if not data.startswith(_PNG):
            raise ImageError(f"Cannot open '{self._name}': its layer data '{src[:80]}' is not a PNG image "
                             "(OpenRaster layers are PNG).")
        return data

    def member(self, src: str, what: str):
        from .imageio import load_image

        data = self.raw(src)
        self._count += 1
        file = self._folder / f"layer{self._count}.png"
        file.write_bytes(data)
        try:
            return load_image(file, max_pixels=self._max_pixels, decoders=("PNG",), name=f"{self._name} ({what})")
        finally:
            file.unlink(missing_ok=True)

    def leaf(self, leaf: Leaf):
        return self.member(leaf.src, f'layer "{leaf.name[:60]}"')


def _opaque_as_rgb(pixels: np.ndarray) -> np.ndarray:
    # GIMP and Krita write RGBA even for a flat photo; an all-opaque alpha means nothing.
    if pixels.shape[2] == 4 and pixels[..., 3].min() == 255:
        return np.ascontiguousarray(pixels[..., :3])
    return pixels


# -- writing -----------------------------------------------------------------------------------------

def write_ora(path, layers: list[OraLayer], merged: np.ndarray, kept: KeptLayers | None = None) -> Path:
    """Write an OpenRaster file atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The target (any name; ``.ora`` is what GIMP and Krita expect).
    layers : list of OraLayer
        Top layer first.
    merged : numpy.ndarray
        ``uint8 (H, W, 3|4)``: the composite, written as ``mergedimage.png``;
        its size is the canvas size.
    kept : KeptLayers, optional
        A source file's own layers, written below ``layers``.

    Raises
    ------
    ImageError
        If the file cannot be written (an existing file is left untouched).
    """
    path = Path(path)
    check_pixels(merged)
    height, width = merged.shape[:2]
    root = ET.Element("image", {"version": "0.0.5", "w": str(width), "h": str(height),
                                "xres": "72", "yres": "72"})
    stack = ET.SubElement(root, "stack")
    files = []
    for index, layer in enumerate(layers):
        check_pixels(layer.pixels)
        src = f"data/layer{index}.png"
        files.append((src, _png(layer.pixels)))
        ET.SubElement(stack, "layer", {
            "name": layer.name, "src": src, "x": str(int(layer.x)), "y": str(int(layer.y)), "opacity": "1.0",
            "visibility": "visible" if layer.visible else "hidden", "composite-op": "svg:src-over"})
    if kept is not None:
        files += _append_kept(stack, kept)
    thumb = Image.fromarray(np.ascontiguousarray(merged))
    thumb.thumbnail((_THUMB_SIDE, _THUMB_SIDE))
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)

    def write(handle) -> None:
        stamp = time.localtime()[:6]
        with zipfile.ZipFile(handle, "w") as zf:
            # First, stored and without an extra field, so `file` and GIMP sniff it at byte 30.
            zf.writestr(zipfile.ZipInfo("mimetype", stamp), MIMETYPE, compress_type=zipfile.ZIP_STORED)
            zf.writestr(zipfile.ZipInfo(STACK, stamp), xml, compress_type=zipfile.ZIP_DEFLATED)
            for src, data in files + [(MERGED, _png(merged)), (THUMBNAIL, _png(np.asarray(thumb)))]:
                zf.writestr(zipfile.ZipInfo(src, stamp), data, compress_type=zipfile.ZIP_STORED)
    return atomic_write(path, write)


def _append_kept(stack: ET.Element, kept: KeptLayers) -> list[tuple[str, bytes]]:
    source = kept.stack
    offset = any(source.get(k, d) != d for k, d in (("x", "0"), ("y", "0"), ("opacity", "1"),
                                                     ("visibility", "visible")))
    holder = ET.SubElement(stack, "stack", dict(source.attrib, name=source.get("name") or "layers")) \
        if offset else stack
    files, names = [], {}
    for child in source:
        copy = _copy(child)
        holder.append(copy)
        for node in copy.iter("layer"):
            src = node.get("src")
            if src not in names:
                names[src] = f"data/kept{len(names)}.png"
                files.append((names[src], kept.data[src]))
            node.set("src", names[src])
    return files


def _copy(element: ET.Element) -> ET.Element:
    copy = ET.Element(element.tag, dict(element.attrib))
    copy.extend(_copy(child) for child in element)
    return copy


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
