"""Caption-conditioned GAN: a DCGAN generator fed ``[z, f(condition)]`` and a projection discriminator.

The generator follows Reed et al. (ICML 2016): the condition (a caption's
vector) is compressed by a linear layer with a leaky ReLU and concatenated
with the latent before the first transposed convolution. The discriminator is
the spectrally normalised DCGAN stack with Miyato & Koyama's projection
(ICLR 2018): score = ``w . h + <embed(condition), h>`` over its pooled
features ``h``, trained with the matching-aware loss (a real picture with
the wrong caption counts as fake).

The condition is either the sentence embedding of the caption (384-d,
all-MiniLM-L6-v2 from the text extra, frozen) or the output of a
:class:`~.text_encoder.GruTextEncoder` trained with the discriminator.

Tensor contract
---------------
:class:`CaptionGenerator` input ``z float32 (N, nz)``, ``condition float32
(N, cond_dim)``; output ``float32 (N, 3, R, R)`` in [-1, 1], R a power of two
>= 8. Eval mode always (BatchNorm). fp32 renders (recipes reproduce exactly).
:class:`CaptionDiscriminator` input ``(N, 3, R, R)`` in [-1, 1] and the
condition; output ``float32 (N,)`` hinge scores.
The exported file holds ``generator.*`` and, for the GRU, ``text.*``.
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan import DCGANGenerator
from .gan import DCGANDiscriminator
from .text_encoder import GruTextEncoder

PROJECT = 128
TEXT_KINDS = ("gru", "sentence")
SENTENCE_DIM = 384


class ConditionalGenerator(nn.Module):
    """``(z, condition) -> image``: the condition projected to 128 values and put beside z."""

    def __init__(self, nz: int, cond_dim: int, ngf: int = 64, resolution: int = 32) -> None:
        super().__init__()
        self.nz, self.cond_dim, self.output = nz, cond_dim, "tanh"
        self.project = nn.Sequential(nn.Linear(cond_dim, PROJECT), nn.LeakyReLU(0.2, inplace=True))
        self.body = DCGANGenerator(nz + PROJECT, ngf, 3, resolution, "tanh")

    def forward(self, z: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        code = torch.cat([z.reshape(z.shape[0], self.nz), self.project(condition)], dim=1)
        return self.body(code)

    def to_unit(self, image: torch.Tensor) -> torch.Tensor:
        return (image + 1.0) * 0.5

    def first_layer_matrix(self) -> torch.Tensor:
        """``(nz, F)``: the z rows of the first layer (the condition only shifts it), for SeFa."""
        return self.body.first_layer_matrix()[: self.nz]


class CaptionGenerator(nn.Module):
    """What a cgan model file holds: the generator and, for ``text="gru"``, its text encoder."""

    def __init__(self, nz: int, ngf: int, resolution: int, text: str, vocabulary: int = 0) -> None:
        super().__init__()
        if text not in TEXT_KINDS:
            raise ValueError(f"text must be one of {', '.join(TEXT_KINDS)}, not {text!r}")
        self.kind = text
        self.text = GruTextEncoder(vocabulary) if text == "gru" else None
        cond_dim = self.text.out_dim if self.text is not None else SENTENCE_DIM
        self.generator = ConditionalGenerator(nz, cond_dim, ngf, resolution)
        self.nz, self.output = nz, "tanh"

    def forward(self, z: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return self.generator(z, condition)

    def to_unit(self, image: torch.Tensor) -> torch.Tensor:
        return self.generator.to_unit(image)

    def first_layer_matrix(self) -> torch.Tensor:
        return self.generator.first_layer_matrix()


class CaptionDiscriminator(nn.Module):
    """Spectrally normalised DCGAN features, pooled, scored with a condition projection."""

    def __init__(self, cond_dim: int, ndf: int = 64, resolution: int = 32) -> None:
        super().__init__()
        stack = DCGANDiscriminator(ndf, 3, resolution, spectral=True).main
        self.features, self.score = stack[:-1], stack[-1]        # (N, C, 4, 4), then a 4x4 score
        width = self.score.in_channels
        self.embed = nn.utils.parametrizations.spectral_norm(nn.Linear(cond_dim, width, bias=False))

    def forward(self, image: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        h = self.features(image)
        plain = self.score(h).reshape(image.shape[0])
        return plain + (self.embed(condition) * h.sum(dim=(2, 3))).sum(dim=1)
