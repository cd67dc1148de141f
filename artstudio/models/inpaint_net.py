"""A light gated-convolution U-Net that fills holes in photos (scratches, dust, strokes, boxes).

Tensor contract
---------------
image   ``float32 (N, 3, H, W)`` RGB in [0, 1]. Pixels under the mask may hold
        anything: the network zeroes them itself before looking.
mask    ``float32 (N, 1, H, W)``, 1 = hole (fill), 0 = keep. Binarise soft masks
        (``> 0.5``) before calling; fractional values are treated as holes.
output  ``float32 (N, 3, H, W)`` in [0, 1]. Outside the mask the output *is*
        the input tensor (a ``torch.where``), so after ``uint8 -> /255 -> *255
        -> round`` those pixels come back bit-identical.
size    Any H, W >= 8: the input is reflect-padded to a multiple of
        :data:`MULTIPLE` inside ``forward`` and cropped back.
dtype   fp32, or bf16 autocast: the fill job uses bf16 on CPUs that have it
        natively, measured within 0.01 dB of fp32 inside the hole (all
        activations are bounded by the gates and the [0, 1] image). fp16 on
        a GPU should be as safe; not measured.
eval    No BatchNorm or dropout: train and eval modes compute the same thing.

How it fills
------------
A parameter-free first fill (the *guess*, chosen by ``guess=``;
:meth:`InpaintNet.first_guess`, or computed by the caller and passed to
``forward``) fills the holes smoothly: ``"biharmonic"`` is scikit-image's exact biharmonic fill
(:func:`biharmonic_fill`, a sparse solve on the CPU; the classical method
the network is measured against), ``"push-pull"`` a multigrid approximation
of it in torch (:func:`push_pull_fill`; about 0.3-0.5 dB lower inside thin
holes, and used for holes too large for the sparse solve).
The U-Net sees ``[guess, mask]`` and predicts a correction: texture and edges
that the smooth guess lacks. The encoder's gated convolutions (Yu et al.
2019, "Free-Form Image Inpainting with Gated Convolution") learn per pixel
how much to trust what is under the mask; three dilated gated convolutions
at 1/8 scale give a receptive field of ~250 px, enough for 96 px boxes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..core.inpaint import MAX_BIHARMONIC_GUESS, biharmonic_guess
from .architectures import ARCHITECTURES
from .padding import pad_to_multiple

ARCHITECTURE = "gated-unet-v4"
MULTIPLE = ARCHITECTURES[ARCHITECTURE].contract.multiple     # 8: the contract record is the one place
GUESSES = ("push-pull", "biharmonic")
MAX_BIHARMONIC_HOLE = MAX_BIHARMONIC_GUESS   # more unknown pixels: push-pull instead


class GatedConv(nn.Module):
    """``features * sigmoid(gate)`` from one convolution with twice the channels."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 3, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, 2 * c_out, kernel, stride, dilation * (kernel // 2), dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        features, gate = y.chunk(2, dim=1)
        if torch.is_grad_enabled():
            return F.leaky_relu(features, 0.2) * torch.sigmoid(gate)
        # Inference: the same values, on dense halves, in place. The halves of a
        # channels-last output are strided views that bf16 element-wise kernels
        # crawl over: this layer ran 2-3x faster so on the 2-core EPYC.
        last = torch.channels_last if y.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
        features, gate = features.contiguous(memory_format=last), gate.contiguous(memory_format=last)
        return F.leaky_relu_(features, 0.2).mul_(gate.sigmoid_())


def _conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True))


# Jacobi weights of the 13-point biharmonic stencil (centre 20 moved to the left side).
_BIHARMONIC = torch.tensor([[0, 0, -1, 0, 0], [0, -2, 8, -2, 0], [-1, 8, 0, 8, -1],
                            [0, -2, 8, -2, 0], [0, 0, -1, 0, 0]], dtype=torch.float32) / 20.0


def push_pull_fill(image: torch.Tensor, known: torch.Tensor, levels: int = 9, harmonic: int = 4,
                   biharmonic: int = 32, omega: float = 0.5) -> torch.Tensor:
    """Fill unknown pixels with a multigrid biharmonic fill (no parameters).

    Push: a mask-weighted average pyramid. Pull: from the coarsest level
    down, each level takes its own average where it has data and the
    upsampled coarser fill elsewhere, then smooths inside the holes with
    ``harmonic`` Jacobi steps of the Laplace equation and ``biharmonic``
    damped Jacobi steps (``omega`` < 0.625 converges) of the biharmonic one.
    Per level the steps reach a few pixels; over the pyramid they reach
    across any hole. The result is close to scikit-image's
    ``inpaint_biharmonic`` (within ~0.2 dB on thin scratches and dust,
    measured on the held-out photos) at a fraction of its cost.

    ``image`` ``(N, C, H, W)`` with holes zeroed, ``known`` ``(N, 1, H, W)`` in
    {0, 1}. Known pixels come back unchanged.
    """
    pyramid = [(image * known, known)]
    for _ in range(levels):
        value, weight = pyramid[-1]
        if min(value.shape[-2:]) < 2:
            break
        pyramid.append((F.avg_pool2d(value, 2, ceil_mode=True), F.avg_pool2d(weight, 2, ceil_mode=True)))
    channels = image.shape[1]
    kernel = _BIHARMONIC.to(image.device, image.dtype).view(1, 1, 5, 5).repeat(channels, 1, 1, 1)
    filled = None
    for value, weight in reversed(pyramid):
        mean = value / weight.clamp_min(1e-6)
        if filled is None:
            trust = (weight > 0).to(value.dtype)
            filled = mean
        else:
            # A partly known coarse pixel trusts its own average in proportion.
            trust = (weight * 4.0).clamp(max=1.0)
            up = F.interpolate(filled, size=value.shape[-2:], mode="bilinear", align_corners=False)
            filled = mean * trust + up * (1.0 - trust)
        fixed, free = filled * trust, 1.0 - trust
        for _ in range(harmonic):
            smooth = F.avg_pool2d(F.pad(filled, (1, 1, 1, 1), mode="replicate"), 3, 1)
            filled = fixed + smooth * free
        if min(filled.shape[-2:]) >= 3:
            for _ in range(biharmonic):
                jacobi = F.conv2d(F.pad(filled, (2, 2, 2, 2), mode="replicate"), kernel, groups=channels)
                filled = filled + (jacobi - filled) * (free * omega)
    return image * known + filled * (1.0 - known)


