"""The one place where numpy arrays and QImages meet.

``wrap_*`` functions return QImages that share the array's memory (zero
copy) and keep the array alive on the returned object; never send such an
image to another thread without :meth:`QImage.copy`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

_FORMATS = {3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888}


class _Wrapped(QImage):
    """A QImage that holds a reference to the numpy buffer it points into."""

    def __init__(self, array: np.ndarray, fmt: QImage.Format):
        h, w = array.shape[:2]
        super().__init__(array.data, w, h, array.strides[0], fmt)
        self._array = array


def wrap_rgbx(array: np.ndarray) -> QImage:
    """Wrap a C-contiguous ``uint8 (H, W, 4)`` RGBX display buffer."""
    return _Wrapped(_checked(array, (4,)), QImage.Format.Format_RGBX8888)


def wrap_image(array: np.ndarray) -> QImage:
    """Wrap a ``uint8 (H, W, 3|4)`` RGB(A) image (straight alpha)."""
    array = _checked(array, (3, 4))
    return _Wrapped(array, _FORMATS[array.shape[2]])


def to_qimage(array: np.ndarray) -> QImage:
    """An independent QImage copy of an RGB(A) array (safe to keep or send)."""
    return wrap_image(np.ascontiguousarray(array)).copy()


def from_qimage(image: QImage) -> np.ndarray:
    """An ``uint8 (H, W, 4)`` RGBA copy of any QImage."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w = image.height(), image.width()
    view = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return view.reshape(h, image.bytesPerLine())[:, : w * 4].reshape(h, w, 4).copy()


def _checked(array: np.ndarray, channels: tuple[int, ...]) -> np.ndarray:
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in channels:
        raise ValueError(f"expected uint8 (H, W, {channels}), got {array.dtype} {array.shape}")
    if not array.flags.c_contiguous:
        raise ValueError("array must be C-contiguous to be wrapped without a copy")
    return array
