"""Deep Image Prior jobs: fill, denoise or upscale one photo with no trained model.

A fresh :class:`~artstudio.models.dip_net.DipNet` is fitted to the degraded
pixels (Adam, lr 0.01, the input noise jittered every step as in the paper)
and stopped early; what it has learnt by then is the restored image.

Stopping rule
-------------
The returned image is an exponential moving average of the outputs (decay
0.99, warmed up so that the first, grey outputs do not linger). Averaging
removes the iteration-to-iteration flicker that the jittered input causes and
delays overfitting. Optimisation stops at the first of:

* **plateau** (inpaint, sr, and denoise too): the mean loss on the known
  pixels over the last 100 iterations improved by less than 3 % over the
  100 before. By then the known pixels are fitted and the hole or the fine
  detail changes little.
* **noise level** (denoise, gaussian): the loss reached the noise variance
  estimated from the photo (the discrepancy principle). A denoising loss
  keeps falling while the network learns the noise itself, so "stops
  improving" would come too late; fitting the noisy photo more closely than
  its noise level can only mean fitting noise.
* the iteration limit, or the user's stop button.

PSNR backtracking (the paper's code) is kept only as a divergence guard: if
the loss jumps above 3x (~5 dB) its value at the last check, the weights of
that check are restored. As a stopping rule it needs the clean image, which
a user does not have.

Size
----
On the CPU the work is bounded: inpainting runs on the crop around the mask
(downscaled to at most :data:`CPU_INPAINT_PIXELS`, result upscaled, only
masked pixels pasted back); denoise and sr refuse images whose working size
exceeds :data:`CPU_MAX_PIXELS`. :func:`artstudio.jobs.estimate.estimate_dip_seconds`
tells the UI the expected time before starting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from ..core.inpaint import blend_into
from ..core.noise import estimate_noise_sigma
from ..core.rect import Rect, bbox_of_nonzero
from .base import CancelToken, Event, JobError, Preview, Progress, readonly_copy
from .interruptible import cancel_between_layers

TASKS: dict[str, str] = {"inpaint": "Deep Image Prior fill", "denoise": "Deep Image Prior denoise",
                         "sr": "Deep Image Prior upscale"}
SCALES = (2, 4)
DEFAULT_ITERATIONS = {"inpaint": 2000, "denoise": 1500, "sr": 1500}
CPU_INPAINT_PIXELS = 256 * 256
CPU_MAX_PIXELS = 512 * 512
GPU_MAX_PIXELS = 2048 * 2048
LEARNING_RATE = 0.01
INPUT_JITTER = {"inpaint": 0.03, "denoise": 1 / 30, "sr": 0.03}
EMA_DECAY = 0.99
PLATEAU_WINDOW = 100
PLATEAU_TOLERANCE = 0.03
MIN_ITERATIONS = 200
CHECK_EVERY = 25
DIVERGENCE_RATIO = 3.0


@dataclass(frozen=True)
class DipRequest:
    """What Deep Image Prior should restore; arrays are read-only copies.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A); alpha is carried over, not optimised.
    task : str
        ``"inpaint"``, ``"denoise"`` or ``"sr"``.
    mask : numpy.ndarray or None
        ``uint8 (H, W)``: for inpaint the holes (255 = fill, soft values
        blend); for denoise optional pixels known to be wrong (impulse
        noise), which are then the only ones replaced.
    scale : int
        2 or 4, for sr.
    iterations : int or None
        Upper limit; None for the task's default.
    auto_stop : bool
        Stop on a plateau or at the noise level (see the module docstring).
    seed : int
        Seeds the network's weights and its input noise.
    preview_every : int
        Iterations between previews.
    """

    image: np.ndarray
    task: str = "inpaint"
    mask: np.ndarray | None = None
    scale: int = 2
    iterations: int | None = None
    auto_stop: bool = True
    seed: int = 0
    preview_every: int = 25
    previews: bool = True
    device: str = "auto"

    @classmethod
    def snapshot(cls, image: np.ndarray, mask: np.ndarray | None = None, **options) -> "DipRequest":
        return cls(readonly_copy(image), mask=None if mask is None else readonly_copy(mask), **options)

    @property
    def max_iterations(self) -> int:
        return max(1, int(self.iterations or DEFAULT_ITERATIONS.get(self.task, 1500)))


@dataclass(frozen=True)
class DipResult:
    """``image``: ``uint8``, the input's size (``scale`` times it for sr).

    ``stop_reason``: ``"plateau"``, ``"noise level"`` or ``"limit"``.
    ``losses``: the loss on the known pixels per iteration (0-1 scale, MSE).
    ``bounds``: where pixels may differ from the input (inpaint), else None.
    """

    image: np.ndarray
    task: str
    iterations: int
    stop_reason: str
    seconds: float
    losses: tuple[float, ...]
    work_size: tuple[int, int]
    bounds: Rect | None = None


@dataclass(frozen=True)
class _Plan:
    """Where the work happens: ``crop`` of the input, resized to ``work``
    (w, h), padded to ``padded`` (w, h) for the network's multiple."""

    crop: Rect
    work: tuple[int, int]
    padded: tuple[int, int]
    scale: int              # output / work (sr)


