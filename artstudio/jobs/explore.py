"""Jobs for the latent explorer that are not plain renders."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.generate_session import ModelInfo
from .base import CancelToken, Event, JobError, Progress

__all__ = ["AnimationRequest", "ModelInfo", "ModelInfoRequest", "PngExportRequest",
           "run_animation", "run_export_png", "run_model_info"]


def _generator(model: str, user_dir, device: str):
    """The cached generator; model and device problems become one-line job errors."""
    from ..models.registry import ModelError
    from .generate import get_generator

    try:
        return get_generator(model, user_dir, device)
    except (ModelError, ValueError) as exc:
        raise JobError(str(exc)) from None


@dataclass(frozen=True)
class ModelInfoRequest:
    model: str
    user_dir: Path | None = None
    cache_dir: Path | None = None
    device: str = "auto"
    directions: int = 16


def run_model_info(request: ModelInfoRequest, cancel: CancelToken) -> Generator[Event, None, ModelInfo]:
    """Load the generator on the job thread and factorise its directions."""
    yield Progress(0.0, f"Loading {request.model}…")
    generator = _generator(request.model, request.user_dir, request.device)
    cancel.check()
    yield Progress(0.5, f"Finding directions of {request.model}…")
    directions = generator.directions(request.directions, cache_dir=request.cache_dir)
    return ModelInfo(request.model, generator.model_hash, generator.latent_dim, generator.native_size,
                     generator.spec.kind, directions.values, directions.vectors)


@dataclass(frozen=True)
class PngExportRequest:
    """Render ``state`` at ``size`` and write it with its recipe embedded."""

    state: object            # core.latent_state.LatentState
    latent: np.ndarray       # the effective latent to render, float32 (D,)
    size: int | tuple[int, int]   # a side, or (width, height)
    path: Path
    app_version: str
    user_dir: Path | None = None
    device: str = "auto"


def run_export_png(request: PngExportRequest, cancel: CancelToken) -> Generator[Event, None, Path]:
    """High-resolution export: tiled for CPPNs, upscaled for GANs; returns the path written."""
    from ..core.recipe import write_png_with_recipe
    from .generate import ExportRequest, run_export

    export = ExportRequest(request.state.model, request.latent, request.size, request.user_dir, request.device,
                           caption=request.state.caption)
    image = yield from run_export(export, cancel)
    cancel.check()
    yield Progress(1.0, f"Writing {request.path.name}…")
    return write_png_with_recipe(request.path, image, request.state, request.app_version)


@dataclass(frozen=True)
class AnimationRequest:
    model: str
    latents: np.ndarray      # float32 (F, D), one per frame
    size: int
    fps: float
    loop: bool
    path: Path
    user_dir: Path | None = None
    device: str = "auto"
    chunk: int = 8
    caption: str = ""


def run_animation(request: AnimationRequest, cancel: CancelToken) -> Generator[Event, None, Path]:
    """Render every frame (at the model's size, resized with Lanczos when it
    differs from the requested size) and write a GIF, APNG or WebP."""
    from PIL import Image

    from ..core.animation import save_animation

    generator = _generator(request.model, request.user_dir, request.device)
    native = generator.spec.kind != "cppn"
    frames = []
    total = len(request.latents)
    for start in range(0, total, request.chunk):
        cancel.check()
        batch = generator.render(request.latents[start:start + request.chunk],
                                 None if native else request.size, request.caption)
        for frame in batch:
            if frame.shape[0] != request.size:
                frame = np.asarray(Image.fromarray(frame).resize((request.size, request.size), Image.LANCZOS))
            frames.append(frame)
        yield Progress(min(start + request.chunk, total) / total, f"Rendering frame {len(frames)} of {total}")
    cancel.check()
    return save_animation(request.path, np.stack(frames), request.fps, request.loop)
