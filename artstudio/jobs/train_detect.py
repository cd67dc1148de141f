"""Training the damage finder (:mod:`artstudio.models.detect_net`) on a folder of clean photos.

``run_train_detect(request, cancel)`` is a job on the shared training
skeleton (:mod:`.train_run`): the same events, checkpoint
(``NAME.safetensors`` + ``NAME.json`` + ``NAME.train.safetensors``,
replaced together) and card (:mod:`.train_card`, whose ``command`` re-runs
the recipe with ``artstudio train detect``) as the restoration networks.

Recipe
------
- Photos decoded once (cached) by :func:`artstudio.core.dataset.prepare_photos`.
- Each step: ``batch`` augmented random crops
  (:func:`.train_restore.random_crop`: 1-2x area downscale, flips, rot90,
  colour jitter), each damaged on the fly by
  :func:`artstudio.core.detect_synth.damage_crop` (white and dark dust,
  lint, hairs, fibres, scratches, creases; then scan blur, film grain and
  JPEG; a fifth of the crops left clean). With ``hard_crops`` F, that
  fraction of the crops is the most detailed of :data:`HARD_CANDIDATES`
  random ones (mean absolute Laplacian of luma): grass, bark, glints and
  rims, where the finder's false alarms come from. The draws of step ``k``
  depend only on ``(seed, k)``: a resumed run continues as an uninterrupted
  one would.
- Loss: binary cross-entropy on the logits plus 0.3 x (1 - soft F1), both
  over the labelled pixels (the soft rims of marks are skipped); with
  ``hard_negatives`` W, plus W x the mean cross-entropy of the
  :data:`HARD_NEGATIVE_SHARE` of clean pixels the network gets most wrong
  (online hard-example mining). Adam, warm-up then cosine (the restoration
  trainers' schedule).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.detect_synth import IGNORE, damage_crop
from .base import CancelToken, Event, JobError, Progress
from .train_common import TrainControl, TrainLog, TrainResult, check_name
from .train_net import NetRun, run_net_training
from .train_restore import _lr_at, random_crop

TASK = "detect"
DEFAULTS = {"size": 160, "batch": 12, "lr": 2e-3, "config": {"width": 24}}
INITS = ("shipped", "scratch")
FINETUNE_LR_FACTOR = 0.25
DICE_WEIGHT = 0.3
POS_WEIGHT = 2.0
STATS_EVERY = 10
HARD_CANDIDATES = 4         # random crops a "hard" crop is the most detailed of
HARD_NEGATIVE_SHARE = 0.005  # of the batch's clean pixels, the worst scored, for hard_negatives


@dataclass(frozen=True)
class TrainDetectRequest:
    """What to train; files are ``out/NAME.*``. ``lr`` None: 2e-3 from scratch, a
    quarter of it when fine-tuning the shipped network (``init="shipped"``)."""

    data: Path
    out: Path
    name: str
    steps: int = 2000
    size: int = DEFAULTS["size"]
    batch: int = DEFAULTS["batch"]
    seed: int = 0
    lr: float | None = None
    init: str = "shipped"
    resume: Path | None = None
    device: str = "auto"
    checkpoint_every: int = 500
    preview_every: int = 0
    config: dict = field(default_factory=dict)
    cache: Path | None = None
    control: TrainControl | None = None
    hard_crops: float = 0.0
    hard_negatives: float = 0.0


def request_from_args(args, models: Path, resume: Path | None, cache: Path | None) -> TrainDetectRequest:
    """The request for parsed ``artstudio train detect`` arguments (the CLI's one way in)."""
    config = {"width": args.width} if args.width is not None else {}
    return TrainDetectRequest(data=args.data, out=models, name=args.out, steps=args.steps,
                              size=args.size or DEFAULTS["size"], batch=args.batch or DEFAULTS["batch"],
                              seed=args.seed, lr=args.lr, init=args.init, resume=resume, config=config,
                              checkpoint_every=args.checkpoint_every, cache=cache,
                              hard_crops=args.hard_crops or 0.0, hard_negatives=args.hard_negatives or 0.0)


def recipe(request: TrainDetectRequest) -> dict:
    """Everything but the data and the step count that decides the weights (JSON-able)."""
    found = {"task": TASK, "name": request.name, "size": request.size, "batch": request.batch,
             "seed": request.seed, "lr": _base_lr(request), "init": request.init,
             "config": {**DEFAULTS["config"], **request.config}}
    # Written only when used, so the recipes of cards from before they existed stay what they were.
    found.update({key: float(value) for key, value in (("hard_crops", request.hard_crops),
                                                        ("hard_negatives", request.hard_negatives)) if value})
    return found


def run_train_detect(request: TrainDetectRequest, cancel: CancelToken) -> Generator[Event, None, TrainResult]:
    """Train (or resume, or fine-tune) the damage finder; see the module docstring."""
    _check_request(request)
    return (yield from run_net_training(_DetectRun, request, _side(request), cancel))


class _DetectRun(NetRun):
    """One damage-finder run (:class:`.train_net.NetRun`)."""

    stats_every, loss_key = STATS_EVERY, "loss"
    description = "Finds dust and scratches (trained in ArtStudio)."

    def __init__(self, request: TrainDetectRequest, images: list[np.ndarray], report) -> None:
        import torch

        from ..models.detect_net import ARCHITECTURE, build

        config = {**DEFAULTS["config"], **request.config, "architecture": ARCHITECTURE}
        torch.manual_seed(request.seed)
        super().__init__(request, images, report, build(config), config, _base_lr(request))

    def task(self) -> str:
        return TASK

    def recipe(self) -> dict:
        return recipe(self.request)

    def prepare(self):
        r = self.request
        if r.resume is not None:
            self.resume(Path(r.resume))
        elif r.init == "shipped":
            yield TrainLog(_load_shipped(self.net))
        yield Progress(self.start / r.steps,
                       f"Training the damage finder '{r.name}' on {len(self.images)} photos from step {self.start}…")
        yield TrainLog(f"Training the damage finder '{r.name}' from step {self.start}, {r.size} px crops, "
                       f"batch {r.batch}.")

    def step(self, step: int) -> dict:
        import torch

        for group in self.optimizer.param_groups:
            group["lr"] = _lr_at(step, self.request.steps, self.lr)
        with torch.inference_mode(False), torch.enable_grad():
            damaged, label = _batch(self.images, self.request, step, self.device)
            loss, f1, logits = _loss(self.net, damaged, label, self.request.hard_negatives)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        if self.request.preview_every:      # [damaged | found | truth] of the first crop
            found = torch.sigmoid(logits[:1].detach()).expand(3, -1, -1)
            self.shown = (damaged[0], found, (label[0] == 1).float().expand(3, -1, -1))
        return {"loss": loss.detach(), "F1": f1.detach()}


def _batch(images: list[np.ndarray], request: TrainDetectRequest, step: int, device):
    """``(damaged float32 (B, 3, S, S), label uint8 (B, S, S))``; depends only on ``(seed, step)``."""
    import torch

    rng = np.random.default_rng([request.seed, step, 7])
    side = _side(request)
    pairs = [damage_crop(_crop(images, side, rng, request.hard_crops), rng) for _ in range(request.batch)]
    damaged = np.stack([p[0] for p in pairs]).transpose(0, 3, 1, 2)
    label = np.stack([p[1] for p in pairs])
    return torch.from_numpy(np.ascontiguousarray(damaged)).to(device), torch.from_numpy(label).to(device)


def _crop(images: list[np.ndarray], side: int, rng: np.random.Generator, hard: float) -> np.ndarray:
    """One augmented crop; with probability ``hard`` the most detailed of :data:`HARD_CANDIDATES`."""
    count = HARD_CANDIDATES if hard and rng.random() < hard else 1
    crops = [random_crop(images[int(rng.integers(len(images)))], side, rng) for _ in range(count)]
    return max(crops, key=_detail) if count > 1 else crops[0]


def _detail(crop: np.ndarray) -> float:
    """Mean absolute Laplacian of the crop's luma: how much fine detail it holds."""
    import cv2

    luma = crop @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(np.abs(cv2.Laplacian(luma, cv2.CV_32F)).mean())


def _loss(net, damaged, label, hard_negatives: float = 0.0):
    """(loss, soft F1 of the batch, logits (B, S, S)): BCE plus ``DICE_WEIGHT`` x (1 - soft F1),
    labelled pixels only, plus ``hard_negatives`` x the mean BCE of the worst-scored clean pixels."""
    import torch
    import torch.nn.functional as F

    logits = net.logits(damaged)[:, 0]
    valid = (label != IGNORE).float()
    target = (label == 1).float()
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none",
                                             pos_weight=torch.tensor(POS_WEIGHT, device=logits.device))
    mean_bce = (bce * valid).sum() / valid.sum().clamp_min(1.0)
    p = torch.sigmoid(logits) * valid
    f1 = 2 * (p * target).sum() / (p.sum() + target.sum()).clamp_min(1.0)
    loss = mean_bce + DICE_WEIGHT * (1 - f1)
    if hard_negatives:
        clean = bce[(valid * (1 - target)) > 0]
        if clean.numel():
            worst = torch.topk(clean, max(1, int(clean.numel() * HARD_NEGATIVE_SHARE))).values
            loss = loss + hard_negatives * worst.mean()
    return loss, f1, logits


