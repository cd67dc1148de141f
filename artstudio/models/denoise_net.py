"""A blind residual denoiser for gaussian noise, sigma 5 to 50 (0-255 scale).

Tensor contract
---------------
input   ``float32 (N, 3, H, W)`` RGB in [0, 1] (noisy; values a little
        outside [0, 1] are fine, as before clipping).
output  ``float32 (N, 3, H, W)`` in [0, 1]: ``input - predicted noise``,
        clamped.
size    Any H, W >= 8: reflect-padded to a multiple of :data:`MULTIPLE`
        inside ``forward`` and cropped back
        (the contract record in :mod:`.architectures` holds it).
noise   Blind: the strength is not an input. Trained on i.i.d. gaussian noise
        with sigma uniform in 0..55 per image (per channel independent), so it
        also leaves clean pictures nearly untouched.
dtype   fp32 on CPU; bf16/fp16 on a GPU are fine (no BatchNorm, bounded input).
eval    No BatchNorm or dropout: train and eval modes compute the same thing.
tiling  The receptive field is ~140 px; tiles with >= 32 px of overlap agree
        with a whole-image run to well under 1/255 away from the tile borders.

Design
------
DnCNN (Zhang et al. 2017) predicts the noise with 17 full-resolution layers;
that is ~600 GMAC for one megapixel, minutes on a 2-core CPU. Here, as in
FFDNet, the image is first pixel-unshuffled to half resolution (12 channels),
then a three-level U-Net of residual blocks (DRUNet-like, widths w, 2w,
4w at 1/2, 1/4, 1/8) predicts the noise: about 30 kMAC per pixel, a large receptive field, and it learns
fast enough to train on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .architectures import ARCHITECTURES
from .padding import pad_to_multiple

ARCHITECTURE = "unshuffle-resunet-v1"
MULTIPLE = ARCHITECTURES[ARCHITECTURE].contract.multiple     # 16: the contract record is the one place


class ResBlock(nn.Module):
    """``x + conv(relu(conv(x)))``: the skip keeps gradients alive without BatchNorm."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(torch.relu(self.conv1(x)))


class DenoiseNet(nn.Module):
    """See the module docstring. ``width=32``: ~0.9 M parameters."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        w1, w2, w3 = width, 2 * width, 4 * width
        self.width = width
        self.head = nn.Conv2d(12, w1, 3, 1, 1)
        self.level1 = ResBlock(w1)
        self.down1 = nn.Conv2d(w1, w2, 2, 2)
        self.level2 = ResBlock(w2)
        self.down2 = nn.Conv2d(w2, w3, 2, 2)
        self.level3 = nn.Sequential(ResBlock(w3), ResBlock(w3))
        self.up2 = nn.ConvTranspose2d(w3, w2, 2, 2)
        self.dec2 = ResBlock(w2)
        self.up1 = nn.ConvTranspose2d(w2, w1, 2, 2)
        self.dec1 = ResBlock(w1)
        self.tail = nn.Conv2d(w1, 12, 3, 1, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        (x,) = pad_to_multiple(MULTIPLE, image)
        s1 = self.level1(self.head(F.pixel_unshuffle(x - 0.5, 2)))
        s2 = self.level2(self.down1(s1))
        s3 = self.level3(self.down2(s2))
        d2 = self.dec2(self.up2(s3) + s2)
        d1 = self.dec1(self.up1(d2) + s1)
        noise = F.pixel_shuffle(self.tail(d1), 2)
        return (x - noise)[..., :h, :w].clamp(0.0, 1.0)


def build(config: dict) -> DenoiseNet:
    """The network a model card's ``config`` describes."""
    return DenoiseNet(width=int(config.get("width", 32)))
