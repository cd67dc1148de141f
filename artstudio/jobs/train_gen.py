"""Training a generator (GAN, VAE, or caption-conditioned GAN) on a folder of images, as a job.

A ``cgan`` trains on images with ``.txt`` caption sidecars (see
:mod:`artstudio.core.captions` and :mod:`.cgan_trainer`); ``text`` chooses its
condition: a GRU trained with it, or the text extra's sentence embeddings.

``run_train_gen(request, cancel)`` follows :mod:`.base` and
:mod:`.train_common`: it yields Progress, a :class:`~.base.Preview` grid of
samples from fixed latents (at the start and every ``sample_every`` steps),
:class:`TrainStats` and :class:`TrainLog`, and returns a :class:`TrainResult`.

The loop is the shared skeleton of :mod:`.train_run`. Files, all in
``request.out`` (the user model folder), the first three replaced together
as one checkpoint (:mod:`.train_checkpoint`):

- ``NAME.safetensors`` + ``NAME.json``: the model and its card (:mod:`.train_card`). The latent
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

import contextlib
from collections.abc import Generator
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ..core.dataset import CROPS, prepare_dataset
from . import train_defaults as D
from .base import CancelToken, Event, JobError, Preview, Progress
from .train_common import Smoother, TrainControl, TrainLog, TrainResult, check_name, device_for
from .train_run import Loop, read_data, run_loop

KINDS = D.GEN_KINDS
PRESETS = D.PRESETS
SIZES = D.GEN_SIZES
DEFAULTS = D.GEN_NETWORK
STATS_EVERY = 5


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
    ``quality``: samples for the Quality chart measured at the start and at
    each checkpoint (:mod:`.quality`; 0: off, the CLI's default); it changes
    no weight, so it is not part of the recipe. ``text`` (cgan only): ``gru``
    or ``sentence``, see :data:`~.train_defaults.TEXT_ENCODERS`.
    Defaults: :mod:`.train_defaults`.
    """

    kind: str
    data: Path
    out: Path
    name: str
    preset: str = D.PRESET
    size: int = D.GEN["size"]
    steps: int = D.STEPS
    batch: int = D.GEN["batch"]
    seed: int = D.SEED
    latent: int | None = None
    width: int | None = None
    lr: float | None = None
    crop: str = D.CROP
    resume: Path | None = None
    device: str = D.DEVICE
    checkpoint_every: int = D.CHECKPOINT_EVERY
    sample_every: int = 50
    cache: Path | None = None
    control: TrainControl | None = None
    compile: bool | None = None
    quality: int = 0
    text: str = D.TEXT

    def resolved(self, key: str):
        value = getattr(self, key)
        return DEFAULTS[self.kind][key] if value is None else value


def run_train_gen(request: TrainGenRequest, cancel: CancelToken) -> Generator[Event, None, TrainResult]:
    """Train (or resume) a GAN or a VAE; see the module docstring."""
    _check(request)
    if request.kind == "cgan":
        from ..core.captions import prepare_captioned

        data, report = yield from read_data(
            lambda stop: prepare_captioned(request.data, request.size, request.crop, request.cache, stop),
            "captioned images", request.data, cancel)
        if request.text == "sentence":
            yield Progress(0.0, "Loading the sentence model (text extra)…")
    else:
        data, report = yield from read_data(
            lambda stop: prepare_dataset(request.data, request.size, request.crop, request.cache,
                                         should_stop=stop), "images", request.data, cancel)
    run = _Run(_with_saved_recipe(request), data, report)
    yield from run.prepare()
    end = yield from run_loop(run.loop(), cancel, run.smoother)
    run.sync_buffers()
    return TrainResult(
        name=request.name, kind=request.kind, weights=run.weights, card=run.card, step=end.done,
        steps=request.steps, stopped=end.stopped, seconds=end.seconds, images=report.used,
        skipped=tuple(report.skipped), losses=end.losses, digest=run.digest())


