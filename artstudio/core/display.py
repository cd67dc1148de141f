"""What the canvas shows: the image composited with the mask overlay, as a
mip-map pyramid so zoomed-out views of huge photos stay fast and unaliased.

Pure numpy; the canvas wraps each level in a QImage without copying. After a
brush segment only the dirty rectangle is recomposited and propagated up the
pyramid, which is what keeps a stroke on a 24-megapixel photo interactive.
"""

from __future__ import annotations

import numpy as np

from .rect import Rect

MIN_LEVEL_SIZE = 256
CHECKER = 16


def _checker(rect: Rect) -> np.ndarray:
    ys = np.arange(rect.y0, rect.y1)[:, None] // CHECKER
    xs = np.arange(rect.x0, rect.x1)[None, :] // CHECKER
    return np.where((ys + xs) % 2 == 0, np.uint16(102), np.uint16(153))


def composite(image: np.ndarray, mask: np.ndarray | None, rect: Rect,
              color: tuple[int, int, int], opacity: float, out: np.ndarray) -> None:
    """Write ``uint8 (h, w, 4)`` RGBX pixels for ``rect`` into ``out``.

    Transparent pixels show a grey checkerboard; masked pixels are tinted
    with ``color`` at ``opacity * mask / 255``. The RGB->RGBX copy goes
    through OpenCV: numpy's strided copy is about 20x slower on 24 MP.
    """
    import cv2

    src = image[rect.slices]
    if src.shape[2] == 4 and (src[..., 3] != 255).any():
        a = src[..., 3:].astype(np.uint16)
        flat = (src[..., :3].astype(np.uint16) * a + _checker(rect)[..., None] * (255 - a) + 127) // 255
        out[..., :3] = flat
        out[..., 3] = 255
    else:
        cv2.cvtColor(np.ascontiguousarray(src[..., :3]), cv2.COLOR_RGB2RGBA, dst=out)
    if mask is None or opacity <= 0:
        return
    m = mask[rect.slices]
    count = cv2.countNonZero(m)
    if count == 0:
        return
    level = int(round(opacity * 255))
    tint = np.asarray(color, np.uint16)
    if count < m.size // 10:
        # Sparse (scratches, dust): touch only the masked pixels.
        ys, xs = np.nonzero(m)
        w = ((m[ys, xs].astype(np.uint16) * level + 127) // 255)[:, None]
        old = out[ys, xs, :3].astype(np.uint16)
        out[ys, xs, :3] = (old * (255 - w) + tint * w + 127) // 255
        return
    for y in range(0, m.shape[0], 128):  # dense: the same arithmetic, in cache-sized bands
        band = out[y:y + 128, :, :3]
        w = ((m[y:y + 128].astype(np.uint16) * level + 127) // 255)[..., None]
        band[...] = (band.astype(np.uint16) * (255 - w) + tint * w + 127) // 255


class DisplayPyramid:
    """The composited view at full resolution and at every power-of-two reduction.

    Attributes
    ----------
    levels : list of numpy.ndarray
        ``uint8 (h_k, w_k, 4)`` RGBX; level k is 2**k times smaller.
    """

    def __init__(self, image: np.ndarray, mask: np.ndarray | None = None,
                 color: tuple[int, int, int] = (255, 40, 80), opacity: float = 0.5):
        self.image, self.mask = image, mask
        self.color, self.opacity = tuple(color), float(opacity)
        h, w = image.shape[:2]
        self.levels = [np.empty((h, w, 4), np.uint8)]
        while max(h, w) > MIN_LEVEL_SIZE:
            h, w = (h + 1) // 2, (w + 1) // 2
            self.levels.append(np.empty((h, w, 4), np.uint8))
        self.update(None)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    def set_overlay(self, color: tuple[int, int, int], opacity: float) -> None:
        self.color, self.opacity = tuple(color), float(opacity)
        self.update(None)

    def update(self, rect: Rect | None) -> None:
        """Recomposite ``rect`` (everything when None) and refresh coarser levels."""
        rect = Rect.of_array(self.image) if rect is None else rect.clip(*self.size)
        if rect.empty:
            return
        composite(self.image, self.mask, rect, self.color, self.opacity, self.levels[0][rect.slices])
        for k in range(1, len(self.levels)):
            rect = self._downsample(k, rect)

    def _downsample(self, k: int, rect: Rect) -> Rect:
        import cv2

        fine, coarse = self.levels[k - 1], self.levels[k]
        ch, cw = coarse.shape[:2]
        r = Rect(rect.x0 // 2, rect.y0 // 2, (rect.x1 + 1) // 2, (rect.y1 + 1) // 2).clip(cw, ch)
        src = fine[2 * r.y0:2 * r.y1, 2 * r.x0:2 * r.x1]
        # At an odd edge src is one pixel short; INTER_AREA averages what exists.
        coarse[r.slices] = cv2.resize(src, (r.width, r.height), interpolation=cv2.INTER_AREA)
        return r

    def level_for_scale(self, scale: float) -> int:
        """The coarsest level still at least as detailed as the screen at ``scale``."""
        k = 0
        while k + 1 < len(self.levels) and scale <= 0.5 ** (k + 1):
            k += 1
        return k
