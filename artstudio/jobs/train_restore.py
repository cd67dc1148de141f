"""Training the restoration networks (inpaint, denoise, super-resolution) on a folder of photos.

``run_train_restore(request, cancel)`` is a job (see :mod:`.base`) run on the
shared skeleton of :mod:`.train_run`: it yields :class:`Progress` (loss and
images/s in the message), now and then a :class:`Preview` strip
``[damaged | restored | clean]``, TrainStats and TrainLog events (see
:mod:`.train_common`), and returns a :class:`~.train_common.TrainResult`.

Recipe
------
- The folder is decoded once, in parallel and cached, by
  :func:`artstudio.core.dataset.prepare_photos` (full-resolution RGB
  ``uint8``); unreadable files and images smaller than the crop are skipped
  and reported in the card.
- Each step draws ``batch`` random crops: scale jitter (downscale 1x-2x with
  area averaging, which also cleans camera noise from the targets), flips,
  rot90 and mild colour jitter, then damages them on the fly: seeded masks
  from :func:`artstudio.core.damage.damage_mask` (inpaint), gaussian noise of
  sigma 0..55 (denoise), antialiased bicubic x2 and x4 downscales (sr; one
  net, both scales every step).
- L1 loss (inside the hole for inpainting), Adam, cosine learning rate with a
  short warm-up.
- Every ``checkpoint_every`` steps and at the end, one checkpoint
  (:mod:`.train_checkpoint`): ``NAME.safetensors``, its card ``NAME.json``
  (:mod:`.train_card`) and ``NAME.train.safetensors``, replaced together.
  The random draws of step ``k`` depend only on ``(seed, k)``, so a resumed
  run continues exactly as an uninterrupted one would (on CPU).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.damage import MASK_KINDS, damage_mask
from . import train_defaults as D
from .base import CancelToken, Event, JobError, Progress
from .train_common import TrainControl, TrainLog, TrainResult, check_name
from .train_net import NetRun, run_net_training

TASKS = D.RESTORE_TASKS
DEFAULTS = D.RESTORE_NETWORK
MASK_MIX = (("scratches", 0.35), ("dust", 0.2), ("strokes", 0.25), ("box", 0.05), ("mixed", 0.15))
DUST_LAYERS = 4
SIGMA_MAX = 55.0
WARMUP = 100
MIN_LR_FRACTION = 0.02
INITS = D.INITS
FINETUNE_LR_FACTOR = D.FINETUNE_LR_FACTOR
STATS_EVERY = 10

assert {k for k, _ in MASK_MIX} <= set(MASK_KINDS)


@dataclass(frozen=True)
class TrainRestoreRequest:
    """What to train. ``out`` is a folder; files are ``out/NAME.*``.

    ``size`` is the crop side in px (for ``sr``, of the high-resolution crop;
    rounded down to a multiple of 8). ``lr`` None: the task's default.
    ``scale`` (``sr`` only): the scales trained every step. The network always
    has both x2 and x4 heads on one shared body (one file; on a CPU budget the
    shared features see twice the data); the default trains both.
    ``resume``: a ``NAME.safetensors`` (or its ``.json`` card, or its
    ``.train.safetensors``) written by this job; training continues from its
    step up to ``steps``. ``init``: ``"shipped"`` (the default) fine-tunes
    the network ArtStudio ships for the task (at a quarter of the default
    learning rate unless ``lr`` is given), ``"scratch"`` starts from random
    weights. ``damage`` (``inpaint`` only): the mask kinds to train on, drawn
    with the proportions of :data:`MASK_MIX` among them (empty: all of them),
    to fine-tune on the damage a user's photos have. ``config``: network
    options over the task's defaults (``width``; ``depth`` for sr).
    ``cache``: where decoded photos are kept between runs (None: not cached).
    ``control``: ask for a clean stop. Defaults: :mod:`.train_defaults`.
    """

    task: str
    data: Path
    out: Path
    name: str
    steps: int = D.STEPS
    size: int = D.RESTORE["size"]
    batch: int = D.RESTORE["batch"]
    seed: int = D.SEED
    lr: float | None = None
    scale: tuple[int, ...] = D.SR_SCALES
    resume: Path | None = None
    device: str = D.DEVICE
    checkpoint_every: int = D.CHECKPOINT_EVERY
    preview_every: int = 200
    config: dict = field(default_factory=dict)
    init: str = D.INIT
    damage: tuple[str, ...] = ()
    cache: Path | None = None
    control: TrainControl | None = None


def recipe(request: TrainRestoreRequest) -> dict:
    """Everything but the data and the step count that decides the weights (JSON-able)."""
    config = {**DEFAULTS[request.task][1], **request.config}
    return {"task": request.task, "name": request.name, "size": request.size, "batch": request.batch,
            "seed": request.seed, "lr": _base_lr(request), "init": request.init,
            "damage": list(request.damage), "scale": list(request.scale) if request.task == "sr" else None,
            "config": config}


def run_train_restore(request: TrainRestoreRequest, cancel: CancelToken) -> Generator[Event, None, TrainResult]:
    """Train (or resume, or fine-tune) one restoration network; see the module docstring."""
    _check_request(request)
    return (yield from run_net_training(_RestoreRun, request, _crop_size(request), cancel))


class _RestoreRun(NetRun):
    """One restoration network's run (:class:`.train_net.NetRun`)."""

    stats_every, loss_key = STATS_EVERY, "L1"

    def __init__(self, request: TrainRestoreRequest, images: list[np.ndarray], report) -> None:
        net, config = _build(request)
        super().__init__(request, images, report, net, config, _base_lr(request))

    def task(self) -> str:
        return self.request.task

    def recipe(self) -> dict:
        return recipe(self.request)

    def prepare(self):
        request = self.request
        if request.resume is not None:
            self.resume(Path(request.resume))
        elif request.init == "shipped":
            yield TrainLog(_load_shipped(request.task, self.net))
        name = f"{request.task} network '{request.name}'"
        how = "fine-tuning the shipped one" if request.init == "shipped" and not self.start \
            else f"from step {self.start}"
        yield Progress(self.start / request.steps,
                       f"Training the {name} on {len(self.images)} photos from step {self.start}…")
        yield TrainLog(f"Training the {name} ({how}), {request.size} px crops, batch {request.batch}.")

    def step(self, step: int) -> dict:
        import torch

        for group in self.optimizer.param_groups:
            group["lr"] = _lr_at(step, self.request.steps, self.lr)
        # A caller may drive this generator from inside inference_mode/no_grad.
        with torch.inference_mode(False), torch.enable_grad():
            clean = _batch(self.images, self.request, step, self.device)
            loss, self.shown = _loss(self.net, self.request, clean, step)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return {"L1": loss.detach()}


