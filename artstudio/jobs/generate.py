"""Generation jobs: render latents, export large images, project a picture into latent space.

Plain generators (see ``jobs.base``); torch is imported only when a job runs,
so the window can import the request types at start-up. Every model problem
surfaces as :class:`GenerateError`, which is both a ``JobError`` (the job
runner shows its message as is) and a ``ModelError`` (what models raise).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.rect import Rect
from ..models.registry import GENERATOR_KINDS, ModelError, resolve
from .base import CancelToken, Event, JobError, Preview, Progress

GAN_CHUNK = 4               # latents per cancel check; GAN renders ~3 ms each on CPU
MAX_EXPORT_SIDE = 16384     # 16384^2 RGB is 768 MB; beyond that, memory is the limit
MIN_EXPORT_SIDE = 8
PROJECT_SIDE = 96           # CPPN projection works at this long side (speed)
PROJECT_CANDIDATES = 8      # random starts tried before optimising
PROJECT_PRIOR = 0.01        # pulls |z|^2 / D towards 1, where Gaussian latents live
PROJECT_LR = 0.1
PREVIEW_EVERY = 10


class GenerateError(JobError, ModelError):
    """A one-line, user-facing failure of a generation job."""


@contextlib.contextmanager
def _user_errors():
    try:
        yield
    except GenerateError:
        raise
    except ModelError as error:
        raise GenerateError(str(error)) from None


# -- the generator cache (one cache for every model: models.loading) --------------------------

def get_generator(model: str, user_dir: Path | None = None, device: str = "auto"):
    """The loaded generator for ``model`` on ``device``, loaded once per process.

    ``model`` is resolved among the built-ins and the models in ``user_dir``
    (None: built-ins only). The cache is keyed by weights file, checksum and
    device, so a user model retrained under the same name (a new checksum in
    its card) is loaded again. Raises ``ModelError`` for an unknown or
    broken model.
    """
    from ..models.loading import get_model

    return get_model(resolve(model, kind=GENERATOR_KINDS, user_dir=user_dir), device)


def clear_generator_cache() -> None:
    """Forget every loaded model (tests; freeing memory)."""
    from ..models.loading import clear_models

    clear_models()


# -- render ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderRequest:
    """Render ``latents`` (float32 (N, D)) at ``size`` (None: native; CPPN: any >= 8).

    ``caption``: what a caption-conditioned model draws (other models ignore it).
    """

    model: str
    latents: np.ndarray
    size: int | None = None
    user_dir: Path | None = None
    device: str = "auto"
    caption: str = ""


def run_render(request: RenderRequest, cancel: CancelToken) -> Generator[Event, None, np.ndarray]:
    """``uint8 (N, S, S, 3)``; renders in chunks and checks ``cancel`` between them.

    Pixels do not depend on N or on the chunking (generators are batch-invariant).
    """
    cancel.check()
    with _user_errors():
        generator = get_generator(request.model, request.user_dir, request.device)
        latents = np.asarray(request.latents, dtype=np.float32)
        if latents.ndim != 2 or latents.shape[1] != generator.latent_dim:
            raise GenerateError(f"Model '{request.model}' takes latents of shape (N, {generator.latent_dim}); "
                                f"got {tuple(latents.shape)}.")
        side = generator.native_size if request.size is None else int(request.size)
        parts = [np.empty((0, side, side, 3), np.uint8)]
        # A fixed-size network renders in milliseconds; any-size ones check cancel per image.
        chunk = GAN_CHUNK if generator.spec.contract.fixed_size else 1
        total = len(latents)
        for start in range(0, total, chunk):
            cancel.check()
            parts.append(generator.render(latents[start:start + chunk], request.size, request.caption))
            done = min(start + chunk, total)
            yield Progress(done / total, f"Rendered {done} of {total}")
    return np.concatenate(parts)


# -- export ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportRequest:
    """One latent (float32 (D,)) at ``size``: an int for a square, or (W, H); ``caption`` as for a render."""

    model: str
    latent: np.ndarray
    size: int | tuple[int, int]
    user_dir: Path | None = None
    device: str = "auto"
    caption: str = ""
    tile: int = 512   # ~0.1 s per CPPN tile on 2 cores: cancel and close stay prompt


def run_export(request: ExportRequest, cancel: CancelToken) -> Generator[Event, None, np.ndarray]:
    """``uint8 (H, W, 3)``. CPPN: rendered tile by tile at any size and aspect
    (bounded working memory, Progress and a cancel check per tile). Fixed-size
    networks (GAN, VAE) paint a square: it is enlarged to ``max(W, H)`` with
    the project's super-resolution network when it is installed (x4/x2 steps
    while they do not overshoot), then Lanczos, and a wide or tall size is the
    centre of that square (cropped, never stretched)."""
    width, height = _export_size(request.size)
    latent = np.asarray(request.latent, dtype=np.float32).reshape(-1)
    cancel.check()
    with _user_errors():
        generator = get_generator(request.model, request.user_dir, request.device)
        if generator.spec.contract.tile is not None:   # renders tiles of any picture size
            return (yield from _export_tiled(generator, latent, width, height, max(64, int(request.tile)),
                                             cancel))
        yield Progress(0.0, f"Rendering {generator.spec.name}")
        image = generator.render(latent[None], caption=request.caption)[0]
    cancel.check()
    side = max(width, height)
    image = yield from _super_resolve(image, side, side, cancel)
    if image.shape[:2] != (side, side):
        from PIL import Image

        yield Progress(0.9, f"Resizing to {side}x{side} (Lanczos)")
        image = np.asarray(Image.fromarray(image).resize((side, side), Image.LANCZOS))
    if (width, height) != (side, side):
        top, left = (side - height) // 2, (side - width) // 2
        image = np.ascontiguousarray(image[top:top + height, left:left + width])
    yield Progress(1.0, f"Rendered {width}x{height}" + ("" if width == height else " (centre of the square)"))
    return image


def _super_resolve(image: np.ndarray, width: int, height: int,
                   cancel: CancelToken) -> Generator[Event, None, np.ndarray]:
    """Enlarge with the SR network in x4/x2 steps up to (not past) the target."""
    from .upscale import UpscaleRequest, run_upscale

    while True:
        h, w = image.shape[:2]
        scale = next((s for s in (4, 2) if w * s <= width and h * s <= height), None)
        if scale is None:
            return image
        yield Progress(0.5, f"Upscaling x{scale} with the super-resolution network")
        try:
            result = yield from run_upscale(UpscaleRequest(image, scale, "net", previews=False), cancel)
        except JobError:  # not installed or damaged: Lanczos does the rest
            return image
        image = result.image


def _export_tiled(generator, latent, width: int, height: int, tile: int,
                  cancel: CancelToken) -> Generator[Event, None, np.ndarray]:
    out = np.empty((height, width, 3), np.uint8)
    rects = [Rect(x, y, min(x + tile, width), min(y + tile, height))
             for y in range(0, height, tile) for x in range(0, width, tile)]
    for index, rect in enumerate(rects, start=1):
        cancel.check()
        out[rect.slices] = generator.render_tile(latent, (width, height), rect)
        yield Progress(index / len(rects), f"Rendering {width}x{height}: tile {index} of {len(rects)}")
    return out


def _export_size(size) -> tuple[int, int]:
    width, height = (size, size) if np.isscalar(size) else tuple(size)
    width, height = int(width), int(height)
    if not (MIN_EXPORT_SIDE <= min(width, height) and max(width, height) <= MAX_EXPORT_SIDE):
        raise GenerateError(f"Export size must be from {MIN_EXPORT_SIDE} to {MAX_EXPORT_SIDE} px "
                            f"per side, not {width}x{height}.")
    return width, height


# -- projection ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectRequest:
    """Find the latent that best reproduces ``target``.

    ``target``: uint8 (H, W, 3|4) RGB(A) (alpha ignored). ``mask``: uint8
    (H, W), 255 = these pixels count, 0 = ignore, soft values weigh; None =
    all count. GANs see the centred square crop of the picture resized to
    their native size; CPPNs see the whole picture at a long side of 96 px.
    """

    model: str
    target: np.ndarray
    mask: np.ndarray | None = None
    steps: int = 300
    seed: int = 0
    user_dir: Path | None = None
    device: str = "auto"


def run_project(request: ProjectRequest, cancel: CancelToken) -> Generator[Event, None, np.ndarray]:
    """Adam on the masked MSE (+ a small norm prior); returns the best latent, float32 (D,).

    A VAE with its encoder projects in one forward pass (the encoder's mean);
    with a mask, that encoding is the starting point of the optimisation.

    Yields Progress every step (the loss in the message) and a Preview of
    the current reconstruction every 10 steps and at the end.
    """
    import torch

    target, mask = _check_project_inputs(request)
    cancel.check()
    with _user_errors():
        generator = get_generator(request.model, request.user_dir, request.device)
    full_size, target_t, weight_t = _project_tensors(generator, target, mask)
    yield Progress(0.0, f"Projecting onto {generator.spec.name}")

    loss_of = _projection_loss(generator, full_size, target_t, weight_t)
    encoded = None
    if generator.encoder is not None:
        with torch.no_grad():
            encoded = generator.encoder(target_t)[0]
        if mask is None:    # the encoder's answer is the projection: one forward pass
            with torch.no_grad():
                yield Preview(_preview(generator.forward(encoded)))
            yield Progress(1.0, f"Encoded with {generator.spec.name}'s encoder")
            return encoded[0].cpu().numpy().astype(np.float32)
    with torch.enable_grad():
        # Only part of the picture counts: refine the encoding, else the best random start.
        start = encoded.clone() if encoded is not None else _best_start(generator, loss_of, request.seed)
        best = yield from _optimise(start.requires_grad_(True), loss_of, request.steps, cancel)
    return best[0].cpu().numpy().astype(np.float32)


def _projection_loss(generator, full_size, target_t, weight_t):
    """``loss_of(z) -> (loss (N,), render)``: masked MSE plus the norm prior."""
    def loss_of(z):
        out = generator.forward(z, full_size)
        error = ((out - target_t) ** 2 * weight_t).sum(dim=(1, 2, 3)) / (weight_t.sum() * 3)
        prior = (z.pow(2).mean(dim=1) - 1.0) ** 2
        return error + PROJECT_PRIOR * prior, out
    return loss_of


def _best_start(generator, loss_of, seed: int):
    """The ``(1, D)`` latent with the lowest loss among seeded random candidates."""
    import torch

    candidates = np.random.default_rng(seed).standard_normal(
        (PROJECT_CANDIDATES, generator.latent_dim)).astype(np.float32)
    with torch.no_grad():
        starts = torch.from_numpy(candidates).to(generator.device)
        first = int(torch.stack([loss_of(starts[i:i + 1])[0][0] for i in range(len(starts))]).argmin())
    return starts[first:first + 1].clone()


def _optimise(z, loss_of, steps: int, cancel: CancelToken) -> Generator[Event, None, object]:
    """Adam on ``z`` for ``steps`` steps; returns the lowest-loss latent seen (a tensor)."""
    import torch

    optimiser = torch.optim.Adam([z], lr=PROJECT_LR)
    best, best_loss = z.detach().clone(), float("inf")
    steps = max(1, int(steps))
    for step in range(1, steps + 1):
        cancel.check()
        optimiser.zero_grad(set_to_none=True)
        loss, out = loss_of(z)
        value = float(loss.item())
        if value < best_loss:
            best, best_loss = z.detach().clone(), value
        loss.backward()
        optimiser.step()
        yield Progress(step / steps, f"Projecting: step {step} of {steps}, loss {value:.5f}")
        if step % PREVIEW_EVERY == 0 or step == steps:
            yield Preview(_preview(out))
    return best


def _check_project_inputs(request: ProjectRequest) -> tuple[np.ndarray, np.ndarray | None]:
    target = np.asarray(request.target)
    if target.dtype != np.uint8 or target.ndim != 3 or target.shape[2] not in (3, 4) \
            or min(target.shape[:2]) < 8:
        raise GenerateError("The picture to project must be an RGB image of at least 8x8 pixels.")
    mask = None if request.mask is None else np.asarray(request.mask)
    if mask is not None:
        if mask.shape != target.shape[:2]:
            raise GenerateError("The projection mask and the picture have different sizes.")
        if not mask.any():
            raise GenerateError("The projection mask is empty: paint the part of the picture that counts.")
    return np.ascontiguousarray(target[..., :3]), mask


def _project_tensors(generator, target: np.ndarray, mask: np.ndarray | None):
    """(full_size, target (1, 3, h, w) in [0, 1], weights (1, 1, h, w)) at the working size."""
    import torch
    from PIL import Image

    height, width = target.shape[:2]
    if not generator.spec.contract.fixed_size:
        factor = PROJECT_SIDE / max(width, height)
        least = generator.spec.contract.min_size
        size = (max(least, round(width * factor)), max(least, round(height * factor)))
        box = (0, 0, width, height)
        full_size = size
    else:
        side = min(width, height)
        box = ((width - side) // 2, (height - side) // 2, (width + side) // 2, (height + side) // 2)
        size = (generator.native_size, generator.native_size)
        full_size = None
    image = np.asarray(Image.fromarray(target).resize(size, Image.LANCZOS, box=box), np.float32) / 255
    weight = np.ones(size[::-1], np.float32) if mask is None else \
        np.asarray(Image.fromarray(mask).resize(size, Image.BILINEAR, box=box), np.float32) / 255
    if not weight.any():
        weight[:] = 1.0     # the mask vanished in the downscale: everything counts rather than nothing
    device = generator.device
    target_t = torch.from_numpy(image).permute(2, 0, 1)[None].to(device)
    return full_size, target_t, torch.from_numpy(weight)[None, None].to(device)


def _preview(out) -> np.ndarray:
    import torch

    with torch.no_grad():
        pixels = (out[0].detach().clamp(0, 1) * 255).round().to(torch.uint8)
    return pixels.permute(1, 2, 0).cpu().numpy().copy()
