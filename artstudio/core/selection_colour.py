"""Colour selections: the magic wand and colour range, in CIELAB.

Distances are measured in CIELAB (OpenCV's 8-bit encoding: L scaled by
255/100, a and b offset by 128), so a tolerance means about the same visible
difference in shadows, skies and skin. The photo's Lab copy is computed once
per document and kept up to date by rectangle as the image changes (a fill,
a clone), which is what lets a wand click on 24 MP answer in tens of ms.

- Magic wand: pixels within ``tolerance`` of the clicked colour in each of
  L (in ΔE units), a and b (a box in Lab; OpenCV's flood fill and
  ``inRange`` test exactly that), either connected to the click (contiguous)
  or anywhere in the photo (global).
- Colour range: a soft mask of every pixel near the picked colour, fully
  selected within half the ``fuzziness`` (Euclidean ΔE), fading to nothing at it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from .brush import PointerEvent
from .history import Patch
from .rect import Rect
from .selection import SelectionTool, mode_for
from .tools import ToolError

L_SCALE = 255 / 100             # OpenCV 8-bit L per ΔE unit


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """``uint8 (H, W, 3|4)`` RGB(A) -> ``uint8 (H, W, 3)`` 8-bit CIELAB (OpenCV encoding)."""
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2Lab)


class LabCache:
    """A document's image in Lab, recomputed by rectangle as the image changes.

    :meth:`warm` converts the photo on a background thread (OpenCV releases
    the GIL) when a colour tool is chosen, so the first click does not pay
    the 24 MP conversion (about 0.15 s on 2 cores); :meth:`get` waits for it.
    """

    def __init__(self):
        self._document = None
        self._lab: np.ndarray | None = None
        self._warming: tuple[threading.Thread, np.ndarray, dict] | None = None
        self._pending: list[Rect] = []      # image changes made while warming

    def _follow(self, document) -> None:
        if document is self._document:
            return
        if self._document is not None:
            self._document.events.image_changed.disconnect(self._on_image_changed)
            self._document.events.replaced.disconnect(self._on_replaced)
        self._document, self._lab, self._warming, self._pending = document, None, None, []
        document.events.image_changed.connect(self._on_image_changed)
        document.events.replaced.connect(self._on_replaced)

    def warm(self, document) -> None:
        """Start converting ``document``'s image unless it is converted (or converting) already."""
        self._follow(document)
        if self._lab is not None or self._warming is not None:
            return
        image, result = document.image, {}
        thread = threading.Thread(target=lambda: result.update(lab=to_lab(image)), name="lab-cache", daemon=True)
        thread.start()
        self._warming = (thread, image, result)

    def get(self, document) -> np.ndarray:
        """``uint8 (H, W, 3)`` Lab of ``document.image``, as it is now."""
        self._follow(document)
        if self._warming is not None:
            thread, image, result = self._warming
            thread.join()
            self._warming = None
            if image is document.image and "lab" in result:
                self._lab = result["lab"]
                for rect in self._pending:      # pixels changed under the thread
                    self._on_image_changed(rect)
            self._pending = []
        if self._lab is None or self._lab.shape[:2] != document.image.shape[:2]:
            self._lab = to_lab(document.image)
        return self._lab

    def _on_image_changed(self, rect: Rect) -> None:
        if self._warming is not None:
            self._pending.append(rect)
        elif self._lab is not None:
            rect = rect.clip(*self._document.size)
            if not rect.empty:
                self._lab[rect.slices] = to_lab(self._document.image[rect.slices])

    def _on_replaced(self) -> None:
        self._lab, self._warming, self._pending = None, None, []


#: One Lab copy per process (72 MB at 24 MP): the wand and colour range share it.
SHARED_LAB = LabCache()


def _seed(document, event: PointerEvent, what: str) -> tuple[int, int]:
    x, y = int(np.floor(event.x)), int(np.floor(event.y))
    w, h = document.size
    if not (0 <= x < w and 0 <= y < h):
        raise ToolError(f"Click inside the photo to pick the colour {what}.")
    return x, y


def wand_region(lab: np.ndarray, x: int, y: int, tolerance: float, contiguous: bool) -> tuple[np.ndarray, Rect]:
    """The magic wand's selection from pixel (x, y) of a Lab image.

    Parameters
    ----------
    lab : numpy.ndarray
        ``uint8 (H, W, 3)`` from :func:`to_lab`.
    tolerance : float
        Largest difference kept, in ΔE units per channel (0 = that exact colour).
    contiguous : bool
        Only pixels connected (4-neighbours) to (x, y); otherwise all in the photo.

    Returns
    -------
    (numpy.ndarray, Rect)
        ``uint8`` coverage (0 or 255) over its bounding rectangle.
    """
    import cv2

    t = max(float(tolerance), 0.0)
    tol = np.array([min(t * L_SCALE, 255), min(t, 255), min(t, 255)])
    seed = lab[y, x].astype(np.float64)
    if contiguous:
        h, w = lab.shape[:2]
        flood = np.zeros((h + 2, w + 2), np.uint8)
        flags = 4 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
        _, _, _, (rx, ry, rw, rh) = cv2.floodFill(lab, flood, (x, y), (0, 0, 0), tuple(tol), tuple(tol), flags)
        rect = Rect(rx, ry, rx + rw, ry + rh)
        return flood[1 + ry:1 + ry + rh, 1 + rx:1 + rx + rw], rect
    lo, hi = np.clip(seed - tol, 0, 255), np.clip(seed + tol, 0, 255)
    selected = cv2.inRange(lab, lo, hi)
    rx, ry, rw, rh = cv2.boundingRect(selected)
    rect = Rect(rx, ry, rx + rw, ry + rh)
    return selected[rect.slices], rect