def _base_lr(request: TrainRestoreRequest) -> float:
    return request.lr if request.lr is not None else D.restore_lr(request.task, request.init)


def _load_shipped(task: str, net) -> str:
    """Start from the network ArtStudio ships for ``task``; returns a log line."""
    from ..models.registry import ModelError
    from ..models.restore_models import find_restore_model, load_restore_net

    try:
        shipped = load_restore_net(find_restore_model(task))
        net.load_state_dict(shipped.state_dict(), strict=True)
    except (ModelError, RuntimeError) as error:
        raise JobError(f"Cannot fine-tune the shipped {task} network: {str(error).splitlines()[0]}") from None
    net.requires_grad_(True)
    return f"Starting from the shipped network {shipped.spec.name}."


# --- data -----------------------------------------------------------------

def random_crop(image: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """One augmented ``uint8 (size, size, 3)`` crop (scale, flips, rot90, colour)."""
    import cv2

    h, w = image.shape[:2]
    zoom = rng.uniform(1.0, min(2.0, min(h, w) / size))
    side = min(min(h, w), int(round(size * zoom)))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = image[y:y + side, x:x + side]
    if side != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    crop = np.rot90(crop, int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = crop.astype(np.float32) / 255.0
    if rng.random() < 0.8:
        gain = rng.uniform(0.9, 1.1, 3).astype(np.float32) * np.float32(rng.uniform(0.85, 1.15))
        mean = crop.mean()
        crop = (crop - mean) * np.float32(rng.uniform(0.8, 1.2)) + mean * gain
    return np.clip(crop, 0.0, 1.0)


def _batch(images: list[np.ndarray], request: TrainRestoreRequest, step: int, device):
    """``float32 (B, 3, S, S)`` clean crops; depends only on ``(seed, step)``."""
    import torch

    rng = np.random.default_rng([request.seed, step, 1])
    size = _crop_size(request)
    crops = [random_crop(images[int(rng.integers(len(images)))], size, rng) for _ in range(request.batch)]
    return torch.from_numpy(np.stack(crops).transpose(0, 3, 1, 2).copy()).to(device)


# --- the three tasks --------------------------------------------------------

def _loss(net, request: TrainRestoreRequest, clean, step: int):
    """(loss, (damaged, restored, clean) of the first sample for previews)."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng([request.seed, step, 2])
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    b, _, s, _ = clean.shape
    if request.task == "inpaint":
        mix = [(k, p) for k, p in MASK_MIX if not request.damage or k in request.damage]
        kinds = [k for k, _ in mix]
        weights = np.array([p for _, p in mix])
        masks = [_training_mask(kinds[rng.choice(len(kinds), p=weights / weights.sum())], s,
                                int(rng.integers(2**31))) for _ in range(b)]
        mask = torch.from_numpy(np.stack(masks)[:, None] > 0).to(clean.device, torch.float32)
        damaged = clean * (1 - mask)
        out = net(damaged, mask)
        # Mean over each sample's own hole, so a thin scratch counts as much as a box.
        per_sample = (out - clean).abs().mul(mask).sum((1, 2, 3)) / (mask.sum((1, 2, 3)) * 3).clamp_min(1.0)
        loss = per_sample.mean()
        return loss, (damaged[0], out[0], clean[0])
    if request.task == "denoise":
        sigma = torch.rand(b, 1, 1, 1, generator=gen) * (SIGMA_MAX / 255.0)
        noise = torch.randn(clean.shape, generator=gen) * sigma
        noisy = ((clean + noise.to(clean.device)).clamp(0, 1) * 255).round() / 255
        out = net(noisy)
        return F.l1_loss(out, clean), (noisy[0], out[0], clean[0])
    losses, shown = [], None
    for scale in request.scale:
        small = F.interpolate(clean, scale_factor=1 / scale, mode="bicubic", antialias=True,
                              align_corners=False)
        small = (small.clamp(0, 1) * 255).round() / 255
        out = net(small, scale)
        losses.append(F.l1_loss(out, clean))
        if shown is None:
            base = F.interpolate(small[:1], scale_factor=scale, mode="nearest")[0]
            shown = (base, out[0], clean[0])
    return sum(losses) / len(losses), shown


def _training_mask(kind: str, side: int, seed: int) -> np.ndarray:
    """A damage mask for one training crop. ``unit=1``: a crop keeps the damage's
    size in pixels (1-4 px scratches...). Dust, a few specks per crop at its
    photo density, is drawn DUST_LAYERS times denser so that its batches carry
    as many hole pixels to learn from as the other kinds."""
    if kind != "dust":
        return damage_mask(kind, (side, side), seed, unit=1.0)
    layers = [damage_mask(kind, (side, side), seed + i, unit=1.0) for i in range(DUST_LAYERS)]
    return np.maximum.reduce(layers)


def _build(request: TrainRestoreRequest):
    config = {**DEFAULTS[request.task][1], **request.config}
    if request.task == "inpaint":
        from ..models.inpaint_net import ARCHITECTURE, build
    elif request.task == "denoise":
        from ..models.denoise_net import ARCHITECTURE, build
    else:
        from ..models.sr_net import ARCHITECTURE, build
    config["architecture"] = ARCHITECTURE
    import torch

    torch.manual_seed(request.seed)
    return build(config), config


def _lr_at(step: int, steps: int, lr: float) -> float:
    warmup = min(WARMUP, steps // 10)
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (MIN_LR_FRACTION + (1 - MIN_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def _crop_size(request: TrainRestoreRequest) -> int:
    return max(16, request.size // 8 * 8)


def _check_request(request: TrainRestoreRequest) -> None:
    if request.task not in TASKS:
        raise JobError(f"Unknown training task '{request.task}'. Choose one of: {', '.join(TASKS)}.")
    if request.steps < 1 or request.batch < 1 or request.size < 16:
        raise JobError("Steps and batch must be at least 1 and the crop size at least 16 px.")
    check_name(request.name)
    if request.init not in INITS:
        raise JobError(f"Unknown start '{request.init}'; choose one of: {', '.join(INITS)}.")
    unknown = set(request.damage) - {k for k, _ in MASK_MIX}
    if unknown:
        raise JobError(f"Unknown damage '{sorted(unknown)[0]}'; choose from: {', '.join(k for k, _ in MASK_MIX)}.")
    if request.task == "sr" and (not request.scale or set(request.scale) - {2, 4}):
        raise JobError("Super-resolution scales must be 2 and/or 4.")


def _preview_strip(shown) -> np.ndarray:
    import torch

    with torch.no_grad():
        row = torch.cat([t.detach().float().cpu().clamp(0, 1) for t in shown], dim=2)
    return (row.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


