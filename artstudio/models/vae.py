"""A convolutional VAE whose decoder is a DCGAN generator, so the explorer loads it as one.

Tensor contract
---------------
``encoder(x)``: ``float32 (N, nc, R, R)`` in [0, 1] -> ``(mu, logvar)``, each
``(N, latent)``. ``decoder(z)``: ``(N, latent)`` -> ``(N, nc, R, R)`` in
[0, 1] (sigmoid). ``R`` is a power of two >= 8. fp32 on CPU; autocast-safe
on a GPU (the loss is computed in fp32 from logits-free sums).

Saved whole (``encoder.*`` and ``decoder.main.*`` keys), the file loads in
the latent explorer as a ``dcgan`` generator with ``prefix="decoder."``, and
the encoder makes projecting a picture a single forward pass.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .dcgan import DCGANGenerator

LATENT_RANGE = (8, 512)


class ConvEncoder(nn.Module):
    """Strided 4x4 convolutions down to 4x4 (BatchNorm + LeakyReLU), then a linear head."""

    def __init__(self, latent: int, nef: int = 64, nc: int = 3, resolution: int = 64) -> None:
        super().__init__()
        stages = math.log2(resolution) - 2
        if resolution < 8 or stages != int(stages):
            raise ValueError(f"VAE resolution must be a power of two >= 8, not {resolution}.")
        layers: list[nn.Module] = [nn.Conv2d(nc, nef, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        width = nef
        for _ in range(int(stages) - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(width * 2),
                       nn.LeakyReLU(0.2, inplace=True)]
            width *= 2
        self.main = nn.Sequential(*layers)
        self.head = nn.Linear(width * 16, 2 * latent)
        self.latent = latent

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        stats = self.head(self.main(image).flatten(1))
        mu, logvar = stats.chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)


class VAE(nn.Module):
    """``encoder`` + ``decoder`` (a :class:`DCGANGenerator` with a sigmoid output)."""

    def __init__(self, latent: int = 64, width: int = 64, nc: int = 3, resolution: int = 64) -> None:
        super().__init__()
        low, high = LATENT_RANGE
        if not low <= latent <= high:
            raise ValueError(f"VAE latent size must be from {low} to {high}, not {latent}.")
        self.encoder = ConvEncoder(latent, width, nc, resolution)
        self.decoder = DCGANGenerator(nz=latent, ngf=width, nc=nc, resolution=resolution, output="sigmoid")
        self.latent = latent

    def forward(self, image: torch.Tensor, generator: torch.Generator | None = None):
        """``(reconstruction, mu, logvar)``; the noise of the reparameterisation from ``generator``."""
        mu, logvar = self.encoder(image)
        noise = torch.randn(mu.shape, generator=generator).to(mu.device, mu.dtype)
        z = mu + noise * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar


def vae_losses(image: torch.Tensor, recon: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """``(reconstruction, KL)`` per image, averaged over the batch (nats).

    Reconstruction is the Bernoulli negative log-likelihood (binary cross
    entropy summed over pixels), as in Kingma & Welling (2014); KL is the
    divergence of ``N(mu, exp(logvar))`` from the standard normal prior.
    """
    n = image.shape[0]
    recon_loss = F.binary_cross_entropy(recon.float().clamp(1e-6, 1 - 1e-6), image.float(), reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar.float() - mu.float() ** 2 - logvar.float().exp()) / n
    return recon_loss, kl


@torch.no_grad()
def negative_elbo(model: VAE, images: torch.Tensor, batch: int = 64) -> float:
    """The mean negative ELBO (reconstruction + KL, nats per image) of ``images`` in [0, 1],
    with the encoder's mean as the code (deterministic), in eval mode."""
    was_training = model.training
    model.eval()
    total = 0.0
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        mu, logvar = model.encoder(chunk)
        recon_loss, kl = vae_losses(chunk, model.decoder(mu), mu, logvar)
        total += float(recon_loss + kl) * len(chunk)
    model.train(was_training)
    return total / len(images)