class _Run:
    """The state of one training run (networks, files, counters) and the hooks of its loop."""

    def __init__(self, request: TrainGenRequest, data, report) -> None:
        import torch

        from .cgan_trainer import CaptionBatches
        from .gen_trainers import GenBatches, step_rng
        from ..core.checkpoint_files import checkpoint_files

        self.request, self.report = request, report
        self.device = device_for(request.device)
        self.rank, self.world, wrap = _distributed(self.device)
        self.trainer = _build_trainer(request, self.device, wrap, data)
        self.state_file, self.weights, self.card = checkpoint_files(request.out, request.name)
        self.samples = Path(request.out) / f"{request.name}.samples"
        tiles = data.tiles if request.kind == "cgan" else data
        feed = CaptionBatches if request.kind == "cgan" else GenBatches
        self.batches = feed(tiles, request.size, request.batch, request.seed, self.rank, self.device)
        self.smoother = Smoother()
        self.start, self.seconds, self.saved_step = 0, 0.0, -1
        count = 36 if request.size <= 64 else 16
        shape = (count, self.trainer.latent, 1, 1) if request.kind == "gan" else (count, self.trainer.latent)
        self.fixed_z = torch.randn(shape, generator=step_rng(request.seed, -1, 0))
        self.quality = None
        if request.quality and self.rank == 0:
            from .quality import QualityProbe

            self.quality = QualityProbe(tiles, request.size, request.seed, self.device, request.quality)
            self.quality_z = torch.randn((self.quality.count,) + shape[1:],
                                         generator=step_rng(request.seed, -1, 0, 14))

    def prepare(self):
        request = self.request
        if request.resume is not None:
            self._resume(Path(request.resume))
        if self.rank == 0:
            grid = self._grid()
            yield Preview(grid)
            if self.start == 0:
                self._write_samples(grid, 0)
        yield TrainLog(f"Training {_describe(request)} on {self.report.used} images, "
                       f"{'from step ' + str(self.start) if self.start else 'from scratch'}"
                       f"{f' on {self.world} processes' if self.world > 1 else ''}.")
        if self.quality is not None:
            yield from self.quality.notice()
            yield from self.quality.measure(self.start, request.steps, self._quality_samples)

    def loop(self) -> Loop:
        r = self.request
        return Loop(start=self.start, steps=r.steps, images_per_step=r.batch * self.world, step=self.step,
                    save=self.save, preview=lambda: self._grid() if self.rank == 0 else None,
                    control=r.control, stats_every=STATS_EVERY, checkpoint_every=r.checkpoint_every,
                    preview_every=r.sample_every, saved=self.saved_step, seconds=self.seconds,
                    hint="try a lower learning rate or the stable preset", rescue=self._write)

    def step(self, step: int) -> dict:
        import torch

        from .gen_trainers import step_rng

        rng = step_rng(self.request.seed, step, self.rank)
        with torch.inference_mode(False), torch.enable_grad():
            return self.trainer.step(self.batches(step, rng), rng, step)

    def save(self, done: int, seconds: float):
        self.sync_buffers()
        if self.rank == 0:
            self._write(done, seconds)
            self._write_samples(self._grid(), done)
            yield TrainLog(f"Checkpoint at step {done}: {self.weights.name}")
            if self.quality is not None:
                yield from self.quality.measure(done, self.request.steps, self._quality_samples)

    def sync_buffers(self) -> None:
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

    def digest(self) -> str:
        """sha256 of every trained tensor: equal digests, equal runs (and ranks)."""
        from .train_checkpoint import digest

        return digest({f"{name}.{key}": value for name, module in self.trainer.modules().items()
                       for key, value in module.state_dict().items()})

    # -- files ------------------------------------------------------------------------------
    def _grid(self) -> np.ndarray:
        from .gen_trainers import sample_grid

        return sample_grid(self.trainer.sample(self.fixed_z))

    def _quality_samples(self, count: int) -> np.ndarray:
        return np.concatenate([self.trainer.sample(z) for z in self.quality_z[:count].split(64)])

    def _write_samples(self, grid: np.ndarray, done: int) -> None:
        from ..core.imageio import ImageError, save_image

        try:
            self.samples.mkdir(parents=True, exist_ok=True)
            save_image(self.samples / f"step-{done:06d}.png", grid)
        except (OSError, ImageError):
            pass          # the sample pictures are a convenience; the checkpoint is what matters

    def _write(self, done: int, seconds: float) -> None:
        from .train_checkpoint import save_checkpoint

        r, losses = self.request, dict(self.smoother.values)
        info = {"step": done, "seconds": seconds, "recipe": recipe(r), "losses": losses}
        trained = (self.trainer.modules(), self.trainer.optimizers(), info)
        try:
            save_checkpoint(r.out, r.name, trained, self.trainer.export_state(),
                            lambda sha256: self._card(sha256, done, seconds, losses))
        except OSError as error:
            raise JobError(f"Cannot write the checkpoint to '{r.out}': {error.strerror or error}.") from None

    def _card(self, sha256: str, done: int, seconds: float, losses: dict) -> dict:
        from .train_card import hardware_line, make_card

        r = self.request
        kind_text = {"gan": "GAN", "vae": "VAE", "cgan": f"Caption-conditioned GAN ({r.text} text encoder)"}[r.kind]
        description = (f"{kind_text} trained on {self.report.used} images from {Path(r.data).name} "
                       f"({r.preset + ' preset, ' if r.kind == 'gan' else ''}{done} steps).")
        fields_ = {"latent_dim": self.trainer.latent, "resolution": r.size, "config": self.trainer.card_config(),
                   "description": description}
        return make_card(name=r.name, kind=r.kind, sha256=sha256, recipe=recipe(r),
                         data={"folder": r.data, "images": self.report.used, "skipped": self.report.skipped},
                         step=done, steps=r.steps, seconds=seconds, seed=r.seed, losses=losses,
                         train_state=self.state_file.name, hardware=hardware_line(self.device, self.world),
                         licence="yours: trained on your own images", fields=fields_)

    def _resume(self, path: Path) -> None:
        from ..core.checkpoint_files import state_path
        from .train_checkpoint import check_resumable, load_train_state, read_train_info

        state = state_path(path)
        check_resumable(read_train_info(state).get("recipe", {}), recipe(self.request), state)
        info = load_train_state(state, self.trainer.modules(), self.trainer.optimizers())
        self.start, self.seconds = int(info["step"]), float(info.get("seconds", 0.0))
        self.smoother.values = dict(info.get("losses", {}))
        self.saved_step = self.start if state == self.state_file else -1
        if self.start >= self.request.steps:
            raise JobError(f"The checkpoint is already at step {self.start}; ask for more than "
                           f"{self.start} steps to continue training.")


