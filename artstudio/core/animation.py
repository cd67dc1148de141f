"""Writing frame sequences as animated GIF, APNG or WebP files.

The extension picks the format. GIF uses one palette for the whole
animation (per-frame palettes make flat areas flicker) and stores delays in
whole hundredths of a second; APNG and WebP keep full colour and
millisecond delays. GIF and APNG writers merge consecutive identical frames
into one longer frame, so such a file may hold fewer frames than given while
playing for the same time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .imageio import ImageError, atomic_save

__all__ = ["ANIMATION_EXTENSIONS", "frame_duration_ms", "save_animation"]

ANIMATION_EXTENSIONS: dict[str, str] = {".gif": "GIF", ".png": "PNG", ".apng": "PNG", ".webp": "WEBP"}
# Browsers play GIF delays under 2/100 s as 1/10 s, so faster GIFs would
# play slower; they are clamped to 50 fps instead.
_GIF_MIN_DELAY_MS = 20
_MAX_SIDE = {"WEBP": 16_383, "GIF": 65_535}
_PALETTE_SAMPLE_FRAMES = 16
_PALETTE_SAMPLE_SIDE = 128


def frame_duration_ms(fps: float, fmt: str = "PNG") -> int:
    """How long each frame shows, in ms, as the format will store it.

    Parameters
    ----------
    fps : float
        Frames per second, positive.
    fmt : str
        ``"GIF"``, ``"PNG"`` or ``"WEBP"``. GIF rounds to 10 ms and is
        clamped to at least 20 ms.

    Returns
    -------
    int
        Milliseconds, at least 1.
    """
    fps = float(fps)
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, not {fps}")
    ms = 1000.0 / fps
    if fmt == "GIF":
        return max(_GIF_MIN_DELAY_MS, int(round(ms / 10.0)) * 10)
    return max(1, int(round(ms)))


def save_animation(path, frames, fps: float, loop: bool = True) -> Path:
    """Write frames as an animation; the extension picks the format.

    Parameters
    ----------
    path : str or os.PathLike
        Target ending in ``.gif``, ``.png`` (APNG), ``.apng`` or ``.webp``.
    frames : array_like
        ``uint8 (F, H, W, 3)`` RGB frames, F >= 1 (a sequence of (H, W, 3)
        arrays is accepted too).
    fps : float
        Frames per second; see :func:`frame_duration_ms` for rounding.
    loop : bool, optional
        True: play forever; False: play once.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ImageError
        If the extension is not an animation format or the file cannot be
        written; an existing file at ``path`` is then left untouched.
    ValueError
        If ``frames`` or ``fps`` are not valid.
    """
    path = Path(path)
    fmt = ANIMATION_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        kind = f"'{path.suffix}' files are not supported" if path.suffix else "the name has no extension"
        raise ImageError(f"Cannot save '{path.name}': {kind}; use one of {', '.join(ANIMATION_EXTENSIONS)}.")
    frames = _check_frames(frames)
    duration = frame_duration_ms(fps, fmt)
    height, width = frames.shape[1:3]
    if max(width, height) > _MAX_SIDE.get(fmt, 2**31):
        raise ImageError(f"Cannot save '{path.name}': {fmt} animations cannot be larger than "
                         f"{_MAX_SIDE[fmt]} pixels on a side.")
    if fmt == "GIF":
        images = _paletted(frames)
        options = {"optimize": False}
        if loop:
            options["loop"] = 0  # without a loop entry a GIF plays once
    else:
        images = [Image.fromarray(f) for f in frames]
        options = {"loop": 0 if loop else 1}
        options.update({"quality": 90, "method": 4} if fmt == "WEBP" else {"compress_level": 3})
    options.update(save_all=True, append_images=images[1:], duration=duration)
    return atomic_save(path, images[0], fmt, options)


def _check_frames(frames) -> np.ndarray:
    if not isinstance(frames, np.ndarray):
        frames = np.stack([np.asarray(f) for f in frames]) if len(frames) else np.zeros((0,))
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3 or frames.size == 0:
        raise ValueError(f"frames must be a non-empty uint8 (F, H, W, 3) array, not {frames.dtype} {frames.shape}")
    return np.ascontiguousarray(frames)


def _paletted(frames: np.ndarray) -> list[Image.Image]:
    """Frames as "P" images sharing one adaptive palette built from a sample."""
    step = max(1, len(frames) // _PALETTE_SAMPLE_FRAMES)
    height, width = frames.shape[1:3]
    sy, sx = max(1, height // _PALETTE_SAMPLE_SIDE), max(1, width // _PALETTE_SAMPLE_SIDE)
    sample = np.concatenate([f[::sy, ::sx] for f in frames[::step]], axis=0)
    palette = Image.fromarray(np.ascontiguousarray(sample)).quantize(256, method=Image.Quantize.MEDIANCUT)
    return [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG) for f in frames]
