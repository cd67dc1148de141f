"""ArtStudio features v1: the feature network behind "FD (ArtStudio features)", KID and precision/recall.

Not Inception (its weights cannot be shipped; see :mod:`.inception` for real
FID), and so not comparable with published FID/KID. Two kinds side by side,
because each alone misses what the other sees:

- ``conv``: a fixed random convolutional network, four 3x3 stages (16, 32,
  64, 96 channels, ReLU, 2x average pooling between stages), the log of each
  channel's spatial mean (208 numbers). Half the first stage's filters have
  zero mean (edge and texture detectors), half do not (colour). Random
  features react to content, layout and colour;
- ``colour``, ``frequency``, ``gradient``: classical statistics
  (:mod:`artstudio.core.image_stats`, 125 numbers) that react to blur, noise
  and colour shifts, which random deep features barely notice.

Every number is centred and scaled by constants calibrated once on a photo
corpus, so that each of the four groups carries a quarter of the total
variance (D = 333, so per-dimension variance is about 1, as KID's cubic
kernel ``(x.y/D + 1)^3`` expects). The random filters and those constants are
the shipped file ``resources/models/artstudio-features.safetensors`` (card:
``artstudio-features.md``), verified by its pinned sha256 before it is parsed,
so the features never depend on a random number generator's version.
``benchmarks/evaluate_metrics.py calibrate`` rebuilds it.

Contract: images ``uint8 (N, H, W, 3)`` RGB, any square size (resized to
64 px, area filter when shrinking) -> ``float32 (N, 333)``. CPU or GPU;
fp32 only (the constants are fp32 and the log features are sensitive).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..core.image_stats import group_sizes, image_statistics
from .specs import ModelError, ModelSpec

NAME = "artstudio-features"
VERSION = 1
LABEL = "ArtStudio features"
FILE = "artstudio-features.safetensors"
SHA256 = "115fb3dcdc5cfd39fe11799c042653cd3a9b10261b97e42aa5694e2e48f41884"
SIZE = 64
CHANNELS = (16, 32, 64, 96)
CHUNK = 256
GROUPS = ("conv",) + tuple(group_sizes())


def group_slices() -> dict[str, slice]:
    """Which columns of the feature vector each group holds."""
    sizes = {"conv": sum(CHANNELS), **group_sizes()}
    out, start = {}, 0
    for name in GROUPS:
        out[name] = slice(start, start + sizes[name])
        start += sizes[name]
    return out


DIM = sum(s.stop - s.start for s in group_slices().values())


class RandomConv(nn.Module):
    """The ``conv`` group: ``float32 (N, 3, 64, 64)`` in [0, 1] -> ``(N, 208)`` log channel means."""

    def __init__(self) -> None:
        super().__init__()
        inputs = (3,) + CHANNELS[:-1]
        self.stages = nn.ModuleList(nn.Conv2d(i, o, 3) for i, o in zip(inputs, CHANNELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - 0.5) / 0.25
        pooled = []
        for index, conv in enumerate(self.stages):
            if index:
                x = F.avg_pool2d(x, 2)
            x = F.relu(conv(F.pad(x, (1, 1, 1, 1), mode="reflect")))
            pooled.append(torch.log(x.mean(dim=(2, 3)) + 1e-3))
        return torch.cat(pooled, dim=1)


def random_conv_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """He-normal filters from numpy's PCG64 (its stream is documented stable), zero-mean but half of stage 1's."""
    rng = np.random.default_rng(seed)
    state, inputs = {}, (3,) + CHANNELS[:-1]
    for index, (cin, cout) in enumerate(zip(inputs, CHANNELS)):
        weight = rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2.0 / (cin * 9))
        bias = np.zeros(cout)
        # Zero-mean filters answer to change, not level; on the non-negative maps of
        # later stages, filters with a mean would leave channels always off (dead).
        zero_mean = slice(0, cout // 2) if index == 0 else slice(None)
        weight[zero_mean] -= weight[zero_mean].mean(axis=(1, 2, 3), keepdims=True)
        if index == 0:
            bias[cout // 2:] = rng.standard_normal(cout - cout // 2) * 0.5
        state[f"conv.stages.{index}.weight"] = torch.from_numpy(weight.astype(np.float32))
        state[f"conv.stages.{index}.bias"] = torch.from_numpy(bias.astype(np.float32))
    return state


def resize(images: np.ndarray, side: int = SIZE) -> np.ndarray:
    """``uint8 (N, S, S, 3)`` at ``side`` px: area filter when shrinking, bicubic when enlarging."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images shaped (N, H, W, 3), got {images.dtype} {images.shape}")
    if images.shape[1:3] == (side, side):
        return images
    import cv2

    shrink = min(images.shape[1:3]) > side
    method = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return np.stack([cv2.resize(image, (side, side), interpolation=method) for image in images])


