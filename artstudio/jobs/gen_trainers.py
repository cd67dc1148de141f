"""One optimisation step of a GAN or a VAE, and everything a checkpoint needs from it.

Used by :mod:`.train_gen` (the job) and by ``benchmarks/train_throughput.py``.
A trainer owns its networks and optimisers and exposes:

- ``step(real, rng) -> dict[str, Tensor]``: one update on a batch of
  ``uint8 (B, 3, S, S)`` images already on the device; the losses stay
  tensors (reading them forces a GPU sync, so the loop reads them rarely);
- ``sample(z) -> uint8 (N, S, S, 3)`` from the network that is shown and
  exported (the generator's moving average for the stable preset);
- ``modules()`` / ``optimizers()`` for checkpoints, ``export_state()`` and
  ``card_config()`` for the model file the explorer loads.

Speed (see docs/BENCHMARKS.md): channels-last tensors everywhere (oneDNN and
cuDNN both run NHWC convolutions faster); the discriminator's weights stop
asking for gradients during the generator's update (only the gradient
with respect to its input is needed there); the generator's update reuses
the fake batch of the discriminator's step, as DCGAN's reference loop does;
bf16 autocast and fused Adam on CUDA; ``torch.compile`` when asked.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch
from torch import nn

from ..models.dcgan import DCGANGenerator
from ..models.gan import DCGANDiscriminator, d_loss_half, dcgan_init, diff_augment, g_loss
from ..models.vae import VAE, vae_losses

EMA_DECAY = 0.999
GAN_BETAS = (0.5, 0.999)
KL_WARMUP_FRACTION = 0.2


def _adam(params, lr: float, betas, device: torch.device):
    # fused Adam is one kernel per step on CUDA; on CPU the default loop is as fast and bit-stable.
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=device.type == "cuda" or None)


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _ema_avg(averaged: torch.Tensor, current: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    """Moving average with a warm-up, so a short run's average is not stuck at its start."""
    if not averaged.is_floating_point():
        return current
    decay = min(EMA_DECAY, (1.0 + float(count)) / (10.0 + float(count)))
    return averaged + (current - averaged) * (1.0 - decay)


