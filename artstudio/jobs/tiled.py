"""Run a per-tile function over a photo, blend the tiles, report and preview.

Shared by the whole-photo restore jobs (denoise, upscale): the photo is cut
into overlapping tiles (:mod:`artstudio.core.tiling`), each tile goes through
a network or a classical filter, and the tiles are blended with a smooth
window, so there are no seams and memory stays at one band of tiles. Also
here: one tile through a network (:func:`infer_image`) and handing freed
heap back to the system (:func:`release_memory`) and keeping large
tensors on the heap for a job (:func:`large_blocks_on_heap`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from contextlib import contextmanager

import numpy as np

from ..core.rect import Rect
from ..core.tiling import TileBlender
from . import restore
from .base import CancelToken, Event, Preview, Progress


def run_tiled(rgb: np.ndarray, plan, fn: Callable, cancel: CancelToken, label: str,
              previews: bool) -> Generator[Event, None, np.ndarray]:
    """Run ``fn`` on every tile of ``plan`` and blend the results.

    Parameters
    ----------
    rgb : numpy.ndarray
        ``uint8 (H, W, 3)``.
    plan : artstudio.core.tiling.TilePlan
        The tiles (and the output scale).
    fn : callable
        ``uint8 (h, w, 3) -> float (h*s, w*s, 3)`` on the 0-255 scale.
    label : str
        Progress text, followed by ``: tile i of n``.
    previews : bool
        Yield the finished bands (the unfinished ones show the input).

    Returns
    -------
    numpy.ndarray
        ``uint8 (H*s, W*s, 3)``.
    """
    out = None
    if previews:    # unfinished rows show the input, not black
        out = rgb.copy() if plan.scale == 1 else lanczos(rgb, plan.scale) if rgb.size < 4e6 else None
    blender = TileBlender(plan, 3, out)
    last = time.perf_counter()
    dirty: Rect | None = None
    for index, tile in enumerate(plan, start=1):
        cancel.check()
        pixels = np.ascontiguousarray(rgb[tile.rect.slices])
        finished = blender.add(tile, fn(pixels))
        if not finished.empty:
            dirty = finished.union(dirty)
        yield Progress(index / len(plan), f"{label}: tile {index} of {len(plan)}")
        if previews and dirty is not None and index < len(plan) \
                and time.perf_counter() - last >= restore.PREVIEW_INTERVAL_S:
            last = time.perf_counter()
            yield Preview(blender.image.copy(), dirty)
            dirty = None
    return blender.finish()


def infer_image(net, device, pixels: np.ndarray, scale: int | None = None) -> np.ndarray:
    """One tile through a denoise (``scale`` None) or sr network.

    ``pixels`` ``uint8 (h, w, 3)``; returns ``float32 (h*s, w*s, 3)``, 0-255.
    """
    import torch

    if not pixels.flags.writeable:      # a request's read-only copy: torch warns on read-only memory
        pixels = np.array(pixels)
    with torch.inference_mode():
        x = torch.from_numpy(pixels).to(device).permute(2, 0, 1)[None].float().div_(255.0)
        y = net(x) if scale is None else net(x, scale)
        out = y[0].clamp(0, 1).mul(255.0)
    return out.permute(1, 2, 0).cpu().numpy()


def lanczos(image: np.ndarray, scale: int) -> np.ndarray:
    """``image`` (``uint8 (H, W, C)``, C = 1, 3 or 4) enlarged ``scale`` times with Pillow's Lanczos."""
    from PIL import Image

    h, w = image.shape[:2]
    if image.shape[2] == 1:
        return np.asarray(Image.fromarray(image[..., 0]).resize((w * scale, h * scale), Image.LANCZOS))[..., None]
    return np.asarray(Image.fromarray(image).resize((w * scale, h * scale), Image.LANCZOS)).copy()


def with_alpha(image: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """``rgb`` with the alpha channel of ``image`` (same size), if it has one."""
    if image.shape[2] == 3:
        return rgb
    return np.dstack([rgb, image[..., 3]])


def release_memory() -> None:
    """Hand freed heap pages back to the system (glibc only).

    Crops of many sizes leave glibc's heap fragmented (its mmap threshold
    rises after the first large free), so without this a 24 MP scan with
    30 scratches crept to +1.0 GB of RSS; with it, +0.4 GB (see the report).
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@contextmanager
def large_blocks_on_heap():
    """For the block: large tensors served from glibc's heap, not a fresh ``mmap`` each (glibc only).

    glibc maps every block above its mmap threshold (at most 32 MB) anew and
    unmaps it on free, so each full-resolution activation of a 512 px crop
    (33-50 MB in fp32) is page-faulted in, zero-filled, on every layer: on
    a 2-core EPYC the inpainting network's 512 px pass (with its mirror pass)
    took 314 ms so and 239 ms with this (fp32; bf16 196 -> 152 ms). Inside the
    block the mmap and trim thresholds are 1 GB, so a freed activation's pages
    serve the next one, across crops too (setting the mmap threshold alone
    pins the trim threshold at 128 kB: every large free shrank the heap and
    the next allocation faulted it in again). On leaving, the free heap goes
    back to the system (:func:`release_memory`) and the thresholds are set to
    the values glibc's own adaptive rule ends at (mmap 32 MB, trim 64 MB), so
    the rest of the session returns freed memory as before.
    """
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    try:
        yield
    finally:
        if libc is not None:
            libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
            libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
            release_memory()


def _libc():
    global _libc_handle
    if _libc_handle is False:
        import ctypes
        import sys

        _libc_handle = None
        if sys.platform.startswith("linux"):
            try:
                handle = ctypes.CDLL("libc.so.6")
                handle.malloc_trim, handle.mallopt    # musl and friends have no malloc_trim
                _libc_handle = handle
            except (OSError, AttributeError):
                _libc_handle = None
    return _libc_handle


_M_TRIM_THRESHOLD = -1      # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_libc_handle = False
