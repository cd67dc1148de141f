"""GAN training pieces: the DCGAN discriminator (plain or spectrally normalised),
DCGAN's weight initialisation, DiffAugment, and the two losses.

Tensor contract
---------------
Discriminator input  ``float32 (N, nc, R, R)`` in [-1, 1] (the generator's
tanh range), ``R = resolution``, a power of two >= 8.
Discriminator output ``float32 (N,)``: raw scores (logits). The classic
preset reads them through a sigmoid inside ``binary_cross_entropy_with_logits``
(the same loss as the tutorial's ``Sigmoid`` + ``BCELoss``, without its
overflow at saturated scores); the stable preset uses them as hinge scores.
fp16/bf16: the spectrally normalised discriminator and the hinge loss are
autocast-safe; the classic one is too, because the loss takes logits.

Presets
-------
``classic``: Radford et al. (2015) as in PyTorch's DCGAN example: BatchNorm
in both networks, non-saturating BCE loss, Adam 2e-4 with beta1 0.5.
``stable``: for small datasets: spectral normalisation (Miyato et al. 2018)
and no BatchNorm in the discriminator, hinge loss, DiffAugment (Zhao et al.
2020: colour, translation, cutout, applied to real and fake images alike),
and an exponential moving average of the generator that is what gets shown
and exported.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class DCGANDiscriminator(nn.Module):
    """Strided 4x4 convolutions from ``resolution`` down to 4x4, then one 4x4 score.

    ``spectral=True`` wraps every convolution in spectral normalisation and
    drops the BatchNorms (they fight the Lipschitz constraint).
    """

    def __init__(self, ndf: int = 64, nc: int = 3, resolution: int = 64, spectral: bool = False) -> None:
        super().__init__()
        stages = math.log2(resolution) - 2
        if resolution < 8 or stages != int(stages):
            raise ValueError(f"Discriminator resolution must be a power of two >= 8, not {resolution}.")

        def conv(c_in, c_out, stride, padding):
            layer = nn.Conv2d(c_in, c_out, 4, stride, padding, bias=spectral)
            return nn.utils.parametrizations.spectral_norm(layer) if spectral else layer

        layers: list[nn.Module] = [conv(nc, ndf, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        width = ndf
        for _ in range(int(stages) - 1):
            layers.append(conv(width, width * 2, 2, 1))
            if not spectral:
                layers.append(nn.BatchNorm2d(width * 2))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width *= 2
        layers.append(conv(width, 1, 1, 0))
        self.main = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.main(image).reshape(image.shape[0])


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation: conv weights N(0, 0.02), BatchNorm gamma N(1, 0.02), beta 0.

    Uses the global torch RNG; seed it first for a reproducible start.
    Spectrally normalised convolutions are initialised through their
    ``original`` weight.
    """
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            weight = layer.parametrizations.weight.original if hasattr(layer, "parametrizations") else layer.weight
            nn.init.normal_(weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


def diff_augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """DiffAugment's colour, translation (1/8 of the side) and cutout (1/2), differentiably.

    ``images`` in [-1, 1], ``(N, C, H, W)``. Every random draw comes from
    ``generator`` (on the CPU), so a seeded step augments identically on any
    device. Real and fake batches must each get their own draws.
    """
    n, _, h, w = images.shape
    device, dtype = images.device, images.dtype

    def uniform(*shape):
        return torch.rand(*shape, generator=generator).to(device, dtype)

    x = images + (uniform(n, 1, 1, 1) - 0.5)                                  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (uniform(n, 1, 1, 1) * 2) + mean                         # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (uniform(n, 1, 1, 1) + 0.5) + mean                       # contrast
    x = _translate(x, generator, h // 8, w // 8)
    return _cutout(x, generator, h // 2, w // 2)


def _translate(x: torch.Tensor, generator: torch.Generator, max_dy: int, max_dx: int) -> torch.Tensor:
    """Shift each image by whole pixels, filling with zeros (a gather, so gradients flow)."""
    n, c, h, w = x.shape
    dy = torch.randint(-max_dy, max_dy + 1, (n, 1, 1), generator=generator).to(x.device)
    dx = torch.randint(-max_dx, max_dx + 1, (n, 1, 1), generator=generator).to(x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1) + dy          # (n, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w) + dx          # (n, 1, w)
    padded = F.pad(x, (1, 1, 1, 1))
    rows = (rows.clamp(-1, h) + 1).expand(n, h, w)
    cols = (cols.clamp(-1, w) + 1).expand(n, h, w)
    index = (rows * (w + 2) + cols).reshape(n, 1, h * w).expand(n, c, h * w)
    return padded.reshape(n, c, -1).gather(2, index).reshape(n, c, h, w)


def _cutout(x: torch.Tensor, generator: torch.Generator, size_y: int, size_x: int) -> torch.Tensor:
    """Zero one ``size_y x size_x`` rectangle per image (it may hang over the border)."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h + (1 - size_y % 2), (n, 1, 1), generator=generator).to(x.device)
    cx = torch.randint(0, w + (1 - size_x % 2), (n, 1, 1), generator=generator).to(x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = ((rows - cy + size_y // 2).clamp(0, h) < size_y) & ((rows - cy + size_y // 2) >= 0) \
        & ((cols - cx + size_x // 2) >= 0) & ((cols - cx + size_x // 2) < size_x)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def d_loss_half(preset: str, scores: torch.Tensor, real: bool) -> torch.Tensor:
    """The real or the fake term of the discriminator's loss (BCE on logits, or hinge).

    The two halves are back-propagated one after the other, as DCGAN's
    reference loop does, so a BatchNorm discriminator sees each batch alone.
    """
    if preset == "classic":
        target = torch.ones_like(scores) if real else torch.zeros_like(scores)
        return F.binary_cross_entropy_with_logits(scores, target)
    return F.relu(1.0 - scores).mean() if real else F.relu(1.0 + scores).mean()


def g_loss(preset: str, fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's loss (non-saturating BCE, or the hinge generator loss)."""
    if preset == "classic":
        return F.binary_cross_entropy_with_logits(fake_scores, torch.ones_like(fake_scores))
    return -fake_scores.mean()
