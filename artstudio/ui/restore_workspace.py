"""The Restore workspace: the canvas, its side panel, and the fill workflow
(paint a mask, Fill as a background job, compare, Apply or Revert)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QWidget

from ..core import mask as mask_ops
from ..core.brush import Brush
from ..core.document import Document
from ..core.history import Patch
from ..core.settings import Settings
from ..jobs.restore import FillRequest, FillResult, run_fill
from .canvas import CanvasWidget
from .job_runner import JobRunner
from .restore_panel import RestorePanel

FILL_KIND = "restore.fill"


class RestoreWorkspace(QWidget):
    """Paint, fill, compare, apply.

    Signals
    -------
    document_changed : emitted after any undoable change (for menus and title).
    message : one-line text for the status bar.
    """

    document_changed = Signal()
    message = Signal(str)

    def __init__(self, runner: JobRunner, settings: Settings, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.canvas = CanvasWidget()
        self.panel = RestorePanel()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 1)
        splitter.setCollapsible(0, False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._fill_job: int | None = None
        self._fill_method = settings.fill_method
        self._apply_settings(settings)
        self._connect()

    def _apply_settings(self, s: Settings) -> None:
        self.canvas.set_overlay(s.mask_color, s.mask_opacity)
        self.canvas.set_brush(Brush(s.brush_size, s.brush_hardness))
        self.panel.show_opacity(s.mask_opacity)
        self.panel.set_method(s.fill_method)

    def _connect(self) -> None:
        p, c = self.panel, self.canvas
        p.tool_selected.connect(c.set_tool)
        p.brush_size_changed.connect(lambda v: c.set_brush(Brush(v, c.brush.hardness, c.brush.mode)))
        p.hardness_changed.connect(lambda v: c.set_brush(Brush(c.brush.size, v, c.brush.mode)))
        p.opacity_changed.connect(self._on_panel_opacity)
        p.mask_op_requested.connect(self.mask_operation)
        p.fill_requested.connect(self.fill)
        p.apply_requested.connect(self.apply)
        p.revert_requested.connect(self.revert)
        p.split_changed.connect(c.set_split)
        c.split_changed.connect(p.show_split)
        c.brush_changed.connect(self._on_canvas_brush_changed)
        c.stroke_finished.connect(self._on_canvas_stroke_finished)
        r = self.runner
        r.job_preview.connect(self._on_runner_preview)
        r.job_finished.connect(self._on_runner_finished)
        r.job_failed.connect(self._on_runner_ended)
        r.job_cancelled.connect(self._on_runner_ended)
        self._on_canvas_brush_changed(c.brush)

    @property
    def document(self) -> Document | None:
        return self.canvas.document

    def set_document(self, document: Document | None) -> None:
        self.cancel_fill()
        # Forget the job now: a result that races the cancel belongs to the old photo.
        self._fill_job = None
        self.panel.set_busy(False)
        self.canvas.set_document(document)
        self.panel.set_comparing(False)
        self.document_changed.emit()

    # -- mask ---------------------------------------------------------------------
    def mask_operation(self, op: str, pixels: int = 0) -> None:
        doc = self.document
        if doc is None:
            return
        if op == "clear":
            new, label = np.zeros_like(doc.mask), "Clear mask"
        elif op == "invert":
            new, label = mask_ops.invert(doc.mask), "Invert mask"
        elif op in ("grow", "shrink"):
            n = pixels if op == "grow" else -pixels
            new, label = mask_ops.grow(doc.mask, n), f"{op.title()} mask {pixels} px"
        else:
            raise ValueError(op)
        self._after_patch(doc.set_mask(new, label))

    def replace_mask(self, mask: np.ndarray, label: str) -> None:
        if self.document is not None:
            self._after_patch(self.document.set_mask(mask, label))

    def undo(self) -> None:
        if self.document is not None:
            self._after_patch(self.document.undo())

    def redo(self) -> None:
        if self.document is not None:
            self._after_patch(self.document.redo())

    def _after_patch(self, patch: Patch | None) -> None:
        doc = self.document
        if patch is not None and patch.layer == "image" and doc is not None and doc.proposal is not None:
            # The result was computed from pixels that just changed under it.
            doc.set_proposal(None)
            self._end_compare()
        if patch is not None:
            self.canvas.refresh_rects(patch.rects)
            self.message.emit(patch.label)
        self.document_changed.emit()

    # -- fill ----------------------------------------------------------------------
    def fill(self, method: str | None = None, radius: int | None = None) -> int | None:
        """Start a fill job; returns its id, or None when there is nothing to fill."""
        doc = self.document
        if doc is None:
            return None
        if not doc.mask.any():
            self.message.emit("The mask is empty: paint over the damage first (B for the brush).")
            return None
        method = method or self.panel.method()
        radius = radius or self.panel.radius_spin.value()
        self._fill_method = self.settings.fill_method = method
        request = FillRequest.snapshot(doc.image, doc.mask, method=method, radius=radius)
        # A new fill starts from the document, not from an unapplied result;
        # its previews must not be drawn over the old result's pixels.
        doc.set_proposal(None)
        self._end_compare()
        self._fill_job = self.runner.submit(FILL_KIND, lambda token: run_fill(request, token),
                                            latest_wins=True)
        self.panel.set_busy(True)
        return self._fill_job

    def cancel_fill(self) -> None:
        if self._fill_job is not None:
            self.runner.cancel(self._fill_job)

    def apply(self) -> None:
        doc = self.document
        if doc is None or doc.proposal is None:
            return
        patch = doc.apply_proposal(f"Fill ({self._fill_method})")
        self._end_compare()
        self._after_patch(patch)

    def revert(self) -> None:
        if self.document is not None and self.document.proposal is not None:
            self.document.set_proposal(None)
            self._end_compare()
            self.message.emit("Fill result discarded")

    def _end_compare(self) -> None:
        self.canvas.set_compare(None)
        self.panel.set_comparing(False)

    def _on_runner_preview(self, job_id: int, preview) -> None:
        if job_id == self._fill_job:
            self.canvas.set_compare(preview.image, preview.dirty)

    def _on_runner_finished(self, job_id: int, result) -> None:
        if job_id != self._fill_job or not isinstance(result, FillResult):
            return
        self._fill_job = None
        self.panel.set_busy(False)
        if self.document is None or result.image.shape != self.document.image.shape:
            return
        self.document.set_proposal(np.array(result.image))
        self.canvas.set_compare(self.document.proposal, result.bounds)
        self.panel.set_comparing(True)
        self.message.emit(f"Filled {result.regions} region(s) in {result.seconds:.2f} s. "
                          "Compare, then Apply or Revert.")
        self.document_changed.emit()

    def _on_runner_ended(self, job_id: int, *_args) -> None:
        if job_id == self._fill_job:
            self._fill_job = None
            self.panel.set_busy(False)
            if self.document is None or self.document.proposal is None:
                self._end_compare()

    # -- settings sync --------------------------------------------------------------------
    def _on_panel_opacity(self, value: float) -> None:
        self.settings.mask_opacity = value
        self.canvas.set_overlay(self.settings.mask_color, value)

    def _on_canvas_brush_changed(self, brush: Brush) -> None:
        self.settings.brush_size, self.settings.brush_hardness = brush.size, brush.hardness
        self.panel.show_brush(brush.size, brush.hardness, brush.mode)

    def _on_canvas_stroke_finished(self, patch) -> None:
        if patch is not None:
            self.document_changed.emit()
