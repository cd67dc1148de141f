"""An OpenRaster ``stack.xml`` as a checked tree, and the compositing of its layers.

Every attribute is parsed with bounds (offsets, opacity, nesting depth, layer
count) and every ``src`` must name a member of the zip: nothing here touches
the disk. Compositing is Porter-Duff "source over" with straight alpha, the
baseline OpenRaster blend; a file using another blend mode is composited by
the application that wrote it (``mergedimage.png``), never guessed at here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

import numpy as np

from .decode import ImageError

MAX_LAYERS = 1000
MAX_DEPTH = 32
MAX_OFFSET = 1 << 24
SRC_OVER = "svg:src-over"
_BAND = 512              # rows blended at once: bounds the float buffers on a 24 MP canvas


@dataclass(eq=False)
class Leaf:
    """One ``<layer>``: ``x``, ``y`` on the canvas (stack offsets added); ``shown``: it and
    every group above it are visible."""

    name: str
    src: str
    x: int
    y: int
    opacity: float
    visible: bool
    shown: bool
    op: str
    element: ET.Element


@dataclass(eq=False)
class Group:
    """One ``<stack>``; ``children`` top first, as in the file."""

    name: str
    x: int
    y: int
    opacity: float
    visible: bool
    op: str
    element: ET.Element
    children: list = field(default_factory=list)

    def leaves(self) -> Iterator[Leaf]:
        """Every layer below this group, top first."""
        for child in self.children:
            if isinstance(child, Group):
                yield from child.leaves()
            else:
                yield child

    def kept_element(self, drop) -> ET.Element:
        """A copy of this ``<stack>`` with only its layers and groups, without ``drop`` (a leaf,
        None, or a collection of leaves)."""
        drops = () if drop is None else (drop,) if isinstance(drop, Leaf) else tuple(drop)
        copy = ET.Element("stack", dict(self.element.attrib))
        for child in self.children:
            if any(child is d for d in drops):
                continue
            copy.append(child.kept_element(drops) if isinstance(child, Group)
                        else ET.Element("layer", dict(child.element.attrib)))
        return copy


def parse_stack(root: ET.Element, name: str, members) -> Group:
    """The checked tree of ``root``'s top ``<stack>``; ImageError (one line) for anything unsafe."""
    count = [0]
    return _group(root.find("stack"), name, members, 0, 0, True, 0, count)


def _group(element, name, members, x0, y0, shown, depth, count) -> Group:
    if depth > MAX_DEPTH:
        raise ImageError(f"Cannot open '{name}': its layer groups nest deeper than {MAX_DEPTH}.")
    x, y, opacity, visible, op = _attributes(element, name)
    group = Group(element.get("name", ""), x0 + x, y0 + y, opacity, visible, op, element)
    for child in element:
        if child.tag == "stack":
            group.children.append(_group(child, name, members, group.x, group.y, shown and visible,
                                         depth + 1, count))
        elif child.tag == "layer":
            count[0] += 1
            if count[0] > MAX_LAYERS:
                raise ImageError(f"Cannot open '{name}': it has more than {MAX_LAYERS} layers.")
            group.children.append(_leaf(child, name, members, group.x, group.y, shown and visible))
        # <text>, <filter> and other extensions are not baseline OpenRaster: left out.
    return group


def _leaf(element, name, members, x0, y0, shown) -> Leaf:
    x, y, opacity, visible, op = _attributes(element, name)
    label = element.get("name", "")
    src = element.get("src")
    if not src:
        raise ImageError(f"Cannot open '{name}': its layer '{label[:60]}' names no image (src).")
    parts = src.replace("\\", "/").split("/")
    if src.startswith(("/", "\\")) or "\\" in src or ".." in parts or ":" in parts[0]:
        raise ImageError(f"Cannot open '{name}': its layer '{label[:60]}' points outside the file "
                         f"('{src[:80]}').")
    if src not in members or src.endswith("/") or src in ("mimetype", "stack.xml"):
        raise ImageError(f"Cannot open '{name}': its layer '{label[:60]}' is missing "
                         f"('{src[:80]}' is not in the file).")
    return Leaf(label, src, x0 + x, y0 + y, opacity, visible, shown and visible, op, element)


