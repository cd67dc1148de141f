"""Deep Image Prior: the skip encoder-decoder of Ulyanov, Vedaldi and Lempitsky (2018).

DIP needs no training data. A randomly initialised convolutional network is
fitted to one degraded image from a fixed noise input; its structure fits
natural image content long before it fits noise or invents the contents of a
hole, so stopping early gives a restored image. :mod:`artstudio.jobs.dip`
runs the optimisation; this module is only the network.

The architecture follows the paper's "skip" network (its Fig. 21): ``depth``
levels, each a stride-2 3x3 conv + 3x3 conv down, a 1x1 skip branch, and on
the way up a concat, 3x3 conv, 1x1 conv and bilinear 2x upsampling; every conv
is followed by BatchNorm and LeakyReLU(0.2), padding is reflective. Widths
are far below the paper's 128 so that an iteration on a 256x256 crop takes a
fraction of a second on a 2-core CPU (see ``artstudio.jobs.estimate``).

Tensor contract
---------------
``DipNet(noise) -> image``

* input: ``float32 (N, in_channels, H, W)``, the fixed noise from
  :func:`dip_input` (uniform in [0, 0.1)). ``H`` and ``W`` must be multiples
  of :attr:`DipNet.multiple` (``2 ** depth``); callers pad by reflection.
* output: ``float32 (N, out_channels, H, W)`` in (0, 1) (sigmoid).
* BatchNorm runs in training mode throughout (batch of one image, as in the
  paper); there is no eval-mode use. fp16/bf16: untested, keep fp32.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


CPU_WIDTHS = (16, 32, 48, 64, 64)
"""Level widths for CPU: ~0.2 M parameters (the paper's 128s: ~2 M)."""
GPU_WIDTHS = (128, 128, 128, 128, 128)
"""The paper's widths, affordable on a GPU."""


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    pad = (kernel - 1) // 2
    layers: list[nn.Module] = [nn.ReflectionPad2d(pad)] if pad else []
    layers += [nn.Conv2d(c_in, c_out, kernel, stride=stride), nn.BatchNorm2d(c_out),
               nn.LeakyReLU(0.2, inplace=True)]
    return nn.Sequential(*layers)


class _Level(nn.Module):
    """One level: a skip branch beside (down, the deeper levels, up).

    ``x`` has ``c_in`` channels; the output has ``width``. ``deeper`` (if
    any) reads this level's ``width``-channel down path and returns
    ``deeper_width`` channels at half resolution.
    """

    def __init__(self, c_in: int, width: int, skip: int, deeper: nn.Module | None, deeper_width: int):
        super().__init__()
        self.skip = _conv(c_in, skip, 1) if skip else None
        self.down = nn.Sequential(_conv(c_in, width, 3, stride=2), _conv(width, width, 3))
        self.deeper = deeper
        below = deeper_width if deeper is not None else width
        self.merge_bn = nn.BatchNorm2d(skip + below)
        self.up = nn.Sequential(_conv(skip + below, width, 3), _conv(width, width, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.down(x)
        if self.deeper is not None:
            y = self.deeper(y)
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)
        if self.skip is not None:
            y = torch.cat([self.skip(x), y], dim=1)
        return self.up(self.merge_bn(y))


class DipNet(nn.Module):
    """The DIP skip encoder-decoder.

    Parameters
    ----------
    in_channels : int
        Channels of the noise input (32 in the paper).
    out_channels : int
        3 for RGB.
    widths : tuple of int
        Channels of each level, top (full resolution) first; its length is
        the depth (paper: five levels of 128). Narrow top levels are what
        make CPU iterations affordable: they run on the most pixels.
    skip : int
        Channels of every skip branch (paper: 4; 0 disables skips).
    """

    def __init__(self, in_channels: int = 32, out_channels: int = 3,
                 widths: tuple[int, ...] = CPU_WIDTHS, skip: int = 4):
        super().__init__()
        if not widths:
            raise ValueError("DipNet needs at least one level")
        level = None
        for index in reversed(range(len(widths))):
            c_in = in_channels if index == 0 else widths[index - 1]
            level = _Level(c_in, widths[index], skip, level, widths[index + 1] if level else 0)
        self.body = level
        self.head = nn.Conv2d(widths[0], out_channels, 1)
        self.in_channels = in_channels
        self.widths = tuple(widths)
        self.multiple = 2 ** len(widths)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        h, w = noise.shape[-2:]
        if h % self.multiple or w % self.multiple:
            raise ValueError(f"DipNet input must be a multiple of {self.multiple} px, got {h}x{w}")
        return torch.sigmoid(self.head(self.body(noise)))


def dip_input(channels: int, height: int, width: int, seed: int) -> torch.Tensor:
    """The fixed noise input: ``float32 (1, channels, height, width)``, U[0, 0.1)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand((1, channels, height, width), generator=generator) * 0.1
