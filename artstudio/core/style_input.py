"""Checking a style image before any work: one clear line for what cannot be used.

A style image comes from anywhere: a phone photo of a painting, a 40-px
icon, a 16-bit scan, a PNG with transparency, a 200 MP panorama, or by
mistake the photo itself. :func:`prepare_style` turns what can be used into
plain ``uint8 (H, W, 3)`` RGB of a bounded size and refuses the rest with a
:class:`StyleError` whose text is meant for the user.
"""

from __future__ import annotations

import numpy as np

MIN_SIDE = 64            # px: below this a picture holds colours, not a style
MAX_SIDE = 2048          # px: a bigger style image is reduced first (the jobs work at <= 1-2 MP)
IDENTICAL_LEVELS = 1.5   # mean |difference| (0-255) of 32x32 thumbnails under which two images are one


class StyleError(ValueError):
    """A style image that cannot be used; the text is one line for the user."""


def prepare_style(pixels: np.ndarray, name: str = "The style image") -> tuple[np.ndarray, list[str]]:
    """``(rgb, notes)``: the usable style image and what the user should know about it.

    Parameters
    ----------
    pixels : numpy.ndarray
        ``uint8 (H, W, 3|4)`` as the image loader returns it (greyscale and
        16-bit files arrive as 8-bit RGB).
    name : str
        How the messages call it (``"'monet.jpg'"``).

    Returns
    -------
    rgb : numpy.ndarray
        ``uint8 (h, w, 3)``, at most :data:`MAX_SIDE` px on a side; transparent
        pixels are replaced by the mean colour of the opaque ones, so they
        add no colour or edge of their own.
    notes : list of str
        E.g. that it was reduced, that it is greyscale.

    Raises
    ------
    StyleError
        Too small, not an RGB(A) 8-bit array, or almost all transparent.
    """
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.ndim != 3 \
            or pixels.shape[2] not in (3, 4):
        raise StyleError(f"{name} must be an RGB(A) picture with 8 bits per channel.")
    h, w = pixels.shape[:2]
    if min(h, w) < MIN_SIDE:
        raise StyleError(f"{name} is {w}×{h} pixels: a style needs at least {MIN_SIDE} on each side; "
                         "choose a larger picture.")
    notes = []
    rgb = pixels[..., :3]
    if pixels.shape[2] == 4:
        rgb = _flatten_alpha(pixels, name)
        if (pixels[..., 3] < 128).any():
            notes.append(f"{name} is partly transparent: only its opaque pixels give the style.")
    if max(h, w) > MAX_SIDE:
        import cv2

        scale = MAX_SIDE / max(h, w)
        rgb = cv2.resize(np.ascontiguousarray(rgb), (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
        notes.append(f"{name} ({w}×{h}) was reduced to {rgb.shape[1]}×{rgb.shape[0]} for the style.")
    if is_greyscale(rgb):
        notes.append(f"{name} is greyscale: the colours become grey too (tick Preserve colours to keep them).")
    return np.ascontiguousarray(rgb), notes


def _flatten_alpha(pixels: np.ndarray, name: str) -> np.ndarray:
    opaque = pixels[..., 3] >= 128
    if np.count_nonzero(opaque) < MIN_SIDE * MIN_SIDE:
        raise StyleError(f"{name} is almost all transparent: fewer than {MIN_SIDE}×{MIN_SIDE} "
                         "of its pixels can be seen.")
    mean = pixels[..., :3][opaque].mean(axis=0)
    return np.where(opaque[..., None], pixels[..., :3], np.round(mean).astype(np.uint8)).astype(np.uint8)


def is_greyscale(rgb: np.ndarray) -> bool:
    """Whether every pixel has R = G = B (within 2 levels), read on a grid of at most ~64k pixels."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 65536)))
    grid = rgb[::step, ::step].astype(np.int16)
    return bool(np.abs(grid - grid.mean(axis=2, keepdims=True)).max() <= 2)


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two images are the same picture (at any size): equal aspect, near-equal 32x32 thumbnails."""
    import cv2

    (ha, wa), (hb, wb) = a.shape[:2], b.shape[:2]
    if abs(wa / ha - wb / hb) > 0.02 * (wa / ha):
        return False
    ta = cv2.resize(np.ascontiguousarray(a[..., :3]), (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    tb = cv2.resize(np.ascontiguousarray(b[..., :3]), (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    return float(np.abs(ta - tb).mean()) < IDENTICAL_LEVELS