def _attributes(element, name: str):
    try:
        x, y = int(element.get("x", "0")), int(element.get("y", "0"))
        opacity = float(element.get("opacity", "1"))
    except ValueError:
        raise ImageError(f"Cannot open '{name}': its stack.xml has a layer position or opacity "
                         "that is not a number.") from None
    if abs(x) > MAX_OFFSET or abs(y) > MAX_OFFSET or math.isnan(opacity):
        raise ImageError(f"Cannot open '{name}': its stack.xml places a layer at {x}, {y}, "
                         "far outside any canvas.")
    visible = element.get("visibility", "visible").strip().lower() != "hidden"
    return x, y, min(max(opacity, 0.0), 1.0), visible, element.get("composite-op", SRC_OVER) or SRC_OVER


def mask_of(loaded, leaf: Leaf, size: tuple[int, int]) -> np.ndarray:
    """The canvas-sized ``uint8 (H, W)`` mask a "mask" layer means (alpha, else luminance; 0 outside it)."""
    from .imageio import mask_from_pixels

    width, height = size
    mask = np.zeros((height, width), np.uint8)
    _paste(mask, mask_from_pixels(loaded.pixels), leaf.x, leaf.y)
    return mask


def _paste(target: np.ndarray, source: np.ndarray, x: int, y: int) -> None:
    region = _overlap(target.shape, source.shape, x, y)
    if region is not None:
        (ty, tx), (sy, sx) = region
        target[ty, tx] = source[sy, sx]


def _overlap(target_shape, source_shape, x: int, y: int):
    """``((rows, cols) in target, (rows, cols) in source)`` where a source placed at x, y overlaps, or None."""
    height, width = target_shape[:2]
    h, w = source_shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if x1 <= x0 or y1 <= y0:
        return None
    return (slice(y0, y1), slice(x0, x1)), (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))


def composite(tree: Group, size: tuple[int, int], decode: Callable, skip: set, name: str) -> np.ndarray:
    """The visible layers of ``tree`` (except those whose id is in ``skip``) over transparency.

    Returns ``uint8 (H, W, 4)``. ``decode(leaf)`` gives a layer's LoadedImage.
    """
    width, height = size
    canvas = np.zeros((height, width, 4), np.uint8)
    _compose(tree, canvas, decode, skip, name)
    return canvas


def _compose(group: Group, canvas: np.ndarray, decode, skip: set, name: str) -> None:
    for child in reversed(group.children):                # bottom layer first
        if not child.visible or id(child) in skip:
            continue
        if child.op != SRC_OVER:
            raise ImageError(f"Cannot open '{name}': the layer '{child.name[:60]}' is blended with "
                             f"'{child.op[:40]}', which ArtStudio cannot combine, and the file's merged image "
                             "is missing or shows the mask; hide the 'mask' layer and save it again.")
        if isinstance(child, Group):
            if child.opacity >= 1.0:
                _compose(child, canvas, decode, skip, name)     # "over" is associative: no buffer needed
            else:
                part = np.zeros_like(canvas)
                _compose(child, part, decode, skip, name)
                over(canvas, part, 0, 0, child.opacity)
        else:
            over(canvas, decode(child).pixels, child.x, child.y, child.opacity)


def over(canvas: np.ndarray, layer: np.ndarray, x: int, y: int, opacity: float = 1.0) -> None:
    """Blend ``layer`` (uint8 RGB(A), straight alpha) onto the RGBA ``canvas`` at x, y, in place."""
    region = _overlap(canvas.shape, layer.shape, x, y)
    if region is None or opacity <= 0:
        return
    (ty, tx), (sy, sx) = region
    target, source = canvas[ty, tx], layer[sy, sx]
    if opacity >= 1.0 and (source.shape[2] == 3 or source[..., 3].min() == 255):
        target[..., :3] = source[..., :3]
        target[..., 3] = 255
        return
    for top in range(0, target.shape[0], _BAND):
        dst, src = target[top:top + _BAND], source[top:top + _BAND]
        sa = (src[..., 3:4] / np.float32(255) if src.shape[2] == 4 else np.ones(src.shape[:2] + (1,), np.float32))
        sa = sa.astype(np.float32) * np.float32(opacity)
        da = dst[..., 3:4].astype(np.float32) / 255
        keep = da * (1 - sa)
        out = sa + keep
        colour = (src[..., :3] * sa + dst[..., :3] * keep) / np.where(out > 0, out, 1)
        dst[..., :3] = np.clip(np.rint(colour), 0, 255)
        dst[..., 3:] = np.clip(np.rint(out * 255), 0, 255)
