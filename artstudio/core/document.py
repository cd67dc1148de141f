"""The open photo: image, mask, undo history and a proposed (not yet applied) result."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .brush import Brush, PointerEvent, paint_segment
from .events import EventGroup
from .history import History, Patch, Swap, TileRecorder, diff_patch
from .rect import Rect


DOCUMENT_EVENTS = ("mask_changed", "image_changed", "sampling_changed", "proposal_changed", "replaced", "saved")
# The layers a tool may edit, beside the image: the fill mask and the two
# sampling-area masks a texture fill reads ("sample from here", "never sample").
MASK_LAYERS = ("mask", "sample_from", "sample_never")


class Document:
    """One image being restored.

    Attributes
    ----------
    image : numpy.ndarray
        ``uint8 (H, W, 3|4)`` RGB(A).
    mask : numpy.ndarray
        ``uint8 (H, W)``; 0 = keep, 255 = fill.
    sample_from, sample_never : numpy.ndarray
        ``uint8 (H, W)``; where a texture fill may copy from (all zero: a band
        around the hole, its default) and where it must never copy from.
    proposal : numpy.ndarray or None
        A fill result shown for comparison until applied or reverted.
    path : Path or None
        The file the image came from (guarded against silent overwrite).
    events : EventGroup
        Told after each change, so views repaint only what changed:

        - ``mask_changed(rect)``: mask pixels inside ``rect`` (a
          :class:`~artstudio.core.rect.Rect`) changed, by a brush segment, a
          whole-mask edit, or an undo/redo.
        - ``image_changed(rect)``: image pixels inside ``rect`` changed (an
          applied fill, a clone or heal dab, an undo/redo).
        - ``sampling_changed(rect)``: a sampling-area mask changed there.
        - ``proposal_changed(proposal)``: a result to compare was set or
          cleared (None).
        - ``replaced()``: image and mask were replaced whole, possibly with
          another size (an upscale, or its undo/redo).
        - ``saved(path)``: the image was written to ``path``, now its file.
    """

    def __init__(self, image: np.ndarray, mask: np.ndarray | None = None,
                 path: Path | None = None, history: History | None = None):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"image must be uint8 (H, W, 3|4), got {image.dtype} {image.shape}")
        self.image = np.ascontiguousarray(image)
        h, w = image.shape[:2]
        if mask is None:
            mask = np.zeros((h, w), np.uint8)
        if mask.shape != (h, w) or mask.dtype != np.uint8:
            raise ValueError(f"mask must be uint8 {(h, w)}, got {mask.dtype} {mask.shape}")
        self.mask = np.ascontiguousarray(mask)
        self.sample_from = np.zeros((h, w), np.uint8)
        self.sample_never = np.zeros((h, w), np.uint8)
        self.path = Path(path) if path is not None else None
        self.history = history or History()
        # Masks are autosaved per photo: only the other steps make the file out of date.
        self.history.free_layers = frozenset(MASK_LAYERS)
        self.proposal: np.ndarray | None = None
        self._stroke: TileRecorder | None = None
        self._last: PointerEvent | None = None
        self._brush: Brush | None = None
        self.events = EventGroup(*DOCUMENT_EVENTS)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    @property
    def modified(self) -> bool:
        """Whether the pixels differ from the file's (see :attr:`History.modified`)."""
        return self.history.modified

    @modified.setter
    def modified(self, value: bool) -> None:  # True: no step leads back to the file (a recovered session)
        self.history.mark_modified() if value else self.history.mark_saved()

    def layer(self, name: str) -> np.ndarray:
        """The pixels of layer ``name``: ``"image"`` or one of :data:`MASK_LAYERS`."""
        if name != "image" and name not in MASK_LAYERS:
            raise ValueError(f"Unknown layer '{name}'.")
        return getattr(self, name)

    def _changed(self, layer: str, rect: Rect) -> None:
        event = {"image": "image_changed", "mask": "mask_changed"}.get(layer, "sampling_changed")
        getattr(self.events, event).emit(rect)

    # -- edits by a tool: the tiles it touches become one undo step ------------------
    def begin_edit(self, layer: str, label: str) -> None:
        """Start one undoable edit of ``layer`` (a brush stroke, a clone stroke, a selection)."""
        if self._stroke is not None:
            self.end_edit()
        self._stroke = TileRecorder(layer, self.layer(layer), label)

    def touch(self, rect: Rect) -> Rect | None:
        """Keep the old pixels of ``rect`` (clipped) before the tool writes there; None if outside."""
        if self._stroke is None:
            raise RuntimeError("touch() outside begin_edit()/end_edit()")
        rect = rect.clip(*self.size)
        if rect.empty:
            return None
        self._stroke.touch(rect)
        return rect

    def changed(self, rect: Rect | None) -> Rect | None:
        """The tool wrote ``rect`` of the layer being edited: tell the views."""
        if rect is not None and self._stroke is not None:
            self._changed(self._stroke.layer, rect)
        return rect

    def end_edit(self) -> Patch | None:
        """Finish the edit: its patch (the changed tiles) is on the undo stack, or None if nothing changed."""
        if self._stroke is None:
            return None
        patch = self._stroke.finish()
        self._stroke = self._last = self._brush = None
        self._record(patch)
        return patch

    @property
    def editing(self) -> bool:
        return self._stroke is not None

    # -- painting a mask layer with the round brush ------------------------------------
    def begin_stroke(self, event: PointerEvent, brush: Brush, layer: str = "mask") -> Rect | None:
        label = {"mask": "Paint mask", "sample_from": "Paint sampling area",
                 "sample_never": "Paint excluded area"}[layer]
        self.begin_edit(layer, "Erase" if brush.mode == "erase" else label)
        self._brush, self._last = brush, event
        return self._paint(event, event)

    def continue_stroke(self, event: PointerEvent) -> Rect | None:
        if self._stroke is None or self._brush is None:
            return None
        last, self._last = self._last, event
        return self._paint(last, event)

    def end_stroke(self) -> Patch | None:
        return self.end_edit()

    def _paint(self, a: PointerEvent, b: PointerEvent) -> Rect | None:
        from .brush import segment_bounds

        if self.touch(segment_bounds(a, b, self._brush)) is None:
            return None
        return self.changed(paint_segment(self.layer(self._stroke.layer), a, b, self._brush))

    # -- whole-layer edits ----------------------------------------------------
    def set_mask(self, new_mask: np.ndarray, label: str) -> Patch | None:
        """Replace the mask as one undoable step; returns the patch (None if unchanged)."""
        return self.set_layer("mask", new_mask, label)

    def set_layer(self, layer: str, pixels: np.ndarray, label: str) -> Patch | None:
        """Replace a mask layer (or the image) as one undoable step; returns the patch (None if unchanged)."""
        target = self.layer(layer)
        if pixels.shape != target.shape:
            raise ValueError(f"{layer} must be {target.shape}, got {pixels.shape}")
        patch = diff_patch(layer, target, pixels.astype(np.uint8, copy=False), label)
        if patch is not None:
            patch.write(target, "after")
            self._record(patch)
            self._changed(layer, patch.rect)
        return patch

    def set_proposal(self, result: np.ndarray | None) -> None:
        """A result to compare; another size than the image means an upscale."""
        if result is not None and (result.ndim != 3 or result.shape[2] != self.image.shape[2]):
            raise ValueError(f"result must have {self.image.shape[2]} channels, got {result.shape}")
        changed = result is not self.proposal
        self.proposal = result
        if changed:
            self.events.proposal_changed.emit(result)

    def apply_proposal(self, label: str = "Fill") -> Patch | None:
        """Keep the proposed result as one undoable image change."""
        if self.proposal is None:
            return None
        if self.proposal.shape != self.image.shape:
            return self._apply_resized(label)
        patch = diff_patch("image", self.image, self.proposal, label)
        self.proposal = None
        if patch is not None:
            patch.write(self.image, "after")
            self._record(patch)
            self.events.image_changed.emit(patch.rect)
        self.events.proposal_changed.emit(None)
        return patch

    def _apply_resized(self, label: str) -> Swap:
        import cv2

        h, w = self.proposal.shape[:2]
        mask = cv2.resize(self.mask, (w, h), interpolation=cv2.INTER_NEAREST)
        return self.replace_all(self.proposal, mask, label)

    # -- history ---------------------------------------------------------------
    def _record(self, patch: Patch | None) -> None:
        if patch is not None:
            self.history.push(patch)

    def _apply(self, patch, side: str) -> None:
        if isinstance(patch, Swap):
            self.image, self.mask = (a.copy() for a in getattr(patch, side))
            self._reset_sampling()
            self.proposal = None
        else:
            patch.write(self.layer(patch.layer), side)

    def replace_all(self, image: np.ndarray, mask: np.ndarray, label: str) -> Swap:
        """Replace image and mask, possibly with another size (upscaling), undoably."""
        if mask.shape != image.shape[:2]:
            raise ValueError(f"mask {mask.shape} does not fit image {image.shape}")
        swap = Swap((self.image, self.mask), (image.copy(), mask.copy()), label)
        had_proposal = self.proposal is not None
        self.image, self.mask = np.ascontiguousarray(image), np.ascontiguousarray(mask)
        self._reset_sampling()
        self.proposal = None
        self._record(swap)
        self._announce(swap, had_proposal)
        return swap

    def _reset_sampling(self) -> None:
        # A resize drops the sampling areas: they were drawn for the old pixels.
        h, w = self.mask.shape
        self.sample_from = np.zeros((h, w), np.uint8)
        self.sample_never = np.zeros((h, w), np.uint8)

    def undo(self) -> Patch | None:
        if self._stroke is not None:
            self.end_stroke()
        had_proposal = self.proposal is not None
        patch = self.history.undo(self._apply)
        self._announce(patch, had_proposal)
        return patch

    def redo(self) -> Patch | None:
        had_proposal = self.proposal is not None
        patch = self.history.redo(self._apply)
        self._announce(patch, had_proposal)
        return patch

    def _announce(self, patch: Patch | Swap | None, had_proposal: bool) -> None:
        """Tell subscribers what an undo, a redo or a whole replacement changed."""
        if isinstance(patch, Swap):
            self.events.replaced.emit()
            if had_proposal:          # a swap drops the result computed for the old pixels
                self.events.proposal_changed.emit(None)
        elif patch is not None:
            self._changed(patch.layer, patch.rect)

    # -- file ------------------------------------------------------------------
    def mark_saved(self, path: Path) -> None:
        """The image was written to ``path``: it becomes the document's file, unmodified."""
        self.path = Path(path)
        self.history.mark_saved()
        self.events.saved.emit(self.path)
