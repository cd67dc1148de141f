"""DetectNet: a small U-Net that marks dust and scratches on a scanned photo.

Tensor contract (architecture ``detect-unet-v1``; the record is in
:mod:`.architectures`)
-------------------------------------------------------------------------
- ``forward(image)``: ``image`` float32 ``(N, 3, H, W)`` RGB in [0, 1];
  any ``H, W >= 8``, padded inside (reflect) to a multiple of
  :data:`MULTIPLE` and cropped back.
- Returns float32 ``(N, 1, H, W)`` in [0, 1]: the probability that each
  pixel is damage (dust, lint, hair, fibre, scratch, crease).
  :meth:`DetectNet.logits` gives the same before the sigmoid (training).
- Receptive field about 120 px; tiles of 512 px with 32 px of overlap agree
  with a whole-image run to within a few 1e-3 of probability.
- fp16/bf16: not measured; run fp32.

Layout: pixel-unshuffle by 2 (so full-resolution detail is kept in the
channels while every convolution runs at a quarter of the pixels), one
convolution at 1/2, two at 1/4, dilated ones at 1/8, a decoder back to 1/2
with added skip connections, and a pixel-shuffle head to full resolution.
``width`` (default 24) sets the channel counts: about 0.07 M parameters,
~3.5 G multiply-adds per megapixel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .padding import pad_to_multiple

ARCHITECTURE = "detect-unet-v1"
MULTIPLE = 8


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation),
                         nn.LeakyReLU(0.1, inplace=True))


class DetectNet(nn.Module):
    """See the module docstring."""

    def __init__(self, width: int = 24) -> None:
        super().__init__()
        w1, w2, w3 = max(4, width * 2 // 3), width * 4 // 3, width * 2
        self.width = width
        self.enc1 = _conv(12, w1)
        self.enc2 = nn.Sequential(_conv(w1, w2, stride=2), _conv(w2, w2))
        self.enc3 = nn.Sequential(_conv(w2, w3, stride=2), _conv(w3, w3, dilation=2), _conv(w3, w3, dilation=4))
        # Skips are added, not concatenated: a concatenation copies every
        # full-size feature map, which cost a fifth of the run time on a CPU.
        self.lift3 = nn.Conv2d(w3, w2, 1)
        self.dec2 = _conv(w2, w2)
        self.lift2 = nn.Conv2d(w2, w1, 1)
        self.dec1 = _conv(w1, w1)
        self.head = nn.Conv2d(w1, 4, 3, 1, 1)
        # Start by saying "no damage" everywhere: damage is rare, and a balanced
        # start spends the first hundreds of steps unlearning false alarms.
        nn.init.constant_(self.head.bias, -4.0)

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        """``(N, 1, H, W)`` logits of damage for ``image`` (see the contract)."""
        h, w = image.shape[-2:]
        (x,) = pad_to_multiple(MULTIPLE, image)
        x = F.pixel_unshuffle(x * 2.0 - 1.0, 2)
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d2 = self.dec2(_up(self.lift3(e3), e2) + e2)
        d1 = self.dec1(_up(self.lift2(d2), e1) + e1)
        return F.pixel_shuffle(self.head(d1), 2)[..., :h, :w]

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(image))


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


def build(config: dict) -> DetectNet:
    """The network a model card's ``config`` describes."""
    return DetectNet(width=int(config.get("width", 24)))