class FeatureNet(nn.Module):
    """The whole v1 extractor: :class:`RandomConv` + statistics, centred and scaled."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = RandomConv()
        self.register_buffer("mean", torch.zeros(DIM))
        self.register_buffer("scale", torch.ones(DIM))

    def raw(self, images: np.ndarray) -> np.ndarray:
        """Unscaled features ``float64 (N, 333)`` of ``uint8 (N, H, W, 3)`` images, in chunks."""
        images = resize(images)
        device = self.mean.device
        parts = []
        with torch.inference_mode():
            for start in range(0, len(images), CHUNK):
                chunk = images[start:start + CHUNK]
                x = torch.from_numpy(np.ascontiguousarray(chunk)).to(device).permute(0, 3, 1, 2).float() / 255.0
                conv = self.conv(x).double().cpu().numpy()
                parts.append(np.concatenate([conv, image_statistics(chunk)], axis=1))
        return np.concatenate(parts) if parts else np.empty((0, DIM))

    def extract(self, images: np.ndarray) -> np.ndarray:
        """``float32 (N, 333)``: the features the metrics compare."""
        mean = self.mean.double().cpu().numpy()
        scale = self.scale.double().cpu().numpy()
        return ((self.raw(images) - mean) * scale).astype(np.float32)


def calibrate(images: np.ndarray, seed: int = 0, floor: float = 1.0) -> dict[str, torch.Tensor]:
    """The file's tensors for a photo corpus ``uint8 (N, H, W, 3)``: the filters, then centring and scaling.

    Each group gets a quarter of the total variance; a column whose spread is
    below ``floor`` times its group's median spread is scaled as if it had
    that spread: a colour-histogram bin that photos almost never fill must
    not dominate the distance the first time a generator fills it (with a
    floor of 0.1, a 10-degree hue shift outweighed a strong blur 3:1).
    """
    net = FeatureNet()
    state = random_conv_state(seed)
    net.load_state_dict({**state, "mean": net.mean, "scale": net.scale})
    raw = net.raw(images)
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    scale = np.zeros(DIM)
    slices = group_slices()
    for part in slices.values():
        spread = np.maximum(std[part], floor * np.median(std[part]) + 1e-12)
        scale[part] = np.sqrt(DIM / (len(slices) * (part.stop - part.start))) / spread
    return {**state, "mean": torch.from_numpy(mean.astype(np.float32)),
            "scale": torch.from_numpy(scale.astype(np.float32))}


def features_spec(path: Path | None = None, sha256: str | None = None) -> ModelSpec:
    """The spec the one loader verifies: the shipped file, or ``path`` with its ``sha256``."""
    from .builtins import shipped_dir

    return ModelSpec(name=NAME, kind="features", latent_dim=0, resolution=SIZE,
                     weights=Path(path) if path is not None else shipped_dir() / FILE,
                     sha256=sha256 or SHA256, source="ArtStudio", licence="MIT (ArtStudio)",
                     description=f"{LABEL} v{VERSION}", task="features")


def load_features(path: Path | None = None, sha256: str | None = None, device="cpu") -> FeatureNet:
    """The verified v1 feature network (checksum first, safetensors, exact keys) on ``device``.

    Raises
    ------
    ModelError
        One line: the file is missing, damaged, or not the one pinned.
    """
    from .loading import verified_state
    from .weights import load_strict

    spec = features_spec(path, sha256)
    state = verified_state(spec)
    net = FeatureNet()
    load_strict(net, state, Path(spec.weights), f"{LABEL} v{VERSION}")
    if not bool((net.scale > 0).all()):
        raise ModelError(f"Model file '{Path(spec.weights).name}' is damaged: a feature scale is not positive.")
    return net.requires_grad_(False).eval().to(device)


def save_features(state: dict[str, torch.Tensor], path: Path) -> str:
    """Write the file (safetensors) and return its sha256."""
    from safetensors.torch import save_file

    from .specs import sha256_file

    # One metadata key: safetensors writes its metadata map in a random order, so several keys
    # would give the same tensors a different sha256 on each save.
    save_file({k: v.contiguous() for k, v in state.items()}, str(path),
              metadata={"format": f"{NAME} v{VERSION}, {SIZE} px"})
    return sha256_file(Path(path))
