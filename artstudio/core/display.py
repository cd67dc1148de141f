"""What the canvas shows: the image composited with the mask overlay, as a
mip-map pyramid so zoomed-out views of huge photos stay fast and unaliased.

Pure numpy; the canvas wraps each level in a QImage without copying. After a
brush segment only the dirty rectangle is recomposited and propagated up the
pyramid, which is what keeps a stroke on a 24-megapixel photo interactive.

The mask shows in one of three :data:`VIEWS`: tinted over the photo (the
default), hidden, or alone (white = fill, black = keep), and
:func:`contrasting_colour` picks a tint that stands out on a given photo
(a red overlay vanishes on a red saucer).
"""

from __future__ import annotations

import numpy as np

from .rect import Rect

MIN_LEVEL_SIZE = 256
CHECKER = 16
OVERLAY, HIDDEN, MASK_ONLY = "overlay", "hidden", "mask"
VIEWS = (OVERLAY, HIDDEN, MASK_ONLY)
DEFAULT_COLOUR = (255, 40, 80)


def _checker(rect: Rect) -> np.ndarray:
    ys = np.arange(rect.y0, rect.y1)[:, None] // CHECKER
    xs = np.arange(rect.x0, rect.x1)[None, :] // CHECKER
    return np.where((ys + xs) % 2 == 0, np.uint16(102), np.uint16(153))


