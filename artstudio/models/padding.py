"""Padding network inputs up to a size multiple (torch only at call time via the callers)."""

from __future__ import annotations

import torch.nn.functional as F


def pad_to_multiple(multiple: int, *tensors):
    """``tensors`` (``(N, C, H, W)``, the same ``H, W``; None passes through) padded at the
    bottom and right to multiples of ``multiple``: mirrored where the picture is large
    enough, the edge repeated where it is not. Returns the padded tensors as a tuple."""
    h, w = next(t for t in tensors if t is not None).shape[-2:]
    pad_h, pad_w = -h % multiple, -w % multiple
    if not (pad_h or pad_w):
        return tensors
    mode = "reflect" if min(h, w) > max(pad_h, pad_w) else "replicate"
    return tuple(None if t is None else F.pad(t, (0, pad_w, 0, pad_h), mode=mode) for t in tensors)