def to_images(batch: torch.Tensor, value_range: tuple[float, float]) -> np.ndarray:
    """``(N, 3, H, W)`` in ``value_range`` -> ``uint8 (N, H, W, 3)``."""
    low, high = value_range
    unit = ((batch.detach().float() - low) / (high - low)).clamp(0, 1)
    return (unit.permute(0, 2, 3, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)


class GanTrainer:
    """DCGAN generator + discriminator with the ``classic`` or ``stable`` recipe (see models.gan)."""

    loss_names = ("D", "G")

    def __init__(self, preset: str, size: int, latent: int, width: int, lr: float, device: torch.device,
                 seed: int, wrap=None, compile_: bool = False) -> None:
        self.preset, self.latent, self.width, self.size, self.device = preset, latent, width, size, device
        torch.manual_seed(seed)
        self.G = DCGANGenerator(nz=latent, ngf=width, nc=3, resolution=size, output="tanh")
        self.D = DCGANDiscriminator(ndf=width, nc=3, resolution=size, spectral=preset == "stable")
        self.G.apply(dcgan_init)
        self.D.apply(dcgan_init)
        self.G.to(device, memory_format=torch.channels_last)
        self.D.to(device, memory_format=torch.channels_last)
        self.ema = None
        if preset == "stable":
            self.ema = torch.optim.swa_utils.AveragedModel(self.G, avg_fn=_ema_avg, use_buffers=True)
            self.ema.eval()
        self.opt_G = _adam(self.G.parameters(), lr, GAN_BETAS, device)
        self.opt_D = _adam(self.D.parameters(), lr, GAN_BETAS, device)
        wrap = wrap or (lambda module: module)
        self.G_run, self.D_run = wrap(self.G), wrap(self.D)
        if compile_:
            self.G_run, self.D_run = torch.compile(self.G_run), torch.compile(self.D_run)

    def step(self, real_uint8: torch.Tensor, rng: torch.Generator, step: int = 0) -> dict[str, torch.Tensor]:
        real = (real_uint8.float() / 127.5 - 1.0).contiguous(memory_format=torch.channels_last)
        z = torch.randn(real.shape[0], self.latent, 1, 1, generator=rng).to(self.device)
        augment = (lambda x: diff_augment(x, rng)) if self.preset == "stable" else (lambda x: x)
        self.D.requires_grad_(True)
        self.opt_D.zero_grad(set_to_none=True)
        with _autocast(self.device):
            fake = self.G_run(z)
        # Real and fake backward separately, as DCGAN's reference loop does: the
        # discriminator's BatchNorm (classic) must see each batch on its own.
        sync = getattr(self.D_run, "no_sync", contextlib.nullcontext)
        with sync():
            with _autocast(self.device):
                real_scores = self.D_run(augment(real)).float()
            loss_real = d_loss_half(self.preset, real_scores, real=True)
            loss_real.backward()
        with _autocast(self.device):
            fake_scores = self.D_run(augment(fake.detach())).float()
        loss_fake = d_loss_half(self.preset, fake_scores, real=False)
        loss_fake.backward()
        self.opt_D.step()

        self.D.requires_grad_(False)   # only the input gradient is needed below
        self.opt_G.zero_grad(set_to_none=True)
        with _autocast(self.device):
            scores = self.D(augment(fake)).float()
        loss_g = g_loss(self.preset, scores)
        loss_g.backward()
        self.opt_G.step()
        if self.ema is not None:
            self.ema.update_parameters(self.G)
        return {"D": (loss_real + loss_fake).detach(), "G": loss_g.detach()}

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> np.ndarray:
        net = self.ema.module if self.ema is not None else self.G
        was_training = net.training
        net.eval()
        out = net(z.to(self.device))
        net.train(was_training)
        return to_images(out, (-1.0, 1.0))

    def modules(self) -> dict[str, nn.Module]:
        found = {"G": self.G, "D": self.D}
        if self.ema is not None:
            found["ema"] = self.ema
        return found

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_G": self.opt_G, "opt_D": self.opt_D}

    def export_state(self) -> dict[str, torch.Tensor]:
        net = self.ema.module if self.ema is not None else self.G
        return {k: v.detach().float().cpu().contiguous() if v.is_floating_point() else v.cpu().contiguous()
                for k, v in net.state_dict().items()}

    def card_config(self) -> dict:
        return {"architecture": "dcgan", "nz": self.latent, "ngf": self.width, "nc": 3, "output": "tanh"}


class VaeTrainer:
    """A :class:`~artstudio.models.vae.VAE` with Adam and a linear KL warm-up."""

    loss_names = ("recon", "KL")

    def __init__(self, size: int, latent: int, width: int, lr: float, device: torch.device, seed: int,
                 steps: int, wrap=None, compile_: bool = False) -> None:
        self.latent, self.width, self.size, self.device = latent, width, size, device
        self.warmup = max(1, int(steps * KL_WARMUP_FRACTION))
        torch.manual_seed(seed)
        self.model = VAE(latent=latent, width=width, nc=3, resolution=size)
        self.model.apply(dcgan_init)
        self.model.to(device, memory_format=torch.channels_last)
        self.opt = _adam(self.model.parameters(), lr, (0.9, 0.999), device)
        wrap = wrap or (lambda module: module)
        self.run = wrap(self.model)
        if compile_:
            self.run = torch.compile(self.run)

    def step(self, real_uint8: torch.Tensor, rng: torch.Generator, step: int = 0) -> dict[str, torch.Tensor]:
        image = (real_uint8.float() / 255.0).contiguous(memory_format=torch.channels_last)
        beta = min(1.0, (step + 1) / self.warmup)     # KL warm-up: step is the run's global step
        self.opt.zero_grad(set_to_none=True)
        with _autocast(self.device):
            recon, mu, logvar = self.run(image, rng)
        recon_loss, kl = vae_losses(image, recon, mu, logvar)
        (recon_loss + beta * kl).backward()
        self.opt.step()
        return {"recon": recon_loss.detach(), "KL": kl.detach()}

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> np.ndarray:
        was_training = self.model.training
        self.model.eval()
        out = self.model.decoder(z.to(self.device))
        self.model.train(was_training)
        return to_images(out, (0.0, 1.0))

    def modules(self) -> dict[str, nn.Module]:
        return {"VAE": self.model}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.opt}

    def export_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}

    def card_config(self) -> dict:
        return {"architecture": "dcgan", "nz": self.latent, "ngf": self.width, "nc": 3, "output": "sigmoid",
                "prefix": "decoder.", "encoder": "conv-v1"}