# -- helpers -------------------------------------------------------------------------------

def _build_trainer(request: TrainGenRequest, device, wrap, data):
    from .gen_trainers import GanTrainer, VaeTrainer

    compile_ = bool(request.compile)
    latent, width, lr = (request.resolved(k) for k in ("latent", "width", "lr"))
    try:
        if request.kind == "cgan":
            from .cgan_trainer import CaptionTable, CganTrainer

            with _text_errors():
                table = CaptionTable(data, request.text, device)
            return CganTrainer(request.size, latent, width, lr, device, request.seed, table, wrap, compile_)
        if request.kind == "gan":
            return GanTrainer(request.preset, request.size, latent, width, lr, device, request.seed, wrap, compile_)
        return VaeTrainer(request.size, latent, width, lr, device, request.seed, request.steps, wrap, compile_)
    except ValueError as error:
        raise JobError(str(error)) from None


@contextlib.contextmanager
def _text_errors():
    """The text extra missing (or broken) is one line, as every other training problem."""
    from ..models.specs import ModelError

    try:
        yield
    except ModelError as error:
        raise JobError(str(error)) from None


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


def recipe(request: TrainGenRequest) -> dict:
    """Everything but the data and the step count that decides the weights (JSON-able)."""
    skip = ("out", "resume", "device", "cache", "control", "compile", "sample_every", "checkpoint_every",
            "steps", "data", "quality")
    found = {f.name: getattr(request, f.name) for f in fields(request) if f.name not in skip}
    for key in ("latent", "width", "lr"):
        found[key] = request.resolved(key)
    if request.kind != "gan":
        found.pop("preset")
    if request.kind != "cgan":
        found.pop("text")
    return found


def _with_saved_recipe(request: TrainGenRequest) -> TrainGenRequest:
    """When resuming, latent size, width and learning rate left unset come from the checkpoint."""
    if request.resume is None:
        return request
    from ..core.checkpoint_files import state_path
    from .train_checkpoint import read_train_info

    saved = read_train_info(state_path(Path(request.resume))).get("recipe", {})
    unset = {k: saved[k] for k in ("latent", "width", "lr") if getattr(request, k) is None and k in saved}
    return replace(request, **unset)


def _describe(request: TrainGenRequest) -> str:
    if request.kind == "gan":
        return f"a {request.size} px GAN ({request.preset} preset, batch {request.batch})"
    if request.kind == "cgan":
        return f"a {request.size} px caption-conditioned GAN ({request.text} text encoder, batch {request.batch})"
    return f"a {request.size} px VAE (latent {request.resolved('latent')}, batch {request.batch})"


def _check(request: TrainGenRequest) -> None:
    if request.kind not in KINDS:
        raise JobError(f"Unknown model type '{request.kind}'; choose one of: {', '.join(KINDS)}.")
    if request.kind == "gan" and request.preset not in PRESETS:
        raise JobError(f"Unknown GAN preset '{request.preset}'; choose one of: {', '.join(PRESETS)}.")
    if request.size not in SIZES:
        raise JobError(f"Resolution must be one of {', '.join(map(str, SIZES))} px, not {request.size}.")
    if request.kind == "cgan" and request.text not in D.TEXT_ENCODERS:
        raise JobError(f"Unknown text encoder '{request.text}'; choose one of: {', '.join(D.TEXT_ENCODERS)}.")
    if request.crop not in CROPS:
        raise JobError(f"Unknown crop mode '{request.crop}'; choose one of: {', '.join(CROPS)}.")
    if request.steps < 1 or request.batch < 1 or request.checkpoint_every < 1:
        raise JobError("Steps, batch and checkpoint interval must be at least 1.")
    if request.kind == "vae" and request.latent is not None and not 8 <= request.latent <= 512:
        raise JobError(f"The VAE latent size must be from 8 to 512, not {request.latent}.")
    check_name(request.name)
