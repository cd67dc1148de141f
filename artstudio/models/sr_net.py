"""A small super-resolution network for x2 and x4: one shared body, one head per scale.

Tensor contract
---------------
input   ``float32 (N, 3, h, w)`` RGB in [0, 1], the low-resolution image.
scale   2 or 4, chosen per call: ``net(image, scale)``.
output  ``float32 (N, 3, h*scale, w*scale)`` in [0, 1]: bicubic upsampling
        (``align_corners=False``) plus a learned residual, clamped.
size    Any h, w >= 4 (all convolutions are size-preserving; zero padding).
dtype   fp32 on CPU; bf16/fp16 on a GPU are fine (no BatchNorm).
eval    No BatchNorm or dropout: train and eval modes compute the same thing.
tiling  The receptive field is 13 low-resolution pixels; tiles with >= 8 px of
        low-resolution overlap agree with a whole-image run away from borders.
degradation  Trained for bicubic downscaling (antialiased, as PIL's
        ``Image.resize(..., BICUBIC)``), the usual benchmark degradation.

Design
------
ESPCN/FSRCNN class (Shi et al. 2016, Dong et al. 2016): every convolution
runs at the low resolution and a pixel shuffle makes the output, so a
megapixel x2 costs ~25 GMAC. The residual over bicubic means the network
only has to learn the missing edges and texture, which it does in minutes of
CPU training. One body for both scales, because on a CPU budget the shared
features see twice the training data and the app ships one file; each scale
keeps its own pixel-shuffle head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .architectures import ARCHITECTURES

ARCHITECTURE = "espcn-residual-v1"
SCALES = ARCHITECTURES[ARCHITECTURE].contract.scales         # (2, 4), from the contract record


class SRNet(nn.Module):
    """See the module docstring. ``width=32, depth=4``: ~50 k parameters."""

    def __init__(self, width: int = 32, depth: int = 4) -> None:
        super().__init__()
        self.width, self.depth = width, depth
        self.head = nn.Sequential(nn.Conv2d(3, width, 5, 1, 2), nn.PReLU(width))
        body: list[nn.Module] = []
        for _ in range(depth):
            body += [nn.Conv2d(width, width, 3, 1, 1), nn.PReLU(width)]
        self.body = nn.Sequential(*body)
        self.tails = nn.ModuleDict({f"x{s}": nn.Conv2d(width, 3 * s * s, 3, 1, 1) for s in SCALES})

    def forward(self, image: torch.Tensor, scale: int = 2) -> torch.Tensor:
        if scale not in SCALES:
            raise ValueError(f"Scale must be one of {SCALES}, not {scale}.")
        base = F.interpolate(image, scale_factor=scale, mode="bicubic", align_corners=False)
        features = self.head(image - 0.5)
        features = self.body(features) + features
        residual = F.pixel_shuffle(self.tails[f"x{scale}"](features), scale)
        return (base + residual).clamp(0.0, 1.0)


def build(config: dict) -> SRNet:
    """The network a model card's ``config`` describes."""
    return SRNet(width=int(config.get("width", 32)), depth=int(config.get("depth", 4)))