# -- public API -------------------------------------------------------------------------------

def run_dip(request: DipRequest, cancel: CancelToken) -> Generator[Event, None, DipResult]:
    """Optimise a Deep Image Prior for ``request``; see the module docstring.

    Yields Progress every iteration and a Preview (the averaged output in
    place, with a dirty rectangle for inpaint) every ``preview_every``.
    Raises :class:`Cancelled` on cancel and :class:`JobError` on bad input.
    """
    import torch

    check_request(request)
    start = time.perf_counter()
    device, widths, limit = device_setup(request.device)
    plan = plan_work(request, limit, widths)
    cancel.check()
    target, weight, keep = _tensors(request, plan, device)
    sigma2 = _noise_variance(request) if request.task == "denoise" else 0.0
    label = TASKS[request.task]
    yield Progress(0.0, f"{label}: {plan.work[0]}x{plan.work[1]}, up to {request.max_iterations} iterations")
    net, noise = _build(widths, plan, request.seed, device)
    cancel_between_layers(net, cancel)
    optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    jitter = INPUT_JITTER[request.task]
    generator = torch.Generator(device=device).manual_seed(request.seed + 1)
    average, losses, reason = None, [], "limit"
    guard = _DivergenceGuard(net)
    total = request.max_iterations
    with torch.enable_grad():
        for it in range(1, total + 1):
            cancel.check()
            source = noise + jitter * torch.randn(noise.shape, generator=generator, device=device) \
                if jitter else noise
            out = net(source)
            loss = _loss(out, target, weight, plan.scale)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            value = float(loss.item())
            losses.append(value)
            diverged = it % CHECK_EVERY == 0 and guard.diverged(value)
            if not diverged:            # a diverged output must not enter the average
                decay = min(EMA_DECAY, (1 + it) / (10 + it))
                average = out.detach().clone() if average is None else average.mul_(decay).add_(
                    out.detach(), alpha=1 - decay)
            yield Progress(it / total, f"{label}: iteration {it} of {total}, loss {value:.5f}")
            if request.previews and it % max(1, request.preview_every) == 0 and it < total:
                image, dirty = _compose(request, plan, average, keep)
                yield Preview(image, dirty)
            if request.auto_stop:
                reason = _stop_reason(losses, sigma2) or reason
                if reason != "limit":
                    break
    image, bounds = _compose(request, plan, average, keep)
    return DipResult(image, request.task, len(losses), reason, time.perf_counter() - start,
                     tuple(losses), plan.work, bounds)


# -- checks and planning ----------------------------------------------------------------------

