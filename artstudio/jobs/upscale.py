"""Upscale a whole photo 2x or 4x: the super-resolution network (tiled), Lanczos, or Deep Image Prior.

torch is imported only inside the job, so the window can import the request
type at start-up.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from ..core.imageio import MAX_PIXELS
from ..core.tiling import plan_tiles
from .base import CancelToken, Event, JobError, Progress, readonly_copy
from .nets import get_restore_net
from .operations import operation
from .restore import check_image
from .tiled import infer_image, lanczos, run_tiled

UPSCALE_FACTORS = (2, 4)      # what every method offers; a network's own are in its contract
MAX_OUTPUT_PIXELS = MAX_PIXELS   # an upscale the app could not open again is refused


@dataclass(frozen=True)
class UpscaleRequest:
    """Upscale by ``scale`` (one of :data:`UPSCALE_FACTORS`) with an upscale
    operation's ``method`` key. ``compare``: also return the input enlarged
    the plain way, for a before/after view (the Restore workspace)."""

    image: np.ndarray
    scale: int = 2
    method: str = "net"
    model: str = "sr"
    dip_iterations: int | None = None
    previews: bool = True
    device: str = "auto"
    compare: bool = False

    @classmethod
    def snapshot(cls, image: np.ndarray, **options) -> "UpscaleRequest":
        return cls(readonly_copy(image), **options)


@dataclass(frozen=True)
class UpscaleResult:
    """``image`` ``uint8 (H*scale, W*scale, C)``; ``before`` the input at that
    size (OpenCV Lanczos) when the request asked to compare, else None."""

    image: np.ndarray
    method: str
    scale: int
    seconds: float
    tiles: int
    before: np.ndarray | None = None


def run_upscale(request: UpscaleRequest, cancel: CancelToken) -> Generator[Event, None, UpscaleResult]:
    """Upscale by 2 or 4. ``net``: the super-resolution network, tiled with
    overlap; ``lanczos``: Pillow's Lanczos; ``dip``: Deep Image Prior. Alpha
    is upscaled with Lanczos."""
    check_image(request.image)
    described = operation("upscale", request.method).description
    if request.scale not in UPSCALE_FACTORS:
        raise JobError(f"Upscale factor must be 2 or 4, not {request.scale}.")
    out_pixels = request.image.shape[0] * request.image.shape[1] * request.scale ** 2
    if out_pixels > MAX_OUTPUT_PIXELS:
        raise JobError(f"The result would have {out_pixels / 1e6:.0f} megapixels, more than the "
                       f"{MAX_OUTPUT_PIXELS / 1e6:.0f} ArtStudio can open; upscale a crop, or by 2.")
    start = time.perf_counter()
    image, scale = request.image, request.scale
    label = f"Upscale x{scale} ({described})"
    yield Progress(0.0, label)
    tiles = 1
    if request.method == "lanczos":
        out = lanczos(image, scale)
    elif request.method == "dip":
        from .dip import DipRequest, run_dip

        result = yield from run_dip(DipRequest(image, "sr", scale=scale, iterations=request.dip_iterations,
                                               previews=request.previews, device=request.device), cancel)
        out = result.image
    else:
        out, tiles = yield from _net_upscale(request, cancel, label)
    cancel.check()
    before = _before(image, out) if request.compare else None
    return UpscaleResult(out, request.method, scale, time.perf_counter() - start, tiles, before)


def _net_upscale(request: UpscaleRequest, cancel: CancelToken, label: str):
    image, scale = request.image, request.scale
    net, device = get_restore_net(request.model, "sr", request.device)
    c = net.spec.contract
    if scale not in c.scales:
        raise JobError(f"Network '{net.spec.name}' upscales by {' or '.join(map(str, c.scales))}, not {scale}.")
    plan = plan_tiles(image.shape[:2], c.tile, c.overlap, scale=scale, multiple=c.multiple)
    rgb = yield from run_tiled(image[..., :3], plan, lambda px: infer_image(net, device, px, scale), cancel,
                               label, request.previews)
    out = rgb if image.shape[2] == 3 else np.dstack([rgb, lanczos(image[..., 3:], scale)[..., 0]])
    return out, len(plan)


def _before(image: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The input enlarged to ``out``'s size the plain way, to compare with (was done on the GUI thread)."""
    import cv2

    return cv2.resize(image, out.shape[1::-1], interpolation=cv2.INTER_LANCZOS4)