def sample_grid(images: np.ndarray, gap: int = 2) -> np.ndarray:
    """``uint8 (N, S, S, 3)`` -> one near-square grid image with ``gap`` px dark gutters."""
    n, s = len(images), images.shape[1]
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    grid = np.full((rows * s + (rows + 1) * gap, cols * s + (cols + 1) * gap, 3), 24, np.uint8)
    for index, image in enumerate(images):
        r, c = divmod(index, cols)
        y, x = gap + r * (s + gap), gap + c * (s + gap)
        grid[y:y + s, x:x + s] = image
    return grid


def step_rng(seed: int, step: int, rank: int, purpose: int = 0) -> torch.Generator:
    """A CPU generator for one step's draws, from ``(seed, step, rank, purpose)`` only."""
    words = np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32, step + 1, rank, purpose]).generate_state(2)
    return torch.Generator().manual_seed(int(words[0]) << 31 ^ int(words[1]))


class GenBatches:
    """The batch feed of a generator run: shuffled epochs, a random crop, a random mirror.

    ``tiles`` is ``uint8 (N, T, T, 3)`` (from :func:`artstudio.core.dataset.prepare_dataset`);
    batch ``k`` depends on ``(seed, k, rank)`` only, so a resumed run sees the same batches.
    """

    def __init__(self, tiles: np.ndarray, size: int, batch: int, seed: int, rank: int,
                 device: torch.device) -> None:
        self.size, self.batch, self.seed, self.rank, self.device = size, batch, seed, rank, device
        self.data = torch.from_numpy(tiles).permute(0, 3, 1, 2).contiguous().to(device)
        self._perm: dict[int, torch.Tensor] = {}

    def __call__(self, step: int, rng: torch.Generator) -> torch.Tensor:
        """``uint8 (B, 3, S, S)`` on the device."""
        return self.take(self.indices(step), rng)

    def indices(self, step: int) -> torch.Tensor:
        """Which images batch ``step`` holds (int64 (B,), on the CPU)."""
        return self._indices(step * self.batch, self.batch, len(self.data))

    def take(self, index: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        """Images ``index``, randomly cropped to the training size and mirrored."""
        batch = self.data[index.to(self.device)]
        side, size = batch.shape[-1], self.size
        if side > size:
            offsets = torch.randint(0, side - size + 1, (len(batch), 2), generator=rng).tolist()
            batch = torch.stack([img[:, y:y + size, x:x + size] for img, (y, x) in zip(batch, offsets)])
        flip = (torch.rand(len(batch), generator=rng) < 0.5).view(-1, 1, 1, 1).to(self.device)
        return torch.where(flip, batch.flip(3), batch)

    def _indices(self, position: int, count: int, n: int) -> torch.Tensor:
        """Images ``position .. position+count`` of the endless stream of shuffled epochs."""
        parts = []
        while count > 0:
            epoch, offset = divmod(position, n)
            if epoch not in self._perm:
                self._perm = {epoch: torch.randperm(n, generator=step_rng(self.seed, epoch, self.rank, 1))}
            take = min(count, n - offset)
            parts.append(self._perm[epoch][offset:offset + take])
            position, count = position + take, count - take
        return torch.cat(parts)
