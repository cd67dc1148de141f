"""Training a generator (GAN or VAE) on a folder of images, as a job.

``run_train_gen(request, cancel)`` follows :mod:`.base` and
:mod:`.train_common`: it yields Progress, a :class:`~.base.Preview` grid of
samples from fixed latents (at the start and every ``sample_every`` steps),
:class:`TrainStats` and :class:`TrainLog`, and returns a :class:`TrainResult`.

Files, all in ``request.out`` (the user model folder) and written atomically:

- ``NAME.safetensors`` + ``NAME.json``: the model and its card. The latent
  explorer lists it at once (see :mod:`artstudio.models.registry`): a GAN's
  generator (its moving average for the stable preset), or a whole VAE
  (``encoder.*`` + ``decoder.*``);
- ``NAME.train.safetensors``: the full training state, for ``resume``;
- ``NAME.samples/step-NNNNNN.png``: the sample grid at the start and at each
  checkpoint, so progress can be looked at later.

Determinism: every random draw of step ``k`` (batch order, crops, flips,
latents, augmentation, the VAE's noise) comes from a generator seeded by
``(seed, k, rank)``; together with the saved optimiser state, a resumed run
on the CPU continues bit for bit as an uninterrupted one.

Several processes: under ``torchrun`` (``torch.distributed`` initialised by
the caller) the networks are wrapped in DistributedDataParallel, each rank
draws its own batches, and rank 0 alone writes files and yields previews.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Generator
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..core.dataset import CROPS, DatasetError, prepare_dataset
from .base import CancelToken, Cancelled, Event, JobError, Preview, Progress
from .train_common import Pace, Smoother, TrainControl, TrainLog, TrainResult, TrainStats, check_name

KINDS = ("gan", "vae")
PRESETS = ("stable", "classic")
SIZES = (64, 128)
DEFAULTS = {"gan": {"latent": 100, "width": 64, "lr": 2e-4},
            "vae": {"latent": 64, "width": 64, "lr": 5e-4}}
STATS_EVERY = 5
MAX_LOGGED_SKIPS = 20


@dataclass(frozen=True)
class TrainGenRequest:
    """What to train; files are written as ``out/NAME.*`` (``out``: the user model folder).

    ``preset`` applies to GANs (``stable`` or ``classic``, see
    :mod:`artstudio.models.gan`). ``latent``/``width``/``lr`` None: the
    kind's default (GAN 100/64/2e-4, VAE 64/64/5e-4). ``crop``: ``center``
    (the centred square of each image) or ``random`` (a random crop of a
    slightly larger centred square each time). ``resume``: a
    ``NAME.train.safetensors`` (or its model file / card) from an earlier run;
    training continues from its step up to ``steps``. ``cache``: where
    decoded datasets are kept between runs (None: not cached). ``compile``:
    torch.compile the networks (off unless asked: no gain measured on a CPU,
    and no GPU has been available to prove it safe and faster there).
    """

    kind: str
    data: Path
    out: Path
    name: str
    preset: str = "stable"
    size: int = 64
    steps: int = 2000
    batch: int = 32
    seed: int = 0
    latent: int | None = None
    width: int | None = None
    lr: float | None = None
    crop: str = "center"
    resume: Path | None = None
    device: str = "auto"
    checkpoint_every: int = 500
    sample_every: int = 50
    cache: Path | None = None
    control: TrainControl | None = None
    compile: bool | None = None

    def resolved(self, key: str):
        value = getattr(self, key)
        return DEFAULTS[self.kind][key] if value is None else value


def run_train_gen(request: TrainGenRequest, cancel: CancelToken) -> Generator[Event, None, TrainResult]:
    """Train (or resume) a GAN or a VAE; see the module docstring."""
    _check(request)
    yield Progress(0.0, f"Reading images from {request.data}…")
    try:
        tiles, report = prepare_dataset(request.data, request.size, request.crop, request.cache,
                                        should_stop=lambda: cancel.cancelled)
    except DatasetError as error:
        raise JobError(str(error)) from None
    except InterruptedError:
        raise Cancelled() from None
    yield TrainLog(f"Data: {report.summary()}.")
    for line in report.skipped[:MAX_LOGGED_SKIPS]:
        yield TrainLog(f"  skipped {line}")
    if len(report.skipped) > MAX_LOGGED_SKIPS:
        yield TrainLog(f"  … and {len(report.skipped) - MAX_LOGGED_SKIPS} more skipped")
    run = _Run(_with_saved_recipe(request), tiles, report)
    yield from run.train(cancel)
    return run.result


class _Run:
    """The state of one training run (networks, files, counters)."""

    def __init__(self, request: TrainGenRequest, tiles: np.ndarray, report) -> None:
        import torch

        from ..models.device import choose_device

        self.request, self.report = request, report
        try:
            self.device = choose_device(request.device or "cpu")
        except ValueError as error:      # an unknown device name in the request or $ARTSTUDIO_DEVICE
            raise JobError(str(error)) from None
        self.rank, self.world, wrap = _distributed(self.device)
        self.trainer = _build_trainer(request, self.device, wrap)
        out = Path(request.out)
        self.weights, self.card = out / f"{request.name}.safetensors", out / f"{request.name}.json"
        self.state_file, self.samples = out / f"{request.name}.train.safetensors", out / f"{request.name}.samples"
        self.data = torch.from_numpy(tiles).permute(0, 3, 1, 2).contiguous().to(self.device)
        self.smoother, self.pace = Smoother(), Pace(request.batch * self.world)
        self.start, self.done, self.seconds = 0, 0, 0.0
        self.saved_step, self.result, self._perm = -1, None, {}
        count = 36 if request.size <= 64 else 16
        shape = (count, self.trainer.latent, 1, 1) if request.kind == "gan" else (count, self.trainer.latent)
        self.fixed_z = torch.randn(shape, generator=_rng(request.seed, -1, 0))

    # -- the loop -------------------------------------------------------------------------
    def train(self, cancel: CancelToken):
        import torch

        request = self.request
        if request.resume is not None:
            self._resume(Path(request.resume))
        self.done = self.start
        grid = self._grid()
        if self.rank == 0:
            yield Preview(grid)
            if self.start == 0:
                self._write_samples(grid)
        yield TrainLog(f"Training {_describe(request)} on {self.report.used} images, "
                       f"{'from step ' + str(self.start) if self.start else 'from scratch'}"
                       f"{f' on {self.world} processes' if self.world > 1 else ''}.")
        began, stopped = time.perf_counter(), False
        self.pace.tick(self.start)
        try:
            for step in range(self.start, request.steps):
                if request.control is not None and request.control.stop_requested:
                    stopped = True
                    break
                cancel.check()
                rng = _rng(request.seed, step, self.rank)
                with torch.inference_mode(False), torch.enable_grad():
                    losses = self.trainer.step(self._batch(step, rng), rng, step)
                self.done = step + 1
                self.pace.tick(self.done)
                yield from self._report(losses)
                if request.sample_every and self.done % request.sample_every == 0 and self.rank == 0:
                    yield Preview(self._grid())
                if self.done % request.checkpoint_every == 0:
                    yield from self._checkpoint(began)
        except (Cancelled, GeneratorExit, KeyboardInterrupt):
            if self.done > self.saved_step and self.done > self.start:
                self._save(began)     # closing mid-run keeps everything up to the last step
            raise
        if self.done > self.saved_step:
            yield from self._checkpoint(began)
        self._sync_buffers()
        self.result = TrainResult(
            name=request.name, kind=request.kind, weights=self.weights, card=self.card, step=self.done,
            steps=request.steps, stopped=stopped, seconds=self.seconds + time.perf_counter() - began,
            images=self.report.used, skipped=tuple(self.report.skipped), losses=dict(self.smoother.values),
            digest=self._digest())

    def _report(self, losses: dict):
        request = self.request
        if self.done % STATS_EVERY and self.done != request.steps:
            # An event every step: the GUI runner lets waiting jobs (a slider preview) in between events.
            yield Progress(self.done / request.steps, "")
            return
        values = {k: float(v) for k, v in losses.items()}
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise JobError(f"Training diverged at step {self.done} ({', '.join(bad)} loss is not finite); "
                           "try a lower learning rate or the stable preset.")
        smooth = self.smoother.update(values)
        rate, eta = self.pace.images_per_second(), self.pace.eta(self.done, request.steps)
        yield TrainStats(self.done, request.steps, smooth, rate, eta)
        text = "  ".join(f"{k} {v:.3f}" for k, v in smooth.items())
        yield Progress(self.done / request.steps, f"step {self.done}/{request.steps}  {text}  {rate:.1f} img/s")

    def _checkpoint(self, began: float):
        self._sync_buffers()
        self.saved_step = self.done
        if self.rank == 0:
            self._save(began)
            self._write_samples(self._grid())
            yield TrainLog(f"Checkpoint at step {self.done}: {self.weights.name}")

    def _sync_buffers(self) -> None:
        """Give every rank rank 0's BatchNorm statistics and moving averages.

        DDP broadcasts buffers at the start of each forward, so between steps
        each rank holds statistics of its own last batch; a checkpoint and the
        end of a run must not depend on which rank looked. (All ranks call it.)
        """
        if self.world == 1:
            return
        import torch.distributed as dist

        for module in self.trainer.modules().values():
            for buffer in module.buffers():
                dist.broadcast(buffer, 0)

    def _digest(self) -> str:
        import hashlib

        digest = hashlib.sha256()
        for name, module in self.trainer.modules().items():
            for key, value in sorted(module.state_dict().items()):
                digest.update(f"{name}.{key}".encode())
                digest.update(value.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()

    # -- data -------------------------------------------------------------------------------
    def _batch(self, step: int, rng):
        """``uint8 (B, 3, S, S)`` on the device: shuffled epochs, random crop, random mirror."""
        import torch

        request, n = self.request, len(self.data)
        index = self._indices(step * request.batch, request.batch, n)
        batch = self.data[index.to(self.device)]
        side, size = batch.shape[-1], request.size
        if side > size:
            offsets = torch.randint(0, side - size + 1, (len(batch), 2), generator=rng).tolist()
            batch = torch.stack([img[:, y:y + size, x:x + size] for img, (y, x) in zip(batch, offsets)])
        flip = (torch.rand(len(batch), generator=rng) < 0.5).view(-1, 1, 1, 1).to(self.device)
        return torch.where(flip, batch.flip(3), batch)

    def _indices(self, position: int, count: int, n: int):
        """Images ``position .. position+count`` of the endless stream of shuffled epochs."""
        import torch

        parts = []
        while count > 0:
            epoch, offset = divmod(position, n)
            if epoch not in self._perm:
                self._perm = {epoch: torch.randperm(n, generator=_rng(self.request.seed, epoch, self.rank, 1))}
            take = min(count, n - offset)
            parts.append(self._perm[epoch][offset:offset + take])
            position, count = position + take, count - take
        return torch.cat(parts)

    # -- files ------------------------------------------------------------------------------
    def _grid(self) -> np.ndarray:
        from .gen_trainers import sample_grid

        return sample_grid(self.trainer.sample(self.fixed_z))

    def _write_samples(self, grid: np.ndarray) -> None:
        from ..core.imageio import ImageError, save_image

        try:
            self.samples.mkdir(parents=True, exist_ok=True)
            save_image(self.samples / f"step-{self.done:06d}.png", grid)
        except (OSError, ImageError):
            pass          # the sample pictures are a convenience; the checkpoint is what matters

    def _save(self, began: float) -> None:
        from safetensors.torch import save_file

        from ..models.registry import sha256_file
        from .train_checkpoint import atomic_write, save_train_state

        seconds = self.seconds + time.perf_counter() - began
        info = {"step": self.done, "seconds": seconds, "recipe": _recipe(self.request),
                "losses": dict(self.smoother.values)}
        try:
            Path(self.request.out).mkdir(parents=True, exist_ok=True)
            save_train_state(self.state_file, self.trainer.modules(), self.trainer.optimizers(), info)
            state = self.trainer.export_state()
            atomic_write(self.weights, lambda tmp: save_file(state, str(tmp)))
            card = self._card(sha256_file(self.weights), seconds)
            atomic_write(self.card, lambda tmp: tmp.write_text(json.dumps(card, indent=2), encoding="utf-8"))
        except OSError as error:
            raise JobError(f"Cannot write the checkpoint to '{self.request.out}': "
                           f"{error.strerror or error}.") from None

    def _card(self, sha256: str, seconds: float) -> dict:
        from ..models.device import describe_device

        request = self.request
        kind_text = "GAN" if request.kind == "gan" else "VAE"
        return {
            "name": request.name, "kind": request.kind, "latent_dim": self.trainer.latent,
            "resolution": request.size, "sha256": sha256, "config": self.trainer.card_config(),
            "source": "trained in ArtStudio", "licence": "yours: trained on your own images",
            "description": f"{kind_text} trained on {self.report.used} images from {Path(request.data).name} "
                           f"({request.preset + ' preset, ' if request.kind == 'gan' else ''}"
                           f"{self.done} steps).",
            "step": self.done, "steps": request.steps, "seconds": round(seconds, 1), "seed": request.seed,
            "losses": {k: round(v, 5) for k, v in self.smoother.values.items()},
            "data": {"folder": str(request.data), "images": self.report.used,
                     "skipped": list(self.report.skipped)},
            "recipe": _recipe(request), "train_state": self.state_file.name,
            "command": _command(request),
            "hardware": f"{describe_device(self.device)} x{self.world}; {platform.machine()}",
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    def _resume(self, path: Path) -> None:
        from .train_checkpoint import load_train_state, read_train_info

        state = _state_path(path)
        info = read_train_info(state)
        _check_compatible(info.get("recipe", {}), _recipe(self.request), state)
        info = load_train_state(state, self.trainer.modules(), self.trainer.optimizers())
        self.start, self.seconds = int(info["step"]), float(info.get("seconds", 0.0))
        self.smoother.values = dict(info.get("losses", {}))
        self.saved_step = self.start if state == self.state_file else -1
        if self.start >= self.request.steps:
            raise JobError(f"The checkpoint is already at step {self.start}; ask for more than "
                           f"{self.start} steps to continue training.")


# -- helpers -------------------------------------------------------------------------------

def _build_trainer(request: TrainGenRequest, device, wrap):
    from .gen_trainers import GanTrainer, VaeTrainer

    compile_ = bool(request.compile)
    latent, width, lr = (request.resolved(k) for k in ("latent", "width", "lr"))
    try:
        if request.kind == "gan":
            return GanTrainer(request.preset, request.size, latent, width, lr, device, request.seed, wrap, compile_)
        return VaeTrainer(request.size, latent, width, lr, device, request.seed, request.steps, wrap, compile_)
    except ValueError as error:
        raise JobError(str(error)) from None


def _rng(seed: int, step: int, rank: int, purpose: int = 0):
    """A CPU generator for one step's draws, from ``(seed, step, rank, purpose)`` only."""
    import torch

    words = np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32, step + 1, rank, purpose]).generate_state(2)
    return torch.Generator().manual_seed(int(words[0]) << 31 ^ int(words[1]))


