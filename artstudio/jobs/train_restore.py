"""Training the restoration networks (inpaint, denoise, super-resolution) on a folder of photos.

``run_train_restore(request, cancel)`` is a job (see :mod:`.base`): it yields
:class:`Progress` (loss and images/s in the message) and now and then a
:class:`Preview` strip ``[damaged | restored | clean]``, and returns a
:class:`~.train_common.TrainResult`; it also yields TrainStats and TrainLog
events (see :mod:`.train_common`).

Recipe
------
- The folder is decoded once into memory (RGB ``uint8``); unreadable files
  and images smaller than the crop are skipped and reported in the card.
- Each step draws ``batch`` random crops: scale jitter (downscale 1x-2x with
  area averaging, which also cleans camera noise from the targets), flips,
  rot90 and mild colour jitter, then damages them on the fly: seeded masks
  from :func:`artstudio.core.damage.damage_mask` (inpaint), gaussian noise of
  sigma 0..55 (denoise), antialiased bicubic x2 and x4 downscales (sr; one
  net, both scales every step).
- L1 loss (inside the hole for inpainting), Adam, cosine learning rate with a
  short warm-up.
- Every ``checkpoint_every`` steps and at the end: ``NAME.safetensors``
  (weights), ``NAME.json`` (the card: recipe, step, data, seed, time,
  hardware, sha256) and ``NAME.train.safetensors`` (Adam moments) for
  resuming. The random draws of step ``k`` depend only on ``(seed, k)``, so a
  resumed run continues exactly as an uninterrupted one would (on CPU).
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Generator
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..core.damage import MASK_KINDS, damage_mask
from ..core.imageio import READ_EXTENSIONS, ImageError, load_image
from ..core.dataset import DatasetError, scan_images
from .base import CancelToken, Cancelled, Event, JobError, Preview, Progress
from .train_checkpoint import atomic_write
from .train_common import Pace, Smoother, TrainControl, TrainLog, TrainResult, TrainStats, check_name

TASKS = ("inpaint", "denoise", "sr")
DEFAULTS = {   # task: (lr, config)
    "inpaint": (2e-3, {"width": 24, "guess": "biharmonic", "flips": 2}),
    "denoise": (1e-3, {"width": 32}),
    "sr": (2e-3, {"width": 32, "depth": 3}),
}
MASK_MIX = (("scratches", 0.35), ("dust", 0.2), ("strokes", 0.25), ("box", 0.05), ("mixed", 0.15))
DUST_LAYERS = 4
SIGMA_MAX = 55.0
WARMUP = 100
MIN_LR_FRACTION = 0.02
INITS = ("scratch", "shipped")
FINETUNE_LR_FACTOR = 0.25

assert {k for k, _ in MASK_MIX} <= set(MASK_KINDS)


@dataclass(frozen=True)
class TrainRestoreRequest:
    """What to train. ``out`` is a folder; files are ``out/NAME.*``.

    ``size`` is the crop side in px (for ``sr``, of the high-resolution crop;
    rounded down to a multiple of 8). ``lr`` None: the task's default.
    ``scale`` (``sr`` only): the scales trained every step. The network always
    has both x2 and x4 heads on one shared body (one file; on a CPU budget the
    shared features see twice the data); the default trains both.
    ``resume``: a ``NAME.safetensors`` (or its ``.json`` card) written by this
    job; training continues from its step up to ``steps``. ``init``:
    ``"shipped"`` fine-tunes the network ArtStudio ships for the task (at a
    quarter of the default learning rate unless ``lr`` is given), ``"scratch"``
    starts from random weights. ``damage`` (``inpaint`` only): the mask kinds
    to train on, drawn with the proportions of :data:`MASK_MIX` among them
    (empty: all of them), to fine-tune on the damage a user's photos have.
    ``control``: ask for a clean stop.
    """

    task: str
    data: Path
    out: Path
    name: str
    steps: int = 2000
    size: int = 128
    batch: int = 8
    seed: int = 0
    lr: float | None = None
    scale: tuple[int, ...] = (2, 4)
    resume: Path | None = None
    device: str = "cpu"
    checkpoint_every: int = 500
    preview_every: int = 200
    config: dict = field(default_factory=dict)
    init: str = "scratch"
    damage: tuple[str, ...] = ()
    control: TrainControl | None = None


def run_train_restore(request: TrainRestoreRequest, cancel: CancelToken) -> Generator[Event, None, TrainResult]:
    """Train (or resume, or fine-tune) one restoration network; see the module docstring."""
    import torch

    _check_request(request)
    yield Progress(0.0, f"Reading photos from {request.data}…")
    images, skipped = load_training_images(request.data, _crop_size(request), cancel)
    yield TrainLog(f"Data: {len(images)} photos from {request.data}"
                   + (f" ({len(skipped)} skipped)" if skipped else "") + ".")
    for line in skipped[:20]:
        yield TrainLog(f"  skipped {line}")
    device = _device(request.device)
    net, config = _build(request)
    net.to(device).train()
    lr = _base_lr(request)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    start, elapsed = 0, 0.0
    if request.resume is not None:
        start, elapsed = _resume(request, net, optimizer, config)
    elif request.init == "shipped":
        yield TrainLog(_load_shipped(request.task, net))
    name = f"{request.task} network '{request.name}'"
    yield Progress(start / request.steps, f"Training the {name} on {len(images)} photos from step {start}…")
    yield TrainLog(f"Training the {name} ({'fine-tuning the shipped one' if request.init == 'shipped' and not start else 'from step ' + str(start)}), "
                   f"{request.size} px crops, batch {request.batch}.")
    smoother, pace, started = Smoother(0.95), Pace(request.batch), time.perf_counter()
    pace.tick(start)
    done, saved, stopped = start, start, False

    def save() -> None:
        save_checkpoint(request, net, optimizer, config, done, smoother.values.get("L1"),
                        elapsed + time.perf_counter() - started, len(images), skipped, device)

    try:
        for step in range(start, request.steps):
            if request.control is not None and request.control.stop_requested:
                stopped = True
                break
            cancel.check()
            for group in optimizer.param_groups:
                group["lr"] = _lr_at(step, request.steps, lr)
            # A caller may drive this generator from inside inference_mode/no_grad.
            with torch.inference_mode(False), torch.enable_grad():
                clean = _batch(images, request, step, device)
                loss, shown = _loss(net, request, clean, step)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise JobError(f"Training diverged at step {step + 1} (loss {value}); try a lower --lr.")
            done = step + 1
            pace.tick(done)
            smooth = smoother.update({"L1": value})
            if done % 10 and done != request.steps:
                yield Progress(done / request.steps, "")     # lets the GUI runner interleave other jobs
            else:
                rate = pace.images_per_second()
                yield TrainStats(done, request.steps, smooth, rate, pace.eta(done, request.steps))
                yield Progress(done / request.steps,
                               f"step {done}/{request.steps}  loss {smooth['L1']:.4f}  {rate:.1f} images/s")
            if request.preview_every and done % request.preview_every == 0:
                yield Preview(_preview_strip(shown))
            if done % request.checkpoint_every == 0:
                save()
                saved = done
                yield TrainLog(f"Checkpoint at step {done}: {request.name}.safetensors")
    except (Cancelled, GeneratorExit, KeyboardInterrupt):
        if done > saved:
            save()              # closing mid-run keeps everything up to the last step
        raise
    if done > saved or request.resume is None and done == start:
        save()
    weights = Path(request.out) / f"{request.name}.safetensors"
    return TrainResult(name=request.name, kind=request.task, weights=weights, card=weights.with_suffix(".json"),
                       step=done, steps=request.steps, stopped=stopped,
                       seconds=elapsed + time.perf_counter() - started, images=len(images),
                       skipped=tuple(skipped), losses=dict(smoother.values))


def _base_lr(request: TrainRestoreRequest) -> float:
    if request.lr is not None:
        return request.lr
    lr = DEFAULTS[request.task][0]
    return lr * FINETUNE_LR_FACTOR if request.init == "shipped" else lr


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

def load_training_images(folder: Path, min_side: int, cancel: CancelToken | None = None
                         ) -> tuple[list[np.ndarray], list[str]]:
    """Decode every image under ``folder`` (recursively) into RGB ``uint8`` arrays.

    Returns the images and ``"name: reason"`` for each file skipped (unreadable,
    or with a side shorter than ``min_side``). :class:`JobError` if none is left.
    """
    folder = Path(folder)
    try:
        files = scan_images(folder)
    except DatasetError as error:
        raise JobError(str(error)) from None
    if not files:
        raise JobError(f"No images in '{folder}' (looked for {', '.join(READ_EXTENSIONS)}).")
    images, skipped = [], []
    for path in files:
        if cancel is not None:
            cancel.check()
        try:
            pixels = load_image(path, max_pixels=64_000_000).pixels[..., :3]
        except ImageError as error:
            skipped.append(f"{path.relative_to(folder)}: {error}")
            continue
        if min(pixels.shape[:2]) < min_side:
            skipped.append(f"{path.relative_to(folder)}: smaller than {min_side} px")
            continue
        images.append(np.ascontiguousarray(pixels))
    if not images:
        raise JobError(f"No usable images in '{folder}': {len(skipped)} skipped "
                       f"({'; '.join(skipped[:3])}{' ...' if len(skipped) > 3 else ''}).")
    return images, skipped


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


def _device(preference: str):
    from ..models.device import choose_device

    try:
        return choose_device(preference)
    except ValueError as error:
        raise JobError(str(error)) from None


def _preview_strip(shown) -> np.ndarray:
    import torch

    with torch.no_grad():
        row = torch.cat([t.detach().float().cpu().clamp(0, 1) for t in shown], dim=2)
    return (row.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


# --- checkpoints -----------------------------------------------------------

def save_checkpoint(request: TrainRestoreRequest, net, optimizer, config: dict, step: int, loss: float,
                    seconds: float, images: int, skipped: list[str], device) -> Path:
    """Write weights, card and optimizer state (each atomically) into ``request.out``."""
    from safetensors.torch import save_file

    from ..models.device import describe_device
    from ..models.registry import sha256_file

    out = Path(request.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        weights = out / f"{request.name}.safetensors"
        state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        atomic_write(weights, lambda p: save_file(state, str(p), metadata={"task": request.task}))
        moments = {}
        for index, param in enumerate(net.parameters()):
            slot = optimizer.state.get(param, {})
            for key in ("exp_avg", "exp_avg_sq"):
                if key in slot:
                    moments[f"{index}.{key}"] = slot[key].detach().cpu().contiguous()
            if "step" in slot:
                moments[f"{index}.step"] = slot["step"].detach().cpu().reshape(1).float()
        atomic_write(out / f"{request.name}.train.safetensors", lambda p: save_file(moments, str(p)))
        card = _card(request, config, step, loss, seconds, images, skipped, describe_device(device),
                     sha256_file(weights))
        atomic_write(weights.with_suffix(".json"),
                lambda p: p.write_text(json.dumps(card, indent=2), encoding="utf-8"))
    except OSError as error:
        raise JobError(f"Cannot write the checkpoint to '{out}': {error.strerror or error}.") from None
    return weights


def _card(request, config, step, loss, seconds, images, skipped, hardware, sha256) -> dict:
    recipe = {f.name: (str(v) if isinstance(v, Path) else v) for f in fields(request)
              if f.name not in ("out", "resume", "device", "preview_every", "control")
              for v in [getattr(request, f.name)]}
    recipe["lr"] = _base_lr(request)
    recipe["scale"] = list(request.scale) if request.task == "sr" else None
    command = (f"artstudio train {request.task} --data {request.data} --out {request.name} "
               f"--steps {request.steps} --size {request.size} --batch {request.batch}"
               + (f" --lr {request.lr:g}" if request.lr is not None else "")
               + (f" --seed {request.seed}" if request.seed else "")
               + (" --init scratch" if request.init == "scratch" else "")
               + (f" --damage {','.join(request.damage)}" if request.damage else ""))
    return {
        "name": request.name, "task": request.task, "kind": "restore", "architecture": config["architecture"],
        "config": config, "sha256": sha256, "step": step, "steps": request.steps,
        "loss": None if loss is None or not math.isfinite(loss) else round(float(loss), 6),
        "seconds": round(seconds, 1), "seed": request.seed,
        "data": {"folder": str(request.data), "images": images, "skipped": list(skipped)},
        "recipe": recipe, "command": command, "hardware": f"{hardware}; {platform.processor() or platform.machine()}",
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "source": "trained in ArtStudio", "licence": "MIT (ArtStudio)",
    }


def _resume(request: TrainRestoreRequest, net, optimizer, config: dict) -> tuple[int, float]:
    from safetensors.torch import load_file

    weights = Path(request.resume).with_suffix(".safetensors")
    card_path, moments_path = weights.with_suffix(".json"), weights.with_suffix(".train.safetensors")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        if card.get("task") != request.task or card.get("config") != config:
            raise JobError(f"Cannot resume from '{weights.name}': it is a {card.get('task')} network "
                           f"with config {card.get('config')}, not {request.task} {config}.")
        state = load_file(str(weights))
        net.load_state_dict(state, strict=True)
        moments = load_file(str(moments_path))
    except JobError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise JobError(f"Cannot resume from '{weights.name}': {str(error).splitlines()[0]}") from None
    params = list(net.parameters())
    for index, param in enumerate(params):
        if f"{index}.exp_avg" in moments:
            optimizer.state[param] = {
                "step": moments[f"{index}.step"].reshape(()).clone(),
                "exp_avg": moments[f"{index}.exp_avg"].to(param.device).clone(),
                "exp_avg_sq": moments[f"{index}.exp_avg_sq"].to(param.device).clone()}
    return int(card["step"]), float(card.get("seconds", 0.0))
