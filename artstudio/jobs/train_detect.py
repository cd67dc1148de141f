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
  JPEG; a fifth of the crops left clean). The draws of step ``k`` depend only
  on ``(seed, k)``: a resumed run continues as an uninterrupted one would.
- Loss: binary cross-entropy on the logits plus 0.3 x (1 - soft F1), both
  over the labelled pixels (the soft rims of marks are skipped). Adam,
  warm-up then cosine (the restoration trainers' schedule).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.dataset import prepare_photos
from ..core.detect_synth import IGNORE, damage_crop
from .base import CancelToken, Event, JobError, Progress
from .train_common import Smoother, TrainControl, TrainLog, TrainResult, check_name, device_for
from .train_restore import _lr_at, _preview_strip, random_crop
from .train_run import Loop, read_data, run_loop

TASK = "detect"
DEFAULTS = {"size": 160, "batch": 12, "lr": 2e-3, "config": {"width": 24}}
INITS = ("shipped", "scratch")
FINETUNE_LR_FACTOR = 0.25
DICE_WEIGHT = 0.3
POS_WEIGHT = 2.0
STATS_EVERY = 10


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


def request_from_args(args, models: Path, resume: Path | None, cache: Path | None) -> TrainDetectRequest:
    """The request for parsed ``artstudio train detect`` arguments (the CLI's one way in)."""
    config = {"width": args.width} if args.width is not None else {}
    return TrainDetectRequest(data=args.data, out=models, name=args.out, steps=args.steps,
                              size=args.size or DEFAULTS["size"], batch=args.batch or DEFAULTS["batch"],
                              seed=args.seed, lr=args.lr, init=args.init, resume=resume, config=config,
                              checkpoint_every=args.checkpoint_every, cache=cache)


def recipe(request: TrainDetectRequest) -> dict:
    """Everything but the data and the step count that decides the weights (JSON-able)."""
    return {"task": TASK, "name": request.name, "size": request.size, "batch": request.batch,
            "seed": request.seed, "lr": _base_lr(request), "init": request.init,
            "config": {**DEFAULTS["config"], **request.config}}


def run_train_detect(request: TrainDetectRequest, cancel: CancelToken) -> Generator[Event, None, TrainResult]:
    """Train (or resume, or fine-tune) the damage finder; see the module docstring."""
    _check_request(request)
    images, report = yield from read_data(
        lambda stop: prepare_photos(request.data, _side(request), request.cache, should_stop=stop),
        "photos", request.data, cancel)
    run = _DetectRun(request, images, report)
    yield from run.prepare()
    end = yield from run_loop(run.loop(), cancel, run.smoother)
    return TrainResult(name=request.name, kind=TASK, weights=run.weights, card=run.card, step=end.done,
                       steps=request.steps, stopped=end.stopped, seconds=end.seconds, images=report.used,
                       skipped=tuple(report.skipped), losses=end.losses, digest=run.digest())


class _DetectRun:
    """One run's network, optimiser and files; the hooks :func:`run_loop` calls."""

    def __init__(self, request: TrainDetectRequest, images: list[np.ndarray], report) -> None:
        import torch

        from ..core.checkpoint_files import checkpoint_files
        from ..models.detect_net import ARCHITECTURE, build

        self.request, self.images, self.report = request, images, report
        self.device = device_for(request.device)
        self.config = {**DEFAULTS["config"], **request.config, "architecture": ARCHITECTURE}
        torch.manual_seed(request.seed)
        self.net = build(self.config).to(self.device).train()
        self.lr = _base_lr(request)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=self.lr)
        self.state, self.weights, self.card = checkpoint_files(request.out, request.name)
        self.start, self.seconds, self.smoother, self.shown = 0, 0.0, Smoother(0.95), None

    def prepare(self):
        r = self.request
        if r.resume is not None:
            self._resume(Path(r.resume))
        elif r.init == "shipped":
            yield TrainLog(_load_shipped(self.net))
        yield Progress(self.start / r.steps,
                       f"Training the damage finder '{r.name}' on {len(self.images)} photos from step {self.start}…")
        yield TrainLog(f"Training the damage finder '{r.name}' from step {self.start}, {r.size} px crops, "
                       f"batch {r.batch}.")

    def loop(self) -> Loop:
        r = self.request
        return Loop(start=self.start, steps=r.steps, images_per_step=r.batch, step=self.step, save=self.save,
                    preview=lambda: None if self.shown is None else _preview_strip(self.shown),
                    control=r.control, stats_every=STATS_EVERY, checkpoint_every=r.checkpoint_every,
                    preview_every=r.preview_every, saved=self.start if r.resume is not None else -1,
                    seconds=self.seconds, hint="try a lower --lr")

    def step(self, step: int) -> dict:
        import torch

        for group in self.optimizer.param_groups:
            group["lr"] = _lr_at(step, self.request.steps, self.lr)
        with torch.inference_mode(False), torch.enable_grad():
            damaged, label = _batch(self.images, self.request, step, self.device)
            loss, f1, logits = _loss(self.net, damaged, label)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        if self.request.preview_every:      # [damaged | found | truth] of the first crop
            found = torch.sigmoid(logits[:1].detach()).expand(3, -1, -1)
            self.shown = (damaged[0], found, (label[0] == 1).float().expand(3, -1, -1))
        return {"loss": loss.detach(), "F1": f1.detach()}

    def save(self, done: int, seconds: float):
        from .train_card import hardware_line, make_card
        from .train_checkpoint import save_checkpoint

        r, losses = self.request, dict(self.smoother.values)
        info = {"step": done, "seconds": seconds, "recipe": recipe(r), "losses": losses}
        model = {k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}
        loss = losses.get("loss")

        def card(sha256: str) -> dict:
            fields = {"task": TASK, "architecture": self.config["architecture"], "config": self.config,
                      "loss": None if loss is None or not math.isfinite(loss) else round(float(loss), 6),
                      "description": "Finds dust and scratches (trained in ArtStudio)."}
            return make_card(name=r.name, kind="restore", sha256=sha256, recipe=recipe(r),
                             data={"folder": r.data, "images": self.report.used, "skipped": self.report.skipped},
                             step=done, steps=r.steps, seconds=seconds, seed=r.seed, losses=losses,
                             train_state=self.state.name, hardware=hardware_line(self.device),
                             licence="MIT (ArtStudio)", fields=fields)
        try:
            save_checkpoint(r.out, r.name, ({"net": self.net}, {"adam": self.optimizer}, info), model, card,
                            metadata={"task": TASK})
        except OSError as error:
            raise JobError(f"Cannot write the checkpoint to '{r.out}': {error.strerror or error}.") from None
        yield TrainLog(f"Checkpoint at step {done}: {self.weights.name}")

    def _resume(self, path: Path) -> None:
        from ..core.checkpoint_files import state_path
        from .train_checkpoint import check_resumable, load_train_state, read_train_info

        state = state_path(path)
        check_resumable(read_train_info(state).get("recipe", {}), recipe(self.request), state)
        info = load_train_state(state, {"net": self.net}, {"adam": self.optimizer})
        self.start, self.seconds = int(info["step"]), float(info.get("seconds", 0.0))
        self.smoother.values = dict(info.get("losses", {}))
        if self.start >= self.request.steps:
            raise JobError(f"The checkpoint is already at step {self.start}; ask for more than "
                           f"{self.start} steps to continue training.")

    def digest(self) -> str:
        from .train_checkpoint import digest

        return digest(self.net.state_dict())


