"""Weight-free style statistics: seeded random filters and patch projections over an image pyramid.

No downloaded weights. Two kinds of features, both read from ``k x k``
patches at each level of a Gaussian pyramid (so a 7-px filter sees 7, 14,
28... px of the image):

* **paint** (:class:`RandomFilters`): a fixed bank of random filters, drawn
  once from ``seed``, then ReLU, or the softmax of SWAG (Wang, Li &
  Vasconcelos, CVPR 2021; here over each position's channels, which raises
  the activations' entropy as the paper asks). Random multi-scale filters
  synthesise textures close to trained ones (Ustyuzhaninov et al., ICLR
  2017; He, Wang & Hopcroft, 2016). Their Gram matrices, or the sliced
  Wasserstein distance between their distributions, are the style statistics.
* **texture** (:func:`random_projections`): raw patches projected on random
  directions, new ones every step: the sliced Wasserstein distance between
  the patch distributions of two images (GPDM, Elnekave & Weiss, ECCV 2022).

Features are computed at ``samples`` random positions per level instead of
densely: one step then costs about the same at 256 px as at 1 MP, and the
gradient reaches the image through a scatter of the sampled patches.
Random numbers (filters, directions, positions) come from NumPy's PCG64, so
the same seed gives the same features on any device and torch version.

Tensor contract: images ``float32 (1, C, H, W)`` in [0, 1], ``C`` = 3 (RGB)
or 1 (luminance), H and W at least ``patch``; features ``float32 (M, F)``.
fp32 only (the sorted distributions and Gram sums are sensitive); runs on
CPU or GPU.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

PATCH = 7
PAINT_FILTERS = 64
SOFTMAX_TEMPERATURE = 0.25
_BINOMIAL = np.array([1, 4, 6, 4, 1], np.float32) / 16


def blur_down(x: torch.Tensor) -> torch.Tensor:
    """Half the size after a 5-tap binomial blur (reflect border): one pyramid step."""
    c = x.shape[1]
    kernel = torch.from_numpy(np.outer(_BINOMIAL, _BINOMIAL)).to(x)[None, None].expand(c, 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), kernel, stride=2, groups=c)


def pyramid(x: torch.Tensor, levels: int, min_side: int = PATCH + 1) -> list[torch.Tensor]:
    """``[x, blur_down(x), ...]``: at most ``levels`` images, none smaller than ``min_side``."""
    out = [x]
    while len(out) < levels and min(out[-1].shape[-2:]) // 2 >= max(min_side, 3):
        out.append(blur_down(out[-1]))
    return out


def sample_positions(h: int, w: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` flat indices into an ``h x w`` grid (all of them, in order, when there are fewer)."""
    total = h * w
    if total <= count:
        return np.arange(total, dtype=np.int64)
    return np.sort(rng.choice(total, size=count, replace=False)).astype(np.int64)


