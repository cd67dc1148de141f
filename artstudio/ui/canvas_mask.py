"""How the canvas shows the mask: the tint (a chosen colour, or one picked to
stand out on this photo), hidden or alone, and the marching ants.

The outline is traced Qt-free (:mod:`artstudio.core.selection_outline`) at
the zoom's resolution over the part in view, only when the mask, the zoom
level or the traced area changed and no gesture is under way; the path is
built once per trace and drawn in image coordinates with a cosmetic dashed
pen whose offset a timer advances, so the ants crawl without re-tracing.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF, QTransform

from ..core.display import DEFAULT_COLOUR, HIDDEN, MASK_ONLY, OVERLAY, contrasting_colour
from ..core.selection_outline import mask_outline, outline_area, reduction_for_scale

ANTS_MS = 120                     # one dash step per tick: about 8 steps a second
DASH = 4                          # px on, px off
MAX_OUTLINE_POINTS = 200_000      # beyond this (a mask of noise) the ants are not drawn


class MaskDisplay(QObject):
    """The mask's look on one canvas; the canvas asks :meth:`overlay` for the compositing
    and calls :meth:`draw_ants` while painting."""

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas = canvas
        self.chosen = DEFAULT_COLOUR
        self.opacity = 0.5
        self.auto = True                  # the tint is picked per photo until a colour is chosen
        self.visible = True
        self.mask_only = False
        self.ants = True
        self._auto_colour = DEFAULT_COLOUR
        self._key = None                  # what the cached outline was traced for
        self._path: QPainterPath | None = None
        self._dirty = True
        self._phase = 0
        self._timer = QTimer(self)
        self._timer.setInterval(ANTS_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- the tint -------------------------------------------------------------------
    @property
    def colour(self) -> tuple[int, int, int]:
        """The tint in use: the automatic one, or the one chosen."""
        return self._auto_colour if self.auto else self.chosen

    @property
    def view(self) -> str:
        return MASK_ONLY if self.mask_only else (OVERLAY if self.visible else HIDDEN)

    def overlay(self) -> tuple[tuple[int, int, int], float, str]:
        """(colour, opacity, view) for :class:`~artstudio.core.display.DisplayPyramid`."""
        return self.colour, self.opacity, self.view

    def set(self, **state) -> None:
        """Change how the mask shows (``auto``, ``visible``, ``mask_only``, ``ants``: bools) and repaint."""
        for name, value in state.items():
            if name not in ("auto", "visible", "mask_only", "ants"):
                raise TypeError(f"unknown mask display setting '{name}'")
            setattr(self, name, bool(value))
        self.canvas.layers.set_overlay(self.overlay())
        self.canvas.update()

    def set_tint(self, colour, opacity: float) -> None:
        """The colour to use when not automatic, and the opacity."""
        self.chosen, self.opacity = tuple(int(c) for c in colour), float(opacity)

    def follow_photo(self, document) -> None:
        """A photo was opened: pick the automatic tint for it."""
        self._auto_colour = DEFAULT_COLOUR if document is None else contrasting_colour(document.image)
        self.changed()

    def changed(self) -> None:
        """The mask (or the photo under it) changed: trace the outline again when next painted."""
        self._dirty = True

    # -- marching ants ----------------------------------------------------------------
    def draw_ants(self, painter: QPainter, document, view, visible, busy: bool) -> None:
        """The outline of the mask in ``visible`` (image Rect) over ``painter`` at ``view``'s transform.

        ``busy``: a gesture is under way; the last outline is drawn rather than traced again.
        """
        if not (self.ants and self.visible) or document is None or visible.empty:
            self._timer.stop()
            return
        if not busy:
            self._trace(document, view, visible)
        if self._path is None or self._path.isEmpty():
            self._timer.stop()
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setTransform(QTransform(view.scale, 0, 0, view.scale, view.offset.x(), view.offset.y()))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        under, dashes = QPen(QColor(255, 255, 255), 1), QPen(QColor(0, 0, 0), 1)
        dashes.setDashPattern([DASH, DASH])
        dashes.setDashOffset(self._phase)          # black dashes crawling over a white line
        for pen in (under, dashes):
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawPath(self._path)
        painter.restore()
        if not self._timer.isActive():
            self._timer.start()

    def ants_area(self, view) -> QRectF:
        """Widget area the ants cover (to repaint as they crawl)."""
        if self._path is None:
            return QRectF()
        box = self._path.boundingRect()
        tl = view.widget_pos(box.topLeft())
        br = view.widget_pos(box.bottomRight())
        return QRectF(tl, br).adjusted(-2, -2, 2, 2)

    def _trace(self, document, view, visible) -> None:
        factor = reduction_for_scale(view.scale)
        area = outline_area(visible, factor, document.size)
        key = (id(document.mask), factor, area)
        if key == self._key and not self._dirty:
            return
        self._key, self._dirty = key, False
        contours = mask_outline(document.mask, area, factor)
        path = QPainterPath()
        if sum(len(c) for c in contours) <= MAX_OUTLINE_POINTS:
            for points in contours:
                path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in points]))
                path.closeSubpath()
        if self._path is not None:
            # the old outline may lie outside what this paint covers (it was drawn from the cache
            # during a stroke that changed the mask): have it erased too
            self.canvas.update(self.ants_area(view).toAlignedRect())
        self._path = path

    def _on_timer_timeout(self) -> None:
        if not self.canvas.isVisible():
            self._timer.stop()
            return
        self._phase = (self._phase + 1) % (2 * DASH)
        self.canvas.update(self.ants_area(self.canvas.view).toAlignedRect())

    @property
    def crawling(self) -> bool:
        """The ants are animating (tests; the timer stops when there is nothing to show)."""
        return self._timer.isActive()