def _batch(images: list[np.ndarray], request: TrainDetectRequest, step: int, device):
    """``(damaged float32 (B, 3, S, S), label uint8 (B, S, S))``; depends only on ``(seed, step)``."""
    import torch

    rng = np.random.default_rng([request.seed, step, 7])
    side = _side(request)
    pairs = [damage_crop(random_crop(images[int(rng.integers(len(images)))], side, rng), rng)
             for _ in range(request.batch)]
    damaged = np.stack([p[0] for p in pairs]).transpose(0, 3, 1, 2)
    label = np.stack([p[1] for p in pairs])
    return torch.from_numpy(np.ascontiguousarray(damaged)).to(device), torch.from_numpy(label).to(device)


def _loss(net, damaged, label):
    """(loss, soft F1 of the batch, logits (B, S, S)): BCE plus ``DICE_WEIGHT`` x (1 - soft F1), labelled pixels only."""
    import torch
    import torch.nn.functional as F

    logits = net.logits(damaged)[:, 0]
    valid = (label != IGNORE).float()
    target = (label == 1).float()
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none",
                                             pos_weight=torch.tensor(POS_WEIGHT, device=logits.device))
    bce = (bce * valid).sum() / valid.sum().clamp_min(1.0)
    p = torch.sigmoid(logits) * valid
    f1 = 2 * (p * target).sum() / (p.sum() + target.sum()).clamp_min(1.0)
    return bce + DICE_WEIGHT * (1 - f1), f1, logits


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
    if request.init not in INITS:
        raise JobError(f"Unknown start '{request.init}'; choose one of: {', '.join(INITS)}.")