def colour_range_region(lab: np.ndarray, colour: np.ndarray, fuzziness: float,
                        band: int = 128) -> tuple[np.ndarray, Rect]:
    """A soft selection of the pixels near ``colour`` (Lab, 3 values in OpenCV's encoding).

    Coverage is 255 within ``fuzziness / 2`` ΔE of the colour and falls
    linearly to 0 at ``fuzziness``. Worked in bands of ``band`` rows so the
    float temporaries stay in cache (a whole 24 MP photo at once needs 300 MB).
    Returns (coverage, its bounding rectangle).
    """
    import cv2

    fuzz = max(float(fuzziness), 1.0)
    levels = np.arange(256, dtype=np.float32)
    lut = np.stack([(levels / L_SCALE) ** 2, levels ** 2, levels ** 2], axis=-1)[None]
    ones = np.ones((1, 3), np.float32)
    scalar = (*map(float, colour), 0.0)
    coverage = np.empty(lab.shape[:2], np.uint8)
    for y in range(0, lab.shape[0], band):
        distance = cv2.sqrt(cv2.transform(cv2.LUT(cv2.absdiff(lab[y:y + band], scalar), lut), ones))
        # (fuzz - d) * 255 / (fuzz / 2), clamped to [0, 255] by the saturating conversion.
        coverage[y:y + band] = cv2.convertScaleAbs(cv2.max(cv2.subtract(fuzz, distance), 0.0), alpha=510.0 / fuzz)
    rx, ry, rw, rh = cv2.boundingRect(coverage)
    rect = Rect(rx, ry, rx + rw, ry + rh)
    return coverage[rect.slices], rect


@dataclass
class _ClickSelectTool(SelectionTool):
    """A selection made by one click, on the release (so the canvas repaints once)."""

    _click: PointerEvent | None = field(default=None, init=False, repr=False)
    _lab: LabCache = field(default_factory=lambda: SHARED_LAB, init=False, repr=False)

    def prepare(self, document) -> None:
        """The tool was chosen (or a photo opened under it): convert the photo to Lab in the background."""
        self._lab.warm(document)

    def press(self, document, event: PointerEvent) -> Rect | None:
        self._click = event
        return None

    def release(self, document, event: PointerEvent) -> Patch | None:
        click, self._click = self._click, None
        if click is None:
            return None
        return self.click(document, click)

    def click(self, document, event: PointerEvent) -> Patch | None:
        raise NotImplementedError


@dataclass
class MagicWandTool(_ClickSelectTool):
    """Click a colour: select what is within ``tolerance`` of it (contiguous or global)."""

    key = "wand"
    name = "Magic wand"
    tolerance: float = 16.0
    contiguous: bool = True

    def click(self, document, event: PointerEvent) -> Patch | None:
        x, y = _seed(document, event, "to select")
        region, rect = wand_region(self._lab.get(document), x, y, self.tolerance, self.contiguous)
        return self.select(document, region, rect, mode_for(event, self.mode))

    @property
    def hint(self) -> str:
        where = "touching the click" if self.contiguous else "anywhere in the photo"
        return (f"Click a colour: selects similar pixels {where} (tolerance {self.tolerance:g} ΔE). "
                f"{self.mode_hint()}")


@dataclass
class ColourRangeTool(_ClickSelectTool):
    """Click a colour: a soft selection of every pixel near it (the 5x5 average around the click)."""

    key = "colour_range"
    name = "Colour range"
    fuzziness: float = 40.0

    def click(self, document, event: PointerEvent) -> Patch | None:
        x, y = _seed(document, event, "range")
        lab = self._lab.get(document)
        patch = lab[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3].reshape(-1, 3)
        region, rect = colour_range_region(lab, patch.mean(axis=0), self.fuzziness)
        return self.select(document, region, rect, mode_for(event, self.mode))

    @property
    def hint(self) -> str:
        return (f"Click a colour: selects every pixel near it, softly (fuzziness {self.fuzziness:g} ΔE). "
                f"{self.mode_hint()}")


__all__ = ["SHARED_LAB", "ColourRangeTool", "LabCache", "MagicWandTool", "colour_range_region", "to_lab", "wand_region"]
