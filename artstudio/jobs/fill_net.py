"""The neural fill: holes filled by the inpainting network, one crop at a time.

:func:`run_net_fill` cuts the photo into crops around each masked region
(with context; long scratches in tiles), brings each crop to a scale the
inpainting network handles (a hole deeper than :data:`MAX_HOLE_DEPTH` is
downscaled until it is not), fills it, scales the fill back and pastes only
the masked pixels: everything else stays bit-identical. Memory is bounded by
one crop, whatever the photo's size.

The network's classical first guess is computed here in numpy, once for
the whole frame (:class:`artstudio.core.inpaint.FrameGuess`: each hole
solved once, though neighbouring crops share it), and handed to the network
with each crop; the network then only predicts the correction. On a CPU with
native bf16 the network runs in bf16 (:func:`_precision`). torch is imported
only inside the job, so the window can import the request type at start-up.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from ..core.inpaint import MAX_BIHARMONIC_GUESS, FrameGuess, Region, biharmonic_guess, blend_into
from ..core.rect import Rect, bbox_of_nonzero
from ..core.tiling import plan_crops
from . import restore
from .base import CancelToken, Event, JobError, Preview, Progress, readonly_copy, usable_cpus
from .nets import get_restore_net
from .restore import FillResult, check_fill_mask
from .tiled import large_blocks_on_heap

FILL_MAX_WORK = 768 * 768 # a crop is downscaled to at most this many pixels for the network
SHAPE_BUCKET = 32         # crops are padded to multiples of this (allocator reuse, see _infer_fill)
# Holes deeper than this (px from the nearest known pixel) are filled on a
# downscaled crop. The network reaches ~250 px and is meant for up to 96 px
# boxes; on held-out photos (step-400 checkpoint) filling scratches, strokes
# and the 96 px box at full scale scored 0 to 0.6 dB better inside the hole
# than downscaling them to the hole sizes of the 128 px training crops.
MAX_HOLE_DEPTH = 48
# bf16 convolutions on the CPU: None = where the CPU has them natively (see _precision).
CPU_BF16: bool | None = None


@dataclass(frozen=True)
class NetFillRequest:
    """Fill the masked holes with the inpainting network.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A); alpha is kept as it is.
    mask : numpy.ndarray
        ``uint8 (H, W)``; 0 = keep, >0 = fill (soft values blend).
    model : str
        A shipped restoration model name or task, or a trained checkpoint
        (``.safetensors`` with its card).
    previews : bool
        Yield intermediate full-frame copies (the CLI turns them off).
    device : str
        ``auto``, ``cuda``, ``mps`` or ``cpu``.
    """

    image: np.ndarray
    mask: np.ndarray
    model: str = "inpaint"
    previews: bool = True
    device: str = "auto"

    @classmethod
    def snapshot(cls, image: np.ndarray, mask: np.ndarray, **options) -> "NetFillRequest":
        return cls(readonly_copy(image), readonly_copy(mask), **options)


def run_net_fill(request: NetFillRequest, cancel: CancelToken) -> Generator[Event, None, FillResult]:
    """Fill every hole with the inpainting network; see the module docstring.

    Yields Progress after each crop and a Preview (full frame, with the
    rectangle changed since the previous one) at most every 0.25 s.
    Returns a :class:`~artstudio.jobs.restore.FillResult` with method ``"net"``.
    """
    check_fill_mask(request.image, request.mask)
    start = time.perf_counter()
    yield Progress(0.0, "Neural fill: loading the network")
    net, device = get_restore_net(request.model, "inpaint", request.device)
    cancel.check()
    # The contract's tile cuts long scratches, its overlap is the context kept around
    # every hole (holes nearer than twice that share a crop).
    contract = net.spec.contract
    labels, regions = plan_crops(request.mask, contract.overlap, contract.tile, check=cancel.check)
    crops = []
    for region in regions:
        cancel.check()
        crops.append(_crop_of(request.mask, labels, region, contract.overlap))
    shared = None
    if getattr(net, "guess", None) == "biharmonic":
        shared = FrameGuess(request.image, request.mask, check=cancel.check)
    if shared is not None:
        # One solve per core, even in the window (whose torch keeps a core free): SuperLU's
        # threads share the cores with the GUI thread without the stalls of torch's
        # spin-waiting ones, and the solves take 2.5 s instead of 4.5 s on a 24 MP scan.
        # Only for the crops that will take it: a crop the network sees downscaled, or one
        # with too many hole pixels for the solve, starts from its own guess.
        wanted = [crop for crop, _, depth in crops if _network_size(crop.width, crop.height, depth)
                  == (crop.width, crop.height) and np.count_nonzero(request.mask[crop.slices]) <= MAX_BIHARMONIC_GUESS]
        with contextlib.closing(shared.solve_all(usable_cpus(), wanted)) as solving:
            for solved, holes in solving:
                cancel.check()
                yield Progress(0.0, f"Neural fill: first guess, {solved} of {holes} holes")
    result = np.array(request.image, copy=True)
    total = sum(r.pixels for r in regions)
    done, last_preview, dirty, bounds = 0, time.perf_counter(), None, None
    # Large tensors stay on the heap for the whole job and the heap is trimmed once, at the
    # end: trimmed after every crop, the next crop page-fault its activations in again (the
    # 24 MP scan: 18.1 s -> 13.1 s without, peak RSS 933 -> 977 MiB).
    with large_blocks_on_heap():
        for index, (region, (crop, core, depth)) in enumerate(zip(regions, crops), start=1):
            cancel.check()
            guess = None if shared is None else (lambda crop=crop: shared.crop(crop))
            filled, own = _fill_region(net, device, request, labels, region, crop, core, depth, guess)
            blend_into(result[core.slices][..., :3], filled, own)
            done += region.pixels
            dirty, bounds = core.union(dirty), core.union(bounds)
            yield Progress(done / total, f"Neural fill: region {index} of {len(regions)}")
            if request.previews and index < len(regions) \
                    and time.perf_counter() - last_preview >= restore.PREVIEW_INTERVAL_S:
                last_preview = time.perf_counter()
                yield Preview(result.copy(), dirty)
                dirty = None
    return FillResult(result, "net", len(regions), time.perf_counter() - start, bounds)


def _crop_of(mask: np.ndarray, labels: np.ndarray, region: Region, margin: int) -> tuple[Rect, Rect, float]:
    """(the crop the network sees for ``region``, the rectangle it writes, the depth of its deepest hole).

    The written rectangle is the bounding box of the region's own holes in its
    core, and the crop that box with context: ``margin`` beyond the deepest
    hole, or twice its depth (a 96 px box needs more than a 3 px scratch).
    Cropping to the holes rather than to the core (a 384 px tile, or a
    component grown by ``margin``) took the 24 MP benchmark scan from 26.9 to
    15 MP of network input (docs/BENCHMARKS.md).
    """
    import cv2

    h, w = mask.shape
    core = region.core
    hole = mask[core.slices] > 0
    depth = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3).max())
    box = bbox_of_nonzero(hole & (labels[core.slices] == region.label))
    if box is None:                      # a tile that only holds other components' holes
        box = Rect(0, 0, core.width, core.height)
    written = Rect(box.x0 + core.x0, box.y0 + core.y0, box.x1 + core.x0, box.y1 + core.y0)
    context = max(margin + math.ceil(depth) + 2, int(2 * depth))
    return written.grown(context).clip(w, h), written, depth


def _fill_region(net, device, request: NetFillRequest, labels: np.ndarray, region: Region, crop: Rect,
                 core: Rect, depth: float, guess) -> tuple[np.ndarray, np.ndarray]:
    """Fill one region through ``crop``; returns (filled RGB of ``core``, soft mask of ``core`` to
    paste). ``guess``, None or a callable, returns the crop's first guess (:class:`FrameGuess`)."""
    mask = request.mask
    hole_core = mask[core.slices] > 0
    own_core = np.where((labels[core.slices] == region.label) & hole_core, mask[core.slices], 0).astype(np.uint8)
    rgb = np.ascontiguousarray(request.image[crop.slices][..., :3])
    hole = (mask[crop.slices] > 0).astype(np.uint8)     # every hole is unknown, own or not
    out = fill_at_network_scale(net, device, rgb, hole, depth, guess)
    inner = Rect(core.x0 - crop.x0, core.y0 - crop.y0, core.x1 - crop.x0, core.y1 - crop.y0)
    return out[inner.slices], own_core


