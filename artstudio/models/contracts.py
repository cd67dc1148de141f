"""The tensor contract of an architecture, as a record that jobs read (spandrel's lesson).

A job that tiles, pads or upsamples asks the model's contract (``spec.contract``)
instead of importing a network module for its constants: the padding
multiple of the denoiser, the scales of the upscaler, a tile size that keeps
memory bounded and an overlap wide enough for the receptive field. The
records live in :mod:`.architectures`, one per architecture, next to the
function that builds the network. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Contract:
    """What goes in and out of one architecture's ``forward``.

    Attributes
    ----------
    inputs : tuple of str
        Positional inputs of ``forward``: ``"image"`` ``float32 (N, C, H, W)``,
        ``"mask"`` ``float32 (N, 1, H, W)`` with 1 = fill, ``"scale"`` an int
        from :attr:`scales`, ``"latent"`` ``float32 (N, D)``, ``"coords"``
        ``float32 (P, 3)`` pixel coordinates, ``"caption"`` ``float32 (N, C)`` a
        caption's condition vector.
    in_channels, out_channels : int
        Image channels in and out (0 when the input is not an image).
    value_range : (float, float)
        Range of the output (and of image inputs).
    scales : tuple of int
        Output side / input side; ``(1,)`` unless the network upsamples.
    multiple : int
        H and W are padded to a multiple of this inside ``forward`` and
        cropped back, so tiles should be cut on this grid.
    min_size : int
        Smallest H or W accepted, in input px.
    fp16_safe, bf16_safe : bool
        Half precision gives results a user cannot tell from fp32 on a GPU.
    receptive_field : int or None
        In input px; None when the output does not depend on neighbours'
        values in a way tiling could break (or is not image-to-image).
    tile, overlap : int or None, int
        Suggested tile side and overlap, in input px, for a bounded-memory
        tiled run that agrees with a whole-image run away from the borders.
        ``tile=None``: run whole.
    fixed_size : bool
        Renders only at the spec's native resolution (a GAN).
    needs_weights : bool
        False when the network is drawn from its config (a CPPN).
    """

    inputs: tuple[str, ...]
    in_channels: int = 3
    out_channels: int = 3
    value_range: tuple[float, float] = (0.0, 1.0)
    scales: tuple[int, ...] = (1,)
    multiple: int = 1
    min_size: int = 1
    fp16_safe: bool = False
    bf16_safe: bool = False
    receptive_field: int | None = None
    tile: int | None = None
    overlap: int = 0
    fixed_size: bool = False
    needs_weights: bool = True

    def padded(self, height: int, width: int) -> tuple[int, int]:
        """``(H, W)`` rounded up to :attr:`multiple`, as ``forward`` pads them."""
        step = max(1, self.multiple)
        return -(-height // step) * step, -(-width // step) * step

    def half_safe(self, dtype: str) -> bool:
        """True if ``dtype`` (``"float16"``/``"fp16"`` or ``"bfloat16"``/``"bf16"``) is safe."""
        if dtype in ("float16", "fp16", "half"):
            return self.fp16_safe
        if dtype in ("bfloat16", "bf16"):
            return self.bf16_safe
        return dtype in ("float32", "fp32")