def biharmonic_fill(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """scikit-image's biharmonic fill of each image, computed on the CPU.

    Same arguments and result as :func:`push_pull_fill`. An image with more
    than :data:`MAX_BIHARMONIC_HOLE` unknown pixels gets :func:`push_pull_fill`.
    """
    out = []
    for picture, keep in zip(image, known):
        hole = (keep[0] < 0.5).cpu().numpy()
        pixels = picture.detach().float().permute(1, 2, 0).cpu().numpy()
        filled = biharmonic_guess(pixels, hole, MAX_BIHARMONIC_HOLE)
        if filled is None:
            out.append(push_pull_fill(picture[None], keep[None])[0])
            continue
        out.append(torch.from_numpy(filled).permute(2, 0, 1).to(image.device, image.dtype))
    result = torch.stack(out)
    return image * known + result * (1.0 - known)


class InpaintNet(nn.Module):
    """See the module docstring. ``width`` scales every layer (32: ~0.9 M parameters);
    ``guess`` is one of :data:`GUESSES`; ``flips=2`` averages, in eval mode
    only, the correction with the one computed on the mirrored picture
    (twice the U-Net's cost)."""

    def __init__(self, width: int = 32, guess: str = "push-pull", flips: int = 1) -> None:
        super().__init__()
        if guess not in GUESSES:
            raise ValueError(f"Unknown first fill '{guess}'; choose one of: {', '.join(GUESSES)}.")
        if flips not in (1, 2):
            raise ValueError(f"flips must be 1 or 2, not {flips}.")
        self.flips = flips
        w1, w2, w3, w4 = width // 2, width, 2 * width, 3 * width
        self.width = width
        self.guess = guess
        self.enc0 = GatedConv(4, w1, 5)
        self.enc1 = GatedConv(w1, w2, 3, stride=2)
        self.enc2 = GatedConv(w2, w3, 3, stride=2)
        self.enc3 = GatedConv(w3, w4, 3, stride=2)
        self.middle = nn.Sequential(*[GatedConv(w4, w4, 3, dilation=d) for d in (2, 4, 8, 1)])
        self.dec2 = _conv(w4 + w3, w3)
        self.dec1 = _conv(w3 + w2, w2)
        self.dec0 = _conv(w2 + w1, w1)
        self.out = nn.Conv2d(w1, 3, 3, 1, 1)
        # Start as the parameter-free fill: a random correction only hurts,
        # and unlearning it costs hundreds of CPU training steps.
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def first_guess(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The parameter-free first fill the U-Net corrects (no gradients).

        ``image`` and ``mask`` as for ``forward``; returns ``(N, 3, H, W)`` in
        [0, 1], the input outside the mask. ``guess="biharmonic"`` solves on
        the CPU (scikit-image); a caller that has the pixels in numpy can
        compute the same with :func:`artstudio.core.inpaint.biharmonic_guess`
        and pass it to ``forward`` instead.
        """
        known = 1.0 - (mask > 0).to(image.dtype)
        with torch.no_grad():
            fill = biharmonic_fill if self.guess == "biharmonic" else push_pull_fill
            return fill(image * known, known)

    def forward(self, image: torch.Tensor, mask: torch.Tensor,
                guess: torch.Tensor | None = None) -> torch.Tensor:
        """Fill the holes; ``guess`` (same shape as ``image``) is the first fill
        to correct, :meth:`first_guess` when None."""
        h, w = image.shape[-2:]
        hole = (mask > 0).to(image.dtype)
        x, m, guess = pad_to_multiple(MULTIPLE, image, hole, guess)
        if guess is None:
            guess = self.first_guess(x, m)
        correction = self._correction(guess, m)
        if self.flips == 2 and not self.training:
            # Self-ensemble: the same network on the mirrored picture, mirrored back.
            correction = 0.5 * (correction + self._correction(guess.flip(-1), m.flip(-1)).flip(-1))
        filled = (guess + correction).clamp(0.0, 1.0)[..., :h, :w]
        return torch.where(hole > 0, filled, image)

    def _correction(self, guess: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        e0 = self.enc0(torch.cat([guess, m], 1) * 2.0 - 1.0)
        e1 = self.enc1(e0)
        e2 = self.enc2(e1)
        e3 = self.middle(self.enc3(e2))
        d2 = self.dec2(torch.cat([_up(e3, e2), e2], 1))
        d1 = self.dec1(torch.cat([_up(d2, e1), e1], 1))
        d0 = self.dec0(torch.cat([_up(d1, e0), e0], 1))
        return self.out(d0)


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


def build(config: dict) -> InpaintNet:
    """The network a model card's ``config`` describes."""
    return InpaintNet(width=int(config.get("width", 32)), guess=str(config.get("guess", "push-pull")),
                      flips=int(config.get("flips", 1)))
