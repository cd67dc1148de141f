"""Canvas tools as Qt-free objects.

The canvas widget translates Qt mouse, tablet and key events into
:class:`~artstudio.core.brush.PointerEvent` values in image coordinates and
hands them to the active :class:`Tool`; the tool edits the document (one
undoable :meth:`~artstudio.core.document.Document.begin_edit` /
:meth:`~artstudio.core.document.Document.end_edit` per gesture) and describes
what to draw over the image as an :class:`Overlay`. Tests drive tools with
fake events and assert on the document's pixels.

A tool module defines its tool class (``core/tools.py``: the mask brush;
others beside it); the UI's tool bar (``ui/tool_bar.py``) lists the tools
with their labels, shortcuts and option widgets.

A tool refuses an impossible action (a clone source outside the image, a
polygon of two points) by raising :class:`ToolError` with a one-line message;
the canvas shows it in the status bar and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .brush import ERASE, PAINT, Brush, PointerEvent
from .history import Patch
from .rect import Rect


class ToolError(ValueError):
    """An action the tool cannot do; the message is one line for the status bar."""


@dataclass(frozen=True)
class Overlay:
    """What a tool draws over the image, in image coordinates.

    Attributes
    ----------
    paths : tuple of tuple of (x, y)
        Polylines (a lasso in progress, a rectangle's outline).
    closed : bool
        Whether each path is drawn closed.
    crosshairs : tuple of (x, y)
        Points marked with a crosshair (a clone source).
    circle : float
        Radius in image pixels of a brush outline drawn around the pointer; 0 for none.
    dashed : bool
        Draw the paths and the circle dashed (an eraser, a subtracting selection).
    """

    paths: tuple[tuple[tuple[float, float], ...], ...] = ()
    closed: bool = False
    crosshairs: tuple[tuple[float, float], ...] = ()
    circle: float = 0.0
    dashed: bool = False

    def bounds(self, pointer: tuple[float, float] | None = None) -> Rect | None:
        """Image pixels the overlay covers (around ``pointer`` for the circle); None when empty."""
        xs, ys = [], []
        for path in self.paths:
            xs += [p[0] for p in path]
            ys += [p[1] for p in path]
        for x, y in self.crosshairs:
            xs += [x - 12, x + 12]
            ys += [y - 12, y + 12]
        if self.circle and pointer is not None:
            xs += [pointer[0] - self.circle, pointer[0] + self.circle]
            ys += [pointer[1] - self.circle, pointer[1] + self.circle]
        if not xs:
            return None
        return Rect(int(min(xs)) - 2, int(min(ys)) - 2, int(max(xs)) + 3, int(max(ys)) + 3)


@dataclass
class Tool:
    """Base of the canvas tools: every method is optional.

    Each returns the image rectangle whose pixels (image or a mask layer)
    changed, or None; :meth:`release` and :meth:`finish` return the gesture's
    undo patch when it ended one.
    """

    key = "tool"
    #: The tool paints with :attr:`brush` ([ and ] resize it, X swaps paint/erase).
    uses_brush = False
    brush: Brush = field(default_factory=Brush)

    def press(self, document, event: PointerEvent) -> Rect | None:
        return None

    def drag(self, document, event: PointerEvent) -> Rect | None:
        """The pointer moved with the button held."""
        return None

    def hover(self, document, event: PointerEvent) -> None:
        """The pointer moved with no button held (e.g. a polygon's rubber band)."""

    def leave(self) -> None:
        """The pointer left the canvas (with no button held)."""

    def release(self, document, event: PointerEvent) -> Patch | None:
        return None

    def writes_image(self, event: PointerEvent) -> bool:
        """Whether pressing with ``event`` starts a stroke on the photo's pixels (not a mask
        layer): the canvas then lets its owner settle a result being compared first."""
        return False

    def finish(self, document) -> Patch | None:
        """Enter (or a double-click): complete a multi-click gesture."""
        return None

    def cancel(self, document) -> Rect | None:
        """Esc: drop a gesture in progress; nothing is left changed."""
        return None

    @property
    def busy(self) -> bool:
        """A multi-click gesture is in progress (Esc belongs to the tool, not to the job)."""
        return False

    @property
    def hint(self) -> str:
        """Status-bar text while the tool is active (what to click, which keys modify it)."""
        return ""

    def overlay(self) -> Overlay:
        return Overlay(circle=self.brush.size * 0.5 if self.uses_brush else 0.0,
                       dashed=self.uses_brush and self.brush.mode == ERASE)


@dataclass
class MaskBrushTool(Tool):
    """The round brush painting (or erasing) a mask layer: the fill mask, or a sampling area."""

    key = "brush"
    uses_brush = True
    layer: str = "mask"

    def press(self, document, event: PointerEvent) -> Rect | None:
        return document.begin_stroke(event, self.brush, self.layer)

    def drag(self, document, event: PointerEvent) -> Rect | None:
        return document.continue_stroke(event)

    def release(self, document, event: PointerEvent) -> Patch | None:
        return document.end_stroke()

    @property
    def hint(self) -> str:
        what = {"mask": "the fill mask", "sample_from": "where a texture fill copies from",
                "sample_never": "where a texture fill must never copy from"}[self.layer]
        verb = "Erasing" if self.brush.mode == ERASE else "Painting"
        return f"{verb} {what}. X swaps brush/eraser, [ ] resize, Space+drag pans."


def with_mode(brush: Brush, mode: str) -> Brush:
    """``brush`` painting (PAINT) or erasing (ERASE)."""
    return Brush(brush.size, brush.hardness, mode, brush.pressure_size)


__all__ = ["ERASE", "PAINT", "MaskBrushTool", "Overlay", "Tool", "ToolError", "with_mode"]