def fill_at_network_scale(net, device, rgb: np.ndarray, hole: np.ndarray, depth: float | None = None,
                          guess=None) -> np.ndarray:
    """``uint8 (h, w, 3)``: the crop ``rgb`` with ``hole`` (``uint8``/bool) filled by the network, at
    the scale it handles (downscaled when the hole is deeper than :data:`MAX_HOLE_DEPTH` px or the
    crop larger than :data:`FILL_MAX_WORK`), scaled back. Pixels outside the hole are not kept
    bit-identical here: the caller pastes only the hole. ``guess``, when given, returns the crop's
    first guess at full scale (:meth:`FrameGuess.crop`); a downscaled crop solves its own."""
    import cv2

    hole = (hole > 0).astype(np.uint8)
    h, w = hole.shape
    if depth is None:
        depth = float(cv2.distanceTransform(hole, cv2.DIST_L2, 3).max())
    size = _network_size(w, h, depth)
    if size != (w, h):
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        # Any coverage makes a small pixel a hole, so no damage leaks into the context.
        hole = (cv2.resize(hole.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
        guess = None
    out = _infer_fill(net, device, np.ascontiguousarray(rgb), hole, None if guess is None else guess())
    if size != (w, h):
        out = cv2.resize(out, (w, h), interpolation=cv2.INTER_CUBIC)
    return out


def _network_size(w: int, h: int, depth: float) -> tuple[int, int]:
    """The (width, height) a ``w`` x ``h`` crop whose deepest hole is ``depth`` px is filled at."""
    factor = min(1.0, MAX_HOLE_DEPTH / max(depth, 1e-6), math.sqrt(FILL_MAX_WORK / (w * h)))
    return max(8, round(w * factor)), max(8, round(h * factor))


def _infer_fill(net, device, rgb: np.ndarray, hole: np.ndarray, shared: np.ndarray | None = None) -> np.ndarray:
    """``uint8 (h, w, 3)`` filled by the network (contract: inpaint_net); ``shared`` is the
    crop's first guess when the caller has one (``float32 (h, w, 3)``, see :func:`first_guess`).

    The crop is padded by reflection to a multiple of :data:`SHAPE_BUCKET`:
    crops then come in a few shapes whose buffers the allocator reuses,
    instead of a new shape per crop that fragments the heap (measured on a
    24 MP scan: peak RSS +1.0 GB without buckets, see the report). 32 px
    rather than 64 since large blocks stay on the heap (``large_blocks_on_heap``):
    the same peak RSS (851 against 859 MiB) and 11 % fewer padded pixels.
    """
    import torch

    h, w = hole.shape
    pad = ((0, -h % SHAPE_BUCKET), (0, -w % SHAPE_BUCKET))
    if any(p for _, p in pad):
        rgb = np.pad(rgb, pad + ((0, 0),), mode="symmetric")
        hole = np.pad(hole, pad, mode="symmetric")
        if shared is not None:
            shared = np.pad(shared, pad + ((0, 0),), mode="symmetric")
    pixels = rgb.astype(np.float32) / np.float32(255.0)   # as torch's div_(255.0): the same floats
    guess = first_guess(net, pixels, hole, shared)
    # Channels-last: OpenCV-style (H, W, C) memory that oneDNN's CPU convolutions run
    # 1.4x faster on (0.129 -> 0.093 s for one 480 px pass); the values are the same
    # up to float rounding.
    last = torch.channels_last
    if not getattr(net, "_channels_last", False):
        net.to(memory_format=last)
        net._channels_last = True
    with torch.inference_mode():
        image = torch.from_numpy(pixels).to(device).permute(2, 0, 1)[None].contiguous(memory_format=last)
        mask = torch.from_numpy(hole).to(device)[None, None].float().contiguous(memory_format=last)
        if guess is None:
            # In fp32, outside the autocast: push-pull's averaging convolutions in bf16 were
            # several levels off (max 10 in a hole), where the network's correction is not.
            start = net.first_guess(image, mask)
        else:
            start = torch.from_numpy(guess).to(device).permute(2, 0, 1)[None].contiguous(memory_format=last)
        with _precision(torch.device(device)):
            out = net(image, mask, start)[0, :, :h, :w].clamp(0, 1).mul(255.0).round().byte()
    return out.permute(1, 2, 0).cpu().numpy()


def _precision(device):
    """bf16 convolutions on a CPU that computes them natively (AVX512-BF16 or AMX), else fp32.

    Measured on held-out photos through this job (docs/BENCHMARKS.md):
    hole PSNR within 0.01 dB of fp32, a 512 px pass 1.6x faster on a 2-core
    EPYC. Outside the hole the output is still the fp32 input (the network's
    final ``torch.where``), bit-identical. Elsewhere (no native bf16, where
    autocast would emulate it slowly; GPUs, not measured) the network runs
    in fp32 as trained.
    """
    import torch

    if device.type == "cpu" and (CPU_BF16 if CPU_BF16 is not None else _native_bf16()):
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@functools.cache
def _native_bf16() -> bool:
    import torch

    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool((probe is not None and probe()) or (amx is not None and amx()))


def first_guess(net, pixels: np.ndarray, hole: np.ndarray, shared: np.ndarray | None = None) -> np.ndarray | None:
    """The biharmonic first fill of a crop, in numpy, for a network that starts from one.

    ``pixels`` ``float32 (h, w, 3)`` in [0, 1], ``hole`` ``uint8 (h, w)``.
    None when the network starts from push-pull, or the hole is one that
    the biharmonic solve would take too long on (the network's own
    push-pull guess is used then, as inside ``forward``). ``shared``, the
    crop's guess from the frame's one solve (:class:`FrameGuess`), is used
    when given.
    """
    if getattr(net, "guess", None) != "biharmonic":
        return None
    from ..models.inpaint_net import MAX_BIHARMONIC_HOLE

    unknown = hole > 0
    if np.count_nonzero(unknown) > MAX_BIHARMONIC_HOLE:
        return None
    if shared is not None:
        return shared
    # The holes are zeroed first, exactly as the network does before its own guess.
    return biharmonic_guess(np.where(unknown[..., None], np.float32(0.0), pixels), unknown, MAX_BIHARMONIC_HOLE)