def _distributed(device):
    """``(rank, world, wrap)``: DDP wrapping when torch.distributed is initialised, else identity."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return 0, 1, None
    from torch.nn.parallel import DistributedDataParallel

    import torch

    ids = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else None
    return dist.get_rank(), dist.get_world_size(), lambda m: DistributedDataParallel(m, device_ids=ids)


def _recipe(request: TrainGenRequest) -> dict:
    skip = ("out", "resume", "device", "cache", "control", "compile", "sample_every", "checkpoint_every",
            "steps", "data")
    recipe = {f.name: getattr(request, f.name) for f in fields(request) if f.name not in skip}
    for key in ("latent", "width", "lr"):
        recipe[key] = request.resolved(key)
    if request.kind == "vae":
        recipe.pop("preset")
    return recipe


def _with_saved_recipe(request: TrainGenRequest) -> TrainGenRequest:
    """When resuming, latent size, width and learning rate left unset come from the checkpoint."""
    if request.resume is None:
        return request
    from dataclasses import replace

    from .train_checkpoint import read_train_info

    saved = read_train_info(_state_path(Path(request.resume))).get("recipe", {})
    unset = {k: saved[k] for k in ("latent", "width", "lr") if getattr(request, k) is None and k in saved}
    return replace(request, **unset)


def _check_compatible(saved: dict, wanted: dict, path: Path) -> None:
    different = [k for k in wanted if k not in ("name",) and saved.get(k) != wanted[k]]
    if different:
        details = ", ".join(f"{k} {saved.get(k)!r} (asked {wanted[k]!r})" for k in different)
        raise JobError(f"Cannot resume from '{path.name}': it was trained with {details}.")


def _state_path(path: Path) -> Path:
    """``NAME.train.safetensors`` from itself, ``NAME.safetensors`` or ``NAME.json``."""
    name = path.name
    for suffix in (".train.safetensors", ".safetensors", ".json"):
        if name.endswith(suffix):
            return path.with_name(name[:-len(suffix)] + ".train.safetensors")
    return path.with_name(name + ".train.safetensors")


def _describe(request: TrainGenRequest) -> str:
    if request.kind == "gan":
        return f"a {request.size} px GAN ({request.preset} preset, batch {request.batch})"
    return f"a {request.size} px VAE (latent {request.resolved('latent')}, batch {request.batch})"


def _command(request: TrainGenRequest) -> str:
    text = f"artstudio train {request.kind} --data {request.data} --out {request.name}"
    if request.kind == "gan":
        text += f" --preset {request.preset}"
    return text + f" --size {request.size} --steps {request.steps} --batch {request.batch} --seed {request.seed}"


def _check(request: TrainGenRequest) -> None:
    if request.kind not in KINDS:
        raise JobError(f"Unknown model type '{request.kind}'; choose one of: {', '.join(KINDS)}.")
    if request.kind == "gan" and request.preset not in PRESETS:
        raise JobError(f"Unknown GAN preset '{request.preset}'; choose one of: {', '.join(PRESETS)}.")
    if request.size not in SIZES:
        raise JobError(f"Resolution must be one of {', '.join(map(str, SIZES))} px, not {request.size}.")
    if request.crop not in CROPS:
        raise JobError(f"Unknown crop mode '{request.crop}'; choose one of: {', '.join(CROPS)}.")
    if request.steps < 1 or request.batch < 1 or request.checkpoint_every < 1:
        raise JobError("Steps, batch and checkpoint interval must be at least 1.")
    if request.kind == "vae" and request.latent is not None and not 8 <= request.latent <= 512:
        raise JobError(f"The VAE latent size must be from 8 to 512, not {request.latent}.")
    check_name(request.name)