def check_request(request: DipRequest) -> None:
    """Raise :class:`JobError` (one line) on a request :func:`run_dip` cannot run."""
    if request.task not in TASKS:
        raise JobError(f"Unknown Deep Image Prior task '{request.task}'. Choose one of: {', '.join(TASKS)}.")
    image = request.image
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 8:
        raise JobError("Deep Image Prior needs an RGB(A) image of at least 8x8 pixels.")
    if request.task == "sr" and request.scale not in SCALES:
        raise JobError(f"Upscale factor must be 2 or 4, not {request.scale}.")
    if request.mask is not None and request.mask.shape != image.shape[:2]:
        raise JobError("The mask and the image have different sizes.")
    if request.task == "inpaint" and (request.mask is None or not request.mask.any()):
        raise JobError("The mask is empty: paint over the damage first.")


def device_setup(preference: str):
    """(torch device, network widths, most working pixels) for ``preference`` (``auto``, ``cpu``...)."""
    from ..models.device import choose_device
    from ..models.dip_net import CPU_WIDTHS, GPU_WIDTHS

    try:
        device = choose_device(preference)
    except ValueError as exc:
        raise JobError(str(exc)) from None
    if device.type == "cpu":
        return device, CPU_WIDTHS, CPU_MAX_PIXELS
    return device, GPU_WIDTHS, GPU_MAX_PIXELS


