"""One network, one Adam, one set of checkpoint files: what the restoration
trainers (:mod:`.train_restore`) and the damage-finder trainer
(:mod:`.train_detect`) share on top of the loop skeleton (:mod:`.train_run`).

A subclass sets :attr:`NetRun.stats_every`, :attr:`NetRun.loss_key` and
:attr:`NetRun.description`, and gives :meth:`NetRun.task`, :meth:`NetRun.recipe`,
:meth:`NetRun.step` and its own ``prepare``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.dataset import prepare_photos
from .base import JobError
from .train_common import Smoother, TrainLog, TrainResult, device_for
from .train_run import Loop, read_data, run_loop


def run_net_training(run_class, request, side: int, cancel):
    """The whole job for a :class:`NetRun` subclass: read the photos (``side`` px crops, cached),
    prepare, run the loop, and return the :class:`~.train_common.TrainResult`."""
    images, report = yield from read_data(
        lambda stop: prepare_photos(request.data, side, request.cache, should_stop=stop),
        "photos", request.data, cancel)
    run = run_class(request, images, report)
    yield from run.prepare()
    end = yield from run_loop(run.loop(), cancel, run.smoother)
    return TrainResult(name=request.name, kind=run.task(), weights=run.weights, card=run.card,
                       step=end.done, steps=request.steps, stopped=end.stopped, seconds=end.seconds,
                       images=report.used, skipped=tuple(report.skipped), losses=end.losses,
                       digest=run.digest())


class NetRun:
    """One run's network, optimiser and files; the hooks :func:`.train_run.run_loop` calls.

    ``request`` has ``out``, ``name``, ``steps``, ``batch``, ``seed``, ``data``,
    ``resume``, ``control``, ``checkpoint_every``, ``preview_every`` and ``device``.
    """

    stats_every = 10
    loss_key = "L1"                  # the loss the card records
    description: str | None = None   # the card's description (None: the card's default)

    def __init__(self, request, images: list[np.ndarray], report, net, config: dict, lr: float) -> None:
        import torch

        from ..core.checkpoint_files import checkpoint_files

        self.request, self.images, self.report = request, images, report
        self.device = device_for(request.device)
        self.net, self.config, self.lr = net.to(self.device).train(), config, lr
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.state, self.weights, self.card = checkpoint_files(request.out, request.name)
        self.start, self.seconds, self.smoother, self.shown = 0, 0.0, Smoother(0.95), None

    # -- what a subclass says ------------------------------------------------------------
    def task(self) -> str:
        raise NotImplementedError

    def recipe(self) -> dict:
        raise NotImplementedError

    def step(self, step: int) -> dict:
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------
    def loop(self) -> Loop:
        from .train_restore import _preview_strip

        r = self.request
        return Loop(start=self.start, steps=r.steps, images_per_step=r.batch, step=self.step, save=self.save,
                    preview=lambda: None if self.shown is None else _preview_strip(self.shown),
                    control=r.control, stats_every=self.stats_every, checkpoint_every=r.checkpoint_every,
                    preview_every=r.preview_every, saved=self.start if r.resume is not None else -1,
                    seconds=self.seconds, hint="try a lower --lr")

    def save(self, done: int, seconds: float):
        from .train_card import hardware_line, make_card
        from .train_checkpoint import save_checkpoint

        r, losses, recipe = self.request, dict(self.smoother.values), self.recipe()
        info = {"step": done, "seconds": seconds, "recipe": recipe, "losses": losses}
        model = {k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}
        loss = losses.get(self.loss_key)

        def card(sha256: str) -> dict:
            fields = {"task": self.task(), "architecture": self.config["architecture"], "config": self.config,
                      "loss": None if loss is None or not math.isfinite(loss) else round(float(loss), 6)}
            if self.description:
                fields["description"] = self.description
            return make_card(name=r.name, kind="restore", sha256=sha256, recipe=recipe,
                             data={"folder": r.data, "images": self.report.used, "skipped": self.report.skipped},
                             step=done, steps=r.steps, seconds=seconds, seed=r.seed, losses=losses,
                             train_state=self.state.name, hardware=hardware_line(self.device),
                             licence="MIT (ArtStudio)", fields=fields)
        try:
            save_checkpoint(r.out, r.name, ({"net": self.net}, {"adam": self.optimizer}, info), model, card,
                            metadata={"task": self.task()})
        except OSError as error:
            raise JobError(f"Cannot write the checkpoint to '{r.out}': {error.strerror or error}.") from None
        yield TrainLog(f"Checkpoint at step {done}: {self.weights.name}")

    def resume(self, path: Path) -> None:
        """Continue from the checkpoint beside ``path`` (its recipe must match this run's)."""
        from ..core.checkpoint_files import state_path
        from .train_checkpoint import check_resumable, load_train_state, read_train_info

        state = state_path(path)
        check_resumable(read_train_info(state).get("recipe", {}), self.recipe(), state)
        info = load_train_state(state, {"net": self.net}, {"adam": self.optimizer})
        self.start, self.seconds = int(info["step"]), float(info.get("seconds", 0.0))
        self.smoother.values = dict(info.get("losses", {}))
        if self.start >= self.request.steps:
            raise JobError(f"The checkpoint is already at step {self.start}; ask for more than "
                           f"{self.start} steps to continue training.")

    def digest(self) -> str:
        from .train_checkpoint import digest

        return digest(self.net.state_dict())
