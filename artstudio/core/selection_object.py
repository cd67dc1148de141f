"""Object select: drag a rectangle around an object and get its outline.

The offline answer to IOPaint's click-to-select: OpenCV's GrabCut (colour
mixture models + graph cut) on the rectangle and a margin of background
around it, reduced to about :data:`WORK_PIXELS` pixels so a 12 MP photo
answers in about a second, then the edge refined at full size with a guided
filter (He et al. 2010) steered by the photo's own edges. Strokes painted
after it (Shift: part of the object, Alt/Ctrl: not part of it) become
GrabCut's hard foreground/background hints and re-run a few iterations from
the same colour models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .brush import PointerEvent
from .history import Patch
from .rect import Rect
from .selection import ADD, REPLACE, SUBTRACT, SelectionTool, combine, mode_for, write_region
from .tools import Overlay, ToolError

WORK_PIXELS = 300_000
MIN_SIDE = 4


@dataclass
class GrabCutSession:
    """GrabCut's state for one object, kept so strokes can refine it.

    Attributes
    ----------
    crop : Rect
        The image pixels worked on: the rectangle and a margin of background.
    rect : Rect
        The user's rectangle (inside ``crop``).
    scale : float
        Working size / full size.
    small : numpy.ndarray
        ``uint8 (h, w, 3)`` the crop at working size (RGB: the colour models do not care about order).
    labels : numpy.ndarray
        ``uint8 (h, w)`` GrabCut labels (cv2.GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD).
    """

    crop: Rect
    rect: Rect
    scale: float
    small: np.ndarray
    labels: np.ndarray
    models: tuple = field(default_factory=lambda: (np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)))


def _check_rect(rect: Rect, size: tuple[int, int]) -> Rect:
    if rect.width < MIN_SIDE or rect.height < MIN_SIDE:
        raise ToolError(f"Drag a rectangle around the object (at least {MIN_SIDE} px each way).")
    clipped = rect.clip(*size)
    if clipped.empty:
        raise ToolError("The rectangle lies outside the photo: drag it around an object.")
    if clipped.width < MIN_SIDE or clipped.height < MIN_SIDE:
        raise ToolError(f"The rectangle barely overlaps the photo: drag it around an object "
                        f"(at least {MIN_SIDE} px each way inside).")
    return clipped


def start_object(image: np.ndarray, rect: Rect, iterations: int = 5) -> tuple[GrabCutSession, np.ndarray]:
    """Segment the object inside ``rect`` of ``image`` (uint8 RGB(A)).

    Returns
    -------
    (GrabCutSession, numpy.ndarray)
        The session, and ``uint8 (crop.height, crop.width)`` coverage of the
        object over ``session.crop`` (0 outside the rectangle).

    Raises
    ------
    ToolError
        The rectangle is too small, outside the photo, leaves no background
        around the object, or GrabCut finds nothing in it.
    """
    import cv2

    h, w = image.shape[:2]
    rect = _check_rect(rect, (w, h))
    margin = max(16, int(0.1 * max(rect.width, rect.height)))
    crop = rect.grown(margin).clip(w, h)
    scale = min(1.0, math.sqrt(WORK_PIXELS / (crop.width * crop.height)))
    sw, sh = max(round(crop.width * scale), 1), max(round(crop.height * scale), 1)
    small = cv2.resize(np.ascontiguousarray(image[crop.slices][..., :3]), (sw, sh), interpolation=cv2.INTER_AREA)
    sx0, sy0 = int((rect.x0 - crop.x0) * scale), int((rect.y0 - crop.y0) * scale)
    sx1 = min(math.ceil((rect.x1 - crop.x0) * scale), sw)
    sy1 = min(math.ceil((rect.y1 - crop.y0) * scale), sh)
    background = sw * sh - (sx1 - sx0) * (sy1 - sy0)
    if background < max(64, 0.01 * sw * sh):
        raise ToolError("The rectangle covers the whole photo: leave some background around the object.")
    session = GrabCutSession(crop, rect, scale, small, np.zeros((sh, sw), np.uint8))
    bgd, fgd = session.models
    cv2.grabCut(small, session.labels, (sx0, sy0, sx1 - sx0, sy1 - sy0), bgd, fgd, iterations,
                cv2.GC_INIT_WITH_RECT)
    region = _refined(image, session)
    inside = np.zeros_like(region)
    r = Rect(rect.x0 - crop.x0, rect.y0 - crop.y0, rect.x1 - crop.x0, rect.y1 - crop.y0)
    inside[r.slices] = region[r.slices]
    if not inside.any():
        raise ToolError("Object select found nothing standing out in the rectangle: drag it closer around the object.")
    return session, inside


def refine_object(image: np.ndarray, session: GrabCutSession, strokes, iterations: int = 3) -> np.ndarray:
    """Re-run GrabCut with hint strokes; returns the new coverage over ``session.crop``.

    Parameters
    ----------
    strokes : iterable of (points, radius, is_object)
        Points in image coordinates, the stroke's radius in image pixels, and
        whether it marks the object (True) or the background.
    """
    import cv2

    s, crop = session.scale, session.crop
    labels = session.labels.copy()          # the session keeps its labels if this is refused
    for points, radius, is_object in strokes:
        pts = np.round((np.asarray(points, np.float64) - (crop.x0, crop.y0)) * s).astype(np.int32)
        thickness = max(int(round(2 * radius * s)), 1)
        value = cv2.GC_FGD if is_object else cv2.GC_BGD
        cv2.polylines(labels, [pts.reshape(-1, 1, 2)], False, value, thickness)
        for x, y in pts[[0, -1]]:
            cv2.circle(labels, (int(x), int(y)), max(thickness // 2, 1), value, -1)
    if not ((labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)).any():
        raise ToolError("Nothing left as background: mark some background with Alt+drag.")
    if not ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).any():
        raise ToolError("Nothing left as the object: mark part of it with Shift+drag.")
    bgd, fgd = session.models
    cv2.grabCut(session.small, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    session.labels = labels
    return _refined(image, session)


def _refined(image: np.ndarray, session: GrabCutSession) -> np.ndarray:
    """GrabCut's working-size labels as full-size coverage, the edge snapped to the photo's edges."""
    import cv2

    crop = session.crop
    fg = ((session.labels == cv2.GC_FGD) | (session.labels == cv2.GC_PR_FGD)).astype(np.float32)
    p = cv2.resize(fg, (crop.width, crop.height), interpolation=cv2.INTER_LINEAR)
    if session.scale >= 1.0:
        return np.rint(p * 255).astype(np.uint8)
    grey = cv2.cvtColor(np.ascontiguousarray(image[crop.slices][..., :3]), cv2.COLOR_RGB2GRAY)
    radius = max(2, math.ceil(1.5 / session.scale))
    q = guided_filter(grey.astype(np.float32) * (1 / 255), p, radius, 1e-3)
    # A steeper ramp around 0.5: the guided result is soft over the whole working pixel.
    return cv2.convertScaleAbs(cv2.max(q * 3.0 - 1.0, 0.0), alpha=255.0)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter: ``src`` smoothed but following the edges of ``guide``.

    Both ``float32 (H, W)`` in [0, 1]; ``radius`` in pixels; returns ``float32 (H, W)``.
    """
    import cv2

    def box(a):
        return cv2.boxFilter(a, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(guide), box(src)
    var_i = box(guide * guide) - mean_i * mean_i
    cov_ip = box(guide * src) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box(a) * guide + box(b)


@dataclass
class ObjectSelectTool(SelectionTool):
    """Drag a rectangle around an object; Shift+drag / Alt+drag strokes then refine it."""

    key = "object_select"
    name = "Object select"
    iterations: int = 5
    stroke_radius: float = 0.0          # image px; 0: 1% of the object's crop diagonal
    _session: GrabCutSession | None = field(default=None, init=False, repr=False)
    _base: np.ndarray | None = field(default=None, init=False, repr=False)
    _after: np.ndarray | None = field(default=None, init=False, repr=False)
    _session_mode: str = field(default=REPLACE, init=False, repr=False)
    _start: tuple[float, float] | None = field(default=None, init=False, repr=False)
    _end: tuple[float, float] = field(default=(0.0, 0.0), init=False, repr=False)
    _stroke: list = field(default_factory=list, init=False, repr=False)
    _stroke_object: bool = field(default=True, init=False, repr=False)
    _mode: str = field(default=REPLACE, init=False, repr=False)
    _owner: object = field(default=None, init=False, repr=False)      # the document the session is of

    def press(self, document, event: PointerEvent) -> Rect | None:
        self._mode = mode_for(event, self.mode)
        # Only a held modifier makes a stroke (a default mode of Add still drags a new rectangle).
        held = mode_for(event, REPLACE)
        if held in (ADD, SUBTRACT) and self._refinable(document, event):
            self._stroke, self._stroke_object = [(event.x, event.y)], held == ADD
        else:
            self._start = self._end = (event.x, event.y)
        return None

    def _refinable(self, document, event: PointerEvent) -> bool:
        s = self._session
        if s is None or self._owner is not document:
            return False
        if not (s.crop.x0 <= event.x < s.crop.x1 and s.crop.y0 <= event.y < s.crop.y1):
            return False
        # Refining overwrites the crop: only while the mask there is still what this tool made.
        return s.crop.x1 <= document.size[0] and s.crop.y1 <= document.size[1] \
            and np.array_equal(document.mask[s.crop.slices], self._after)

    def drag(self, document, event: PointerEvent) -> Rect | None:
        if self._stroke:
            self._stroke.append((event.x, event.y))
        elif self._start is not None:
            self._end = (event.x, event.y)
        return None

    def release(self, document, event: PointerEvent) -> Patch | None:
        self.drag(document, event)
        if self._stroke:
            return self._refine(document)
        if self._start is None:
            return None
        (x0, y0), (x1, y1) = self._start, self._end
        self._start = None
        rect = Rect(math.floor(min(x0, x1)), math.floor(min(y0, y1)),
                    math.ceil(max(x0, x1)), math.ceil(max(y0, y1)))
        session, region = start_object(document.image, rect, self.iterations)
        crop = session.crop
        before = document.mask[crop.slices].copy()
        patch = self.select(document, region, crop, self._mode)
        self._session, self._session_mode, self._owner = session, self._mode, document
        self._base = np.zeros_like(before) if self._mode == REPLACE else before
        self._after = document.mask[crop.slices].copy()
        return patch

    def _refine(self, document) -> Patch | None:
        import cv2

        points, self._stroke = self._stroke, []
        s = self._session
        radius = self.stroke_radius or max(2.0, 0.01 * math.hypot(s.crop.width, s.crop.height))
        region = refine_object(document.image, s, [(points, radius, self._stroke_object)])
        if self.feather > 0:
            region = cv2.GaussianBlur(region, (0, 0), self.feather)
        new = combine(self._base, region, self._session_mode)
        label = f"{self.name}: refine ({'add' if self._stroke_object else 'subtract'})"
        patch = write_region(document, new, s.crop, label)
        self._after = new
        return patch

    def cancel(self, document) -> Rect | None:
        self._start, self._stroke = None, []
        return None

    @property
    def busy(self) -> bool:
        return self._start is not None or bool(self._stroke)

    @property
    def hint(self) -> str:
        return ("Drag a rectangle around an object. Then Shift+drag over parts it missed, "
                "Alt/Ctrl+drag over parts that are not the object.")

    def overlay(self) -> Overlay:
        if self._stroke:
            return Overlay(paths=(tuple(self._stroke),), dashed=not self._stroke_object)
        if self._start is None:
            return Overlay()
        (x0, y0), (x1, y1) = self._start, self._end
        return Overlay(paths=(((x0, y0), (x1, y0), (x1, y1), (x0, y1)),), closed=True,
                       dashed=self._mode == SUBTRACT)


__all__ = ["GrabCutSession", "ObjectSelectTool", "guided_filter", "refine_object", "start_object"]