class _Take(torch.autograd.Function):
    """``flat[index]`` whose backward is an ``index_add_``: deterministic on a multi-threaded CPU
    (the backward of plain indexing, an accumulating ``index_put_``, is not) and several times faster."""

    @staticmethod
    def forward(ctx, flat: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(index)
        ctx.size = flat.numel()
        return flat[index]

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (index,) = ctx.saved_tensors
        out = grad.new_zeros(ctx.size)
        out.index_add_(0, index.reshape(-1), grad.reshape(-1))
        return out, None


def take(flat: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``flat[index]`` (1-D ``flat``, any-shaped ``index``), differentiable and deterministic."""
    if flat.device.type != "cpu" or not flat.requires_grad:
        return flat[index]
    return _Take.apply(flat, index)


def gather_patches(x: torch.Tensor, positions: torch.Tensor, patch: int = PATCH) -> torch.Tensor:
    """The ``patch x patch`` neighbourhoods of ``x`` at ``positions`` (flat ``y * W + x``): ``(M, C * patch**2)``.

    The image is padded by reflection, so every pixel has a full patch; the
    gradient flows back to ``x`` (a scatter-add of the patches).
    """
    _, c, h, w = x.shape
    r = patch // 2
    padded = F.pad(x, (r, r, r, r), mode="reflect")[0]
    hp, wp = h + 2 * r, w + 2 * r
    dy, dx = np.meshgrid(np.arange(patch), np.arange(patch), indexing="ij")
    offsets = (np.arange(c)[:, None] * hp * wp + (dy * wp + dx).ravel()[None, :]).ravel()
    rows, cols = positions // w, positions % w
    base = rows * wp + cols
    index = base[:, None] + torch.from_numpy(offsets).to(positions.device)[None, :]
    return take(padded.reshape(-1), index)


class RandomFilters:
    """A fixed bank of ``count`` random ``patch x patch`` filters on ``channels`` channels, from ``seed``.

    Half the filters have zero mean (edges, strokes, grain), half do not
    (colour and brightness); each has unit norm; biases are small, so ReLU
    cuts each response at a different level.
    """

    def __init__(self, channels: int, seed: int, count: int = PAINT_FILTERS, patch: int = PATCH,
                 softmax: bool = False, device="cpu"):
        rng = np.random.default_rng([int(seed), 0x5717])
        weights = rng.standard_normal((count, channels * patch * patch)).astype(np.float32)
        half = count // 2
        weights[:half] -= weights[:half].mean(axis=1, keepdims=True)
        weights /= np.linalg.norm(weights, axis=1, keepdims=True)
        self.weight = torch.from_numpy(weights).to(device)
        self.bias = torch.from_numpy((rng.standard_normal(count) * 0.1).astype(np.float32)).to(device)
        self.patch = patch
        self.softmax = softmax

    def __call__(self, patches: torch.Tensor) -> torch.Tensor:
        """``(M, C * patch**2)`` patches (centred: ``2x - 1``) -> ``(M, count)`` features."""
        response = patches @ self.weight.T + self.bias
        if self.softmax:
            return torch.softmax(response / SOFTMAX_TEMPERATURE, dim=1)
        return F.relu(response)


def random_projections(channels: int, count: int, rng: np.random.Generator, patch: int = PATCH,
                       device="cpu") -> torch.Tensor:
    """``(C * patch**2, count)`` unit directions in patch space (GPDM's projections)."""
    directions = rng.standard_normal((channels * patch * patch, count)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    return torch.from_numpy(directions).to(device)


def gram(features: torch.Tensor) -> torch.Tensor:
    """``(F, F)`` second moments of ``(M, F)`` features."""
    return features.T @ features / features.shape[0]


def gram_distance(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius distance of the Gram of ``features`` to ``target``, relative to ``|target|^2``."""
    return ((gram(features) - target) ** 2).sum() / (target ** 2).sum().clamp_min(1e-12)


def sort_rows(values: torch.Tensor) -> torch.Tensor:
    """Each row of ``(P, M)`` values sorted, differentiably (a gather by the sorting order).

    On the CPU the order comes from NumPy's vectorised sort, about five
    times faster than torch's for these shapes.
    """
    if values.device.type != "cpu":
        return torch.sort(values, dim=1).values
    order = torch.from_numpy(np.argsort(values.detach().contiguous().numpy(), axis=1))
    rows, width = values.shape
    flat = order + torch.arange(rows)[:, None] * width
    return take(values.contiguous().reshape(-1), flat)


def sorted_target(values: torch.Tensor) -> torch.Tensor:
    """Each row of ``(P, N)`` values sorted, no gradient (the style side)."""
    with torch.no_grad():
        if values.device.type != "cpu":
            return torch.sort(values, dim=1).values
        return torch.from_numpy(np.sort(values.numpy(), axis=1))


def quantiles(sorted_rows: torch.Tensor, count: int) -> torch.Tensor:
    """``count`` evenly spaced quantiles of each row of ``(P, N)`` sorted values (linear interpolation)."""
    n = sorted_rows.shape[1]
    if n == count:
        return sorted_rows
    where = torch.linspace(0, n - 1, count, device=sorted_rows.device)
    low = where.floor().long()
    high = torch.clamp(low + 1, max=n - 1)
    t = where - low
    return sorted_rows[:, low] * (1 - t) + sorted_rows[:, high] * t


def sliced_distance(values: torch.Tensor, target_sorted: torch.Tensor) -> torch.Tensor:
    """Mean squared distance between the sorted rows of ``(P, M)`` values and the target's quantiles."""
    mine = sort_rows(values)
    return ((mine - quantiles(target_sorted, mine.shape[1])) ** 2).mean()


def to_tensor(image: np.ndarray, device="cpu") -> torch.Tensor:
    """``float32 (H, W, C)`` in [0, 1] -> ``(1, C, H, W)``."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None].to(device)


def to_image(x: torch.Tensor) -> np.ndarray:
    """``(1, C, H, W)`` -> ``float32 (H, W, C)`` on the CPU."""
    return x.detach()[0].permute(1, 2, 0).cpu().numpy().astype(np.float32, copy=False)


@torch.no_grad()
def style_statistics(image: np.ndarray, seed: int, levels: int, softmax: bool = False,
                     samples: int | None = None, device="cpu") -> list[torch.Tensor]:
    """The Gram matrix of the paint features at each pyramid level of ``image`` (``float32 (H, W, C)``).

    ``samples`` None reads every position (exact, for measuring); the
    optimiser reads a seeded sample per step.
    """
    x = to_tensor(image, device)
    bank = RandomFilters(x.shape[1], seed, softmax=softmax, device=device)
    rng = np.random.default_rng([int(seed), 0x57A7])
    out = []
    for level in pyramid(x, levels):
        h, w = level.shape[-2:]
        count = h * w if samples is None else samples
        positions = torch.from_numpy(sample_positions(h, w, count, rng)).to(x.device)
        grams = []
        for chunk in positions.split(65536):          # bounded memory on a big style image
            features = bank(gather_patches(level * 2 - 1, chunk, bank.patch))
            grams.append(features.T @ features)
        out.append(sum(grams) / positions.numel())
    return out


def statistics_distance(a: np.ndarray, b: np.ndarray, seed: int, levels: int, softmax: bool = False) -> float:
    """Mean over levels of the relative Gram distance between images ``a`` and ``b`` (every position)."""
    ga = style_statistics(a, seed, levels, softmax)
    gb = style_statistics(b, seed, levels, softmax)
    n = min(len(ga), len(gb))
    return float(sum(((x - y) ** 2).sum() / (y ** 2).sum().clamp_min(1e-12) for x, y in zip(ga[:n], gb[:n])) / n)


@torch.no_grad()
def content_distance(a: np.ndarray, b: np.ndarray, level: int = 2) -> float:
    """RMS difference (0-1 units) of two same-sized images blurred down ``level`` times: how far the
    composition and broad tones moved, ignoring fine texture (the content term's measure)."""
    la = pyramid(to_tensor(a), level + 1, min_side=4)[-1]
    lb = pyramid(to_tensor(b), level + 1, min_side=4)[-1]
    return float(((la - lb) ** 2).mean().sqrt())