def plan_work(request: DipRequest, limit: int, widths: tuple[int, ...]) -> _Plan:
    """Where the work happens (crop, working and padded size); JobError when it is too large."""
    multiple = 2 ** len(widths)
    h, w = request.image.shape[:2]
    if request.task == "inpaint":
        crop = _inpaint_crop(request.mask)
        budget = min(limit, CPU_INPAINT_PIXELS) if limit == CPU_MAX_PIXELS else limit
        factor = min(1.0, math.sqrt(budget / (crop.width * crop.height)))
        work = (max(8, round(crop.width * factor)), max(8, round(crop.height * factor)))
        return _Plan(crop, work, _padded(work, multiple, 2 * multiple), 1)
    scale = request.scale if request.task == "sr" else 1
    if w * h * scale * scale > limit:
        what = "upscale" if scale > 1 else "denoise"
        raise JobError(f"Deep Image Prior can {what} up to {limit:,} output pixels here "
                       f"(e.g. {math.isqrt(limit)}x{math.isqrt(limit)}); this needs {w * h * scale * scale:,}. "
                       "Crop the photo first, or use the net method.")
    # BatchNorm at the deepest level needs more than one value: 2 x multiple.
    step = max(1, multiple // scale)
    return _Plan(Rect(0, 0, w, h), (w, h), _padded((w, h), step, 2 * multiple // scale), scale)


def _inpaint_crop(mask: np.ndarray) -> Rect:
    """The holes' bounding box with context: half the box's side, at least 32 px."""
    box = bbox_of_nonzero(mask > 0)
    margin = max(32, max(box.width, box.height) // 2)
    return box.grown(margin).clip(mask.shape[1], mask.shape[0])


def _padded(size: tuple[int, int], multiple: int, least: int = 1) -> tuple[int, int]:
    """``size`` rounded up to ``multiple``, each side at least ``least``."""
    return tuple(max(least, -(-v // multiple) * multiple) for v in size)


# -- tensors ---------------------------------------------------------------------------------

def _tensors(request: DipRequest, plan: _Plan, device):
    """(target (1, 3, H, W) in [0, 1], known-pixel weight (1, 1, H, W), keep mask)

    at the padded working size; padding and holes weigh 0. ``keep`` is the
    uint8 mask of the crop that the result is pasted through (None: all).
    """
    import cv2
    import torch

    crop = plan.crop
    rgb = np.ascontiguousarray(request.image[crop.slices][..., :3])
    mask = None if request.mask is None else np.asarray(request.mask[crop.slices])
    known = np.ones(rgb.shape[:2], np.float32)
    if mask is not None:
        known[mask > 0] = 0.0
    if plan.work != (crop.width, crop.height):
        rgb = cv2.resize(rgb, plan.work, interpolation=cv2.INTER_AREA)
        # A known pixel of the small image must not average in any damage.
        known = (cv2.resize(known, plan.work, interpolation=cv2.INTER_AREA) >= 0.999).astype(np.float32)
    pad_w, pad_h = plan.padded[0] - plan.work[0], plan.padded[1] - plan.work[1]
    rgb = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
    known = np.pad(known, ((0, pad_h), (0, pad_w)))
    target = torch.from_numpy(rgb.astype(np.float32) / 255.0).permute(2, 0, 1)[None].to(device)
    weight = torch.from_numpy(known)[None, None].to(device)
    return target, weight, mask


def _build(widths, plan: _Plan, seed: int, device):
    import torch

    from ..models.dip_net import DipNet, dip_input

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = DipNet(widths=widths).to(device).train()
    w, h = plan.padded
    noise = dip_input(net.in_channels, h * plan.scale, w * plan.scale, seed).to(device)
    return net, noise


def _loss(out, target, weight, scale: int):
    import torch.nn.functional as F

    if scale > 1:    # the high-resolution guess must downscale to the photo
        out = F.interpolate(out, scale_factor=1 / scale, mode="bicubic", antialias=True,
                            align_corners=False)
    return ((out - target) ** 2 * weight).sum() / (weight.sum().clamp_min(1.0) * 3)


def _noise_variance(request: DipRequest) -> float:
    """Gaussian noise variance of the photo (0-1 scale); 0 when impulses are
    masked (the known pixels are exact)."""
    if request.mask is not None:
        return 0.0
    return estimate_noise_sigma(request.image) ** 2


def _stop_reason(losses: list[float], sigma2: float) -> str | None:
    n = len(losses)
    if sigma2 > 0 and n >= 20 and sum(losses[-10:]) / 10 <= sigma2:
        return "noise level"
    if n >= MIN_ITERATIONS and n % PLATEAU_WINDOW == 0:
        now = sum(losses[-PLATEAU_WINDOW:])
        before = sum(losses[-2 * PLATEAU_WINDOW:-PLATEAU_WINDOW])
        if before - now < PLATEAU_TOLERANCE * before:
            return "plateau"
    return None


class _DivergenceGuard:
    """Restores the last good weights when the loss jumps (PSNR backtracking)."""

    def __init__(self, net):
        self.net = net
        self.state = None
        self.loss = math.inf

    def diverged(self, loss: float) -> bool:
        """Restore the last good weights if ``loss`` jumped; else remember these."""
        if self.state is not None and loss > DIVERGENCE_RATIO * self.loss:
            self.net.load_state_dict(self.state)
            return True
        self.state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        self.loss = loss
        return False


# -- results ---------------------------------------------------------------------------------

def _compose(request: DipRequest, plan: _Plan, average, keep) -> tuple[np.ndarray, Rect | None]:
    """The result image from the averaged output; returns (image, bounds)."""
    import cv2

    out = (average[0].clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()
    w, h = plan.work
    out = np.ascontiguousarray(out[:h * plan.scale, :w * plan.scale])
    image = request.image
    if request.task == "sr":
        if image.shape[2] == 3:
            return out, None
        alpha = cv2.resize(np.ascontiguousarray(image[..., 3]), out.shape[1::-1], interpolation=cv2.INTER_CUBIC)
        return np.dstack([out, alpha]), None
    crop = plan.crop
    if out.shape[:2] != (crop.height, crop.width):
        out = cv2.resize(out, (crop.width, crop.height), interpolation=cv2.INTER_CUBIC)
    result = np.array(image, copy=True)
    target = result[crop.slices][..., :3]
    if keep is None:
        target[...] = out
        return result, None
    blend_into(target, out, keep)
    return result, crop