def _load_shipped(net) -> str:
    """Start from the damage finder ArtStudio ships; returns a log line."""
    from ..models.loading import load_net
    from ..models.registry import ModelError, resolve

    try:
        shipped = load_net(resolve(TASK, kind=TASK, user_dir=None))
        net.load_state_dict(shipped.state_dict(), strict=True)
    except (ModelError, RuntimeError) as error:
        raise JobError(f"Cannot fine-tune the shipped damage finder: {str(error).splitlines()[0]} "
                       "(train one with --init scratch).") from None
    net.requires_grad_(True)
    return f"Starting from the shipped network {shipped.spec.name}."


def _base_lr(request: TrainDetectRequest) -> float:
    if request.lr is not None:
        return request.lr
    return DEFAULTS["lr"] * (FINETUNE_LR_FACTOR if request.init == "shipped" else 1.0)


def _side(request: TrainDetectRequest) -> int:
    return max(16, request.size // 8 * 8)


def _check_request(request: TrainDetectRequest) -> None:
    if request.steps < 1 or request.batch < 1 or not 16 <= request.size <= 2048:
        raise JobError("Steps and batch must be at least 1 and the crop size from 16 to 2048 px.")
    check_name(request.name)
    if not 0.0 <= request.hard_crops <= 1.0 or request.hard_negatives < 0:
        raise JobError("--hard-crops is a fraction from 0 to 1 and --hard-negatives a weight of at least 0.")
    if request.init not in INITS:
        raise JobError(f"Unknown start '{request.init}'; choose one of: {', '.join(INITS)}.")
