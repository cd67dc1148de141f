"""A compositional pattern-producing network (Stanley 2007): (x, y, r, z) -> colour.

Tensor contract
---------------
coords  ``float32 (P, 3)``: x, y and r = sqrt(x^2 + y^2) per pixel, from
        :func:`pixel_coords` over the FULL canvas, so a tile's pixels are
        the same numbers as in the untiled render and tiles stitch exactly.
z       ``float32 (N, latent_dim)``, standard normal. z only shifts the first
        layer's pre-activations, so the image changes smoothly with z.
output  ``float32 (N, P, 3)``, RGB in [0, 1].
dtype   fp32. bf16/fp16 visibly band the smooth gradients at large sizes
        (sin/tanh of large pre-activations); keep fp32.

The weights are not learned: they are drawn once from the preset's seed with
numpy's ``default_rng`` (whose normal stream numpy keeps stable across
releases), so a preset is the same network on every run and machine and its
identity is the hash of its config.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def _tanh(x: torch.Tensor) -> torch.Tensor:
    # Identical to tanh within 2e-7, and 1.8x faster: torch's CPU tanh costs
    # ~2.4 ns per element on this 2-core machine, sigmoid ~0.5 ns, and tanh
    # is most of a CPPN render.
    return torch.sigmoid(x * 2.0) * 2.0 - 1.0


ACTIVATIONS = {
    "tanh": _tanh,
    "sin": torch.sin,
    "gauss": lambda x: torch.exp(-x * x),
    "softsign": lambda x: x / (1 + x.abs()),
}
COLOURS = ("rgb", "mono", "palette")
# Cosine palette (a + b*cos(2*pi*(c*t + d))), a rainbow-ish default.
DEFAULT_PALETTE = (0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 0.0, 0.33, 0.67)


def pixel_coords(full_size: tuple[int, int], x0: int, y0: int, x1: int, y1: int,
                 scale: float) -> torch.Tensor:
    """``(h*w, 3)`` x, y, r for pixels ``[y0, y1) x [x0, x1)`` of a (W, H) canvas.

    Pixel centres; the shorter side spans [-scale, scale] and the longer one
    extends proportionally, so shapes keep their proportions at any aspect.
    ``(2j + 1 - W) / min(W, H)`` is one rounding of exact integers, so a
    pixel gets the same coordinates in every tile.
    """
    width, height = full_size
    short = float(min(width, height))
    xs = (torch.arange(x0, x1, dtype=torch.float32) * 2 + (1 - width)) / short * scale
    ys = (torch.arange(y0, y1, dtype=torch.float32) * 2 + (1 - height)) / short * scale
    y, x = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([x, y, torch.sqrt(x * x + y * y)], dim=-1).reshape(-1, 3)


class CPPN(nn.Module):
    """A fixed random MLP applied to every pixel independently."""

    def __init__(self, latent_dim: int = 8, hidden: int = 32, depth: int = 4,
                 activations: tuple[str, ...] = ("tanh",), colour: str = "rgb",
                 scale: float = 1.0, z_scale: float = 1.0, gain: float = 1.0, out_gain: float = 1.0,
                 palette: tuple[float, ...] = DEFAULT_PALETTE, seed: int = 0) -> None:
        """Draw the network.

        ``scale``: coordinate range (the shorter side spans [-scale, scale]);
        higher means finer patterns. ``z_scale``: weight of z in the first
        layer; higher means z changes more per unit. ``gain``: hidden weights
        are N(0, gain^2 / fan_in); above ~1.5 tanh/sin layers fold the
        pattern into sharper shapes. ``out_gain``: contrast of the colours.
        """
        super().__init__()
        if colour not in COLOURS:
            raise ValueError(f"CPPN colour must be one of {', '.join(COLOURS)}, not '{colour}'.")
        if depth < 1 or hidden < 1 or latent_dim < 1:
            raise ValueError("CPPN depth, hidden and latent_dim must be positive.")
        for spec in activations:
            for name in spec.split("+"):
                if name not in ACTIVATIONS:
                    raise ValueError(f"Unknown CPPN activation '{name}'.")
        self.latent_dim, self.scale, self.colour = latent_dim, scale, colour
        self.activations = [activations[i % len(activations)].split("+") for i in range(depth)]
        rng = np.random.default_rng(seed)

        def draw(std: float, *shape: int) -> nn.Parameter:
            values = (rng.standard_normal(shape) * std).astype(np.float32)
            return nn.Parameter(torch.from_numpy(values), requires_grad=False)

        self.coord_weight = draw(1.0, hidden, 3)
        self.z_weight = draw(z_scale / math.sqrt(latent_dim), hidden, latent_dim)
        self.bias = draw(1.0, hidden)
        self.hidden = nn.ParameterList([draw(gain / math.sqrt(hidden), hidden, hidden)
                                        for _ in range(depth - 1)])
        self.out_weight = draw(out_gain / math.sqrt(hidden), 3 if colour == "rgb" else 1, hidden)
        self.register_buffer("palette", torch.tensor(palette, dtype=torch.float32).view(4, 3),
                             persistent=False)

    def forward(self, coords: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``(P, 3)`` coords and ``(N, D)`` latents -> ``(N, P, 3)`` RGB in [0, 1]."""
        shift = z @ self.z_weight.T + self.bias                       # (N, hidden)
        h = (coords @ self.coord_weight.T).unsqueeze(0) + shift.unsqueeze(1)
        h = self._activate(h, 0)
        for index, weight in enumerate(self.hidden, start=1):
            h = self._activate(h @ weight.T, index)
        return self._colour(torch.sigmoid(h @ self.out_weight.T))

    def _activate(self, h: torch.Tensor, layer: int) -> torch.Tensor:
        names = self.activations[layer]
        if len(names) == 1:
            return ACTIVATIONS[names[0]](h)
        # Mixed layer: contiguous groups of units, one activation each (the
        # weights are random, so which units get which does not matter).
        bounds = [round(i * h.shape[-1] / len(names)) for i in range(len(names) + 1)]
        return torch.cat([ACTIVATIONS[name](h[..., a:b])
                          for name, a, b in zip(names, bounds, bounds[1:])], dim=-1)

    def _colour(self, out: torch.Tensor) -> torch.Tensor:
        if self.colour == "rgb":
            return out
        if self.colour == "mono":
            return out.expand(*out.shape[:-1], 3)
        a, b, c, d = self.palette
        return (a + b * torch.cos(2 * math.pi * (c * out + d))).clamp(0.0, 1.0)

    def first_layer_matrix(self) -> torch.Tensor:
        """``(latent_dim, hidden)``: how z moves the first layer's pre-activations."""
        return self.z_weight.T