def composite(image: np.ndarray, mask: np.ndarray | None, rect: Rect,
              color: tuple[int, int, int], opacity: float, out: np.ndarray, view: str = OVERLAY) -> None:
    """Write ``uint8 (h, w, 4)`` RGBX pixels for ``rect`` into ``out``.

    Transparent pixels show a grey checkerboard; masked pixels are tinted
    with ``color`` at ``opacity * mask / 255``. The RGB->RGBX copy goes
    through OpenCV: numpy's strided copy is about 20x slower on 24 MP.
    ``view``: :data:`OVERLAY` (that), :data:`HIDDEN` (the photo alone) or
    :data:`MASK_ONLY` (the mask as grey levels, no photo).
    """
    import cv2

    if view == MASK_ONLY and mask is not None:
        cv2.cvtColor(np.ascontiguousarray(mask[rect.slices]), cv2.COLOR_GRAY2RGBA, dst=out)
        out[..., 3] = 255
        return
    src = image[rect.slices]
    if src.shape[2] == 4 and (src[..., 3] != 255).any():
        a = src[..., 3:].astype(np.uint16)
        flat = (src[..., :3].astype(np.uint16) * a + _checker(rect)[..., None] * (255 - a) + 127) // 255
        out[..., :3] = flat
        out[..., 3] = 255
    else:
        # A 3-channel region is a plain ROI OpenCV reads as it is; only RGBA needs the copy.
        rgb = src if src.shape[2] == 3 else np.ascontiguousarray(src[..., :3])
        cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA, dst=out)
    if mask is None or opacity <= 0 or view == HIDDEN:
        return
    m = mask[rect.slices]
    count = cv2.countNonZero(m)
    if count == 0:
        return
    level = int(round(opacity * 255))
    tint = np.asarray(color, np.uint16)
    if count < m.size // 10:
        # Sparse (scratches, dust): touch only the masked pixels.
        _tint_pixels(out, m, _nonzero(m), level, tint)
        return
    # Dense, in cache-sized bands. A fully selected pixel's tint depends on its value
    # alone: a per-channel table (OpenCV's LUT, 10x numpy's arithmetic on a lasso round
    # half a 24 MP photo); the soft ones (edges, feather) get the arithmetic.
    values = np.arange(256, dtype=np.uint16)[:, None]
    table = np.concatenate([(values * (255 - level) + tint[None, :] * level + 127) // 255, values], 1)
    table = table.astype(np.uint8)[None]
    for y in range(0, m.shape[0], 128):
        band, mb = out[y:y + 128], m[y:y + 128]
        full = compare_scalar(mb, 255, cv2.CMP_EQ)
        soft = cv2.countNonZero(mb) - cv2.countNonZero(full)
        if soft > mb.size // 8:
            w = ((mb.astype(np.uint16) * level + 127) // 255)[..., None]
            band[..., :3] = (band[..., :3].astype(np.uint16) * (255 - w) + tint * w + 127) // 255
            continue
        cv2.copyTo(cv2.LUT(band, table), full, band)
        if soft:
            _tint_pixels(band, mb, _nonzero(cv2.inRange(mb, 1, 254)), level, tint)


def compare_scalar(image: np.ndarray, value: int, op: int) -> np.ndarray:
    """``cv2.compare(image, value, op)`` for any size: OpenCV's Python binding reads a 1x1
    array as a scalar itself (the result came back 4 x 1), so that one compares to an array."""
    import cv2

    if image.size == 1:
        return cv2.compare(image, np.full_like(image, value), op)
    return cv2.compare(image, value, op)


def _nonzero(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ys, xs) of the non-zero pixels of a uint8 image (OpenCV's scan: 5x numpy's on a sparse mask)."""
    import cv2

    found = cv2.findNonZero(m)
    if found is None:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    found = found.reshape(-1, 2)
    return found[:, 1], found[:, 0]


def _tint_pixels(out: np.ndarray, m: np.ndarray, where, level: int, tint: np.ndarray) -> None:
    """Tint the pixels ``where`` = (ys, xs) of ``out`` by their mask values ``m`` (the reference arithmetic)."""
    ys, xs = where
    w = ((m[ys, xs].astype(np.uint16) * level + 127) // 255)[:, None]
    old = out[ys, xs, :3].astype(np.uint16)
    out[ys, xs, :3] = (old * (255 - w) + tint * w + 127) // 255


class DisplayPyramid:
    """The composited view at full resolution and at every power-of-two reduction.

    Attributes
    ----------
    levels : list of numpy.ndarray
        ``uint8 (h_k, w_k, 4)`` RGBX; level k is 2**k times smaller.
    """

    def __init__(self, image: np.ndarray, mask: np.ndarray | None = None,
                 color: tuple[int, int, int] = DEFAULT_COLOUR, opacity: float = 0.5, view: str = OVERLAY):
        self.image, self.mask = image, mask
        self.color, self.opacity, self.view = tuple(color), float(opacity), view
        h, w = image.shape[:2]
        self.levels = [np.empty((h, w, 4), np.uint8)]
        while max(h, w) > MIN_LEVEL_SIZE:
            h, w = (h + 1) // 2, (w + 1) // 2
            self.levels.append(np.empty((h, w, 4), np.uint8))
        self.update(None)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    def set_overlay(self, color: tuple[int, int, int], opacity: float, view: str = OVERLAY) -> None:
        """Tint colour, opacity and view (one of :data:`VIEWS`); recomposites only if one changed."""
        if view not in VIEWS:
            raise ValueError(f"Unknown mask view '{view}'.")
        new = (tuple(color), float(opacity), view)
        if new != (self.color, self.opacity, self.view):
            self.color, self.opacity, self.view = new
            self.update(None)

    def update(self, rect: Rect | None) -> None:
        """Recomposite ``rect`` (everything when None) and refresh coarser levels."""
        rect = Rect.of_array(self.image) if rect is None else rect.clip(*self.size)
        if rect.empty:
            return
        composite(self.image, self.mask, rect, self.color, self.opacity, self.levels[0][rect.slices], self.view)
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


def contrasting_colour(image: np.ndarray, samples: int = 65536) -> tuple[int, int, int]:
    """A saturated overlay colour whose hue is the farthest from the photo's dominant hues.

    Parameters
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A); about ``samples`` pixels of it are read.

    Returns
    -------
    (int, int, int)
        RGB at full saturation and value. Each pixel votes for its hue with
        weight saturation x value (greys say nothing about hue), its vote
        fading out over 90 degrees either way; the hue with the least vote
        wins. A photo with almost no colour gets :data:`DEFAULT_COLOUR`.
    """
    import cv2

    h, w = image.shape[:2]
    step = max(1, int(np.sqrt(h * w / samples)))
    small = np.ascontiguousarray(image[::step, ::step, :3])
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3).astype(np.float32)
    weight = hsv[:, 1] * hsv[:, 2] / (255.0 * 255.0)
    if weight.sum() < 0.02 * len(weight):
        return DEFAULT_COLOUR
    votes = np.bincount(hsv[:, 0].astype(np.int64), weights=weight, minlength=256)[:256]
    # Each vote spreads over +-90 degrees, fading linearly: the least covered hue is the farthest from all.
    reach = 64
    kernel = 1.0 - np.abs(np.arange(-reach, reach + 1)) / (reach + 1)
    spread = np.convolve(np.concatenate([votes[-reach:], votes, votes[:reach]]), kernel, "valid")
    # Among equally empty hues, the one opposite the busiest wins.
    apart = np.abs((np.arange(256) - int(np.argmax(spread)) + 128) % 256 - 128)
    hue = int(np.argmin(spread / spread.max() - 1e-3 * apart / 128))
    rgb = cv2.cvtColor(np.array([[[hue, 255, 255]]], np.uint8), cv2.COLOR_HSV2RGB_FULL)[0, 0]
    return int(rgb[0]), int(rgb[1]), int(rgb[2])
