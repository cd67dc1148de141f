"""The DCGAN generator (Radford et al. 2015), laid out as in PyTorch's faces tutorial.

Tensor contract
---------------
input   ``float32 (N, nz)`` or ``(N, nz, 1, 1)``: latents, standard normal.
output  ``float32 (N, nc, R, R)``; range [-1, 1] with ``output="tanh"`` (the
        tutorial's, and ``dcgan-faces``'), [0, 1] with ``output="sigmoid"``
        (VAE decoders). ``R = resolution`` is a power of two >= 8.
dtype   fp32 on CPU. fp16/bf16 work on a GPU (the output is bounded and the
        BatchNorms are in eval mode) but differ from fp32 by a few levels of
        255, so ArtStudio renders in fp32 to keep recipes reproducible.
eval    Always run in eval mode: BatchNorm then uses its running statistics,
        so a sample does not depend on the rest of its batch.

State-dict keys match the tutorial's ``main.N.*`` layout, so checkpoints of
that generator load strictly: for 64 px, ``main.0`` ConvTranspose2d(nz, 8*ngf,
4, 1, 0), then per 2x stage a ConvTranspose2d(4, 2, 1) + BatchNorm2d + ReLU
(indices 3k, 3k+1, 3k+2), and a final ConvTranspose2d to ``nc`` channels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

OUTPUTS = ("tanh", "sigmoid")


class DCGANGenerator(nn.Module):
    """z -> image with transposed convolutions, 4x4 doubling to ``resolution``."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3, resolution: int = 64,
                 output: str = "tanh") -> None:
        super().__init__()
        stages = math.log2(resolution) - 2       # 2x stages after the first 4x4
        if resolution < 8 or stages != int(stages):
            raise ValueError(f"DCGAN resolution must be a power of two >= 8, not {resolution}.")
        if output not in OUTPUTS:
            raise ValueError(f"DCGAN output must be one of {', '.join(OUTPUTS)}, not '{output}'.")
        self.nz, self.resolution, self.output = nz, resolution, output
        widths = [ngf * 2 ** i for i in reversed(range(int(stages)))]   # 64 px: 8, 4, 2, 1 x ngf
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], nc, 4, 2, 1, bias=False),
                   nn.Tanh() if output == "tanh" else nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.reshape(z.shape[0], self.nz, 1, 1))

    def to_unit(self, image: torch.Tensor) -> torch.Tensor:
        """Map the network's output range to [0, 1]."""
        return (image + 1.0) * 0.5 if self.output == "tanh" else image

    def first_layer_matrix(self) -> torch.Tensor:
        """``(nz, C*16)``: the linear map from z to the first block's output.

        The eval-mode BatchNorm after the first transposed convolution scales
        each channel by ``gamma / sqrt(var + eps)``; that scale is folded in,
        because it is what the rest of the network sees.
        """
        conv, norm = self.main[0], self.main[1]
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        weight = conv.weight * scale.view(1, -1, 1, 1)          # (nz, C, 4, 4)
        return weight.reshape(weight.shape[0], -1)


class FusedDCGAN(nn.Module):
    """An inference-only copy of a :class:`DCGANGenerator`, about 1.7x faster at batch 1.

    The eval-mode BatchNorms are folded into the transposed convolutions
    (weight scaled per output channel, plus a bias), the first layer, a
    transposed convolution of a 1x1 input, becomes one matrix product, and
    the weights are stored channels-last, which oneDNN runs faster on CPU.
    Same contract as the source network; outputs agree to ~1e-6. Built from
    the source's current weights: rebuild it if they change.
    """

    def __init__(self, source: DCGANGenerator) -> None:
        super().__init__()
        convs = [m for m in source.main if isinstance(m, nn.ConvTranspose2d)]
        norms = [m for m in source.main if isinstance(m, nn.BatchNorm2d)]
        self.nz, self.output, self.channels = source.nz, source.output, convs[0].out_channels
        with torch.no_grad():
            weights, biases = [], []
            for conv, norm in zip(convs, norms):
                scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
                weights.append(conv.weight * scale.view(1, -1, 1, 1))
                biases.append(norm.bias - norm.running_mean * scale)
            weights.append(convs[-1].weight.clone())
        self.first_weight = nn.Parameter(weights[0].reshape(self.nz, -1), requires_grad=False)
        self.first_bias = nn.Parameter(biases[0].view(1, -1, 1, 1), requires_grad=False)
        self.weights = nn.ParameterList(
            [nn.Parameter(w.contiguous(memory_format=torch.channels_last), requires_grad=False)
             for w in weights[1:]])
        self.biases = nn.ParameterList([nn.Parameter(b, requires_grad=False) for b in biases[1:]])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = (z.reshape(z.shape[0], self.nz) @ self.first_weight).view(z.shape[0], self.channels, 4, 4)
        x = torch.relu(x + self.first_bias)
        for index, weight in enumerate(self.weights):
            bias = self.biases[index] if index < len(self.biases) else None
            x = F.conv_transpose2d(x, weight, bias, stride=2, padding=1)
            if bias is not None:
                x = torch.relu(x)
        return torch.tanh(x) if self.output == "tanh" else torch.sigmoid(x)
