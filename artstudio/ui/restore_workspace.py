"""The Restore workspace: the canvas, its side panel, and the fill workflow
(paint a mask, Fill as a background job, compare, Apply or Revert).

The neural methods run the shipped networks or ones the user trained (cards
in ``paths.models``), as chosen in the panel's Network lists; the choice is
remembered while the app runs, and the lists are re-read whenever the
workspace is shown (a training run may have just added one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QScrollArea, QSplitter, QWidget

from ..core import mask as mask_ops
from ..core.brush import Brush
from ..core.document import Document
from ..core.history import Patch
from ..core.paths import AppPaths
from ..core.settings import Settings
from ..jobs.base import readonly_copy
from ..jobs.estimate import DipEstimate, run_estimate_dip
from ..jobs.operations import Operation, RestoreRequest, operation
from ..models.restore_models import RestoreModelSpec, shipped_restore_models, user_restore_models
from .canvas import CanvasWidget
from .job_runner import JobRunner
from .restore_panel import RestorePanel

FILL_KIND = "restore.fill"
ESTIMATE_KIND = "restore.estimate"


class RestoreWorkspace(QWidget):
    """Paint, fill, compare, apply.

    Signals
    -------
    document_changed : emitted after any undoable change (for menus and title).
    message : one-line text for the status bar.
    """

    document_changed = Signal()
    message = Signal(str)

    def __init__(self, runner: JobRunner, paths: AppPaths | None, settings: Settings, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.paths = paths
        self.settings = settings
        self.canvas = CanvasWidget()
        self.panel = RestorePanel()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.canvas)
        side = QScrollArea()  # the panel is taller than small screens
        side.setWidget(self.panel)
        side.setWidgetResizable(True)
        side.setMinimumWidth(self.panel.minimumWidth() + 16)
        side.setMaximumWidth(self.panel.maximumWidth() + 16)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setCollapsible(0, False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._fill_job: int | None = None
        self._job_label = "Fill"
        self._pending_dip = None
        self._fill_method = settings.fill_method
        self._apply_settings(settings)
        self._connect()
        self.refresh_networks()

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
        p.denoise_requested.connect(self.denoise)
        p.upscale_requested.connect(self.upscale)
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

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_networks()

    # -- networks --------------------------------------------------------------------
    def refresh_networks(self) -> None:
        """Re-read the user's restoration networks into the panel's Network lists.

        A chosen network that is gone falls back to the shipped one (with a
        message). Unreadable cards are skipped by ``user_restore_models``; a
        listed network that fails to load fails its job with a one-line error.
        """
        user = user_restore_models(self.paths.models) if self.paths is not None else []
        for shipped in shipped_restore_models():
            choices = [(shipped.name, f"{shipped.name} (shipped)", shipped.description)]
            choices += [_choice(spec) for spec in user if spec.task == shipped.task]
            gone = self.panel.set_networks(shipped.task, choices)
            if gone:
                self.message.emit(f"The network '{gone}' is no longer in the models folder; "
                                  f"using {shipped.name}.")

    def _network(self, task: str) -> str:
        """The model for a request: the panel's choice, or the task (the shipped network)."""
        return self.panel.network(task) or task

    def _with_network(self, label: str, task: str) -> str:
        """``label`` (status line, undo history) naming the user's network when one is chosen."""
        model = self._network(task)
        return f"{label} with {Path(model).stem}" if model.endswith(".safetensors") else label

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
        if patch is not None and patch.layer != "mask" and doc is not None and doc.proposal is not None:
            # The result was computed from pixels that just changed under it.
            doc.set_proposal(None)
            self._end_compare()
        if patch is not None and patch.layer == "document":
            self.canvas.set_document(doc)       # the size changed (upscale undone or redone)
            self.message.emit(patch.label)
            self.document_changed.emit()
            return
        if patch is not None:
            self.canvas.refresh_rects(patch.rects)
            self.message.emit(patch.label)
        self.document_changed.emit()

    # -- jobs: fill, denoise, upscale (which job runs is the registry's business) -----
    def fill(self, method: str | None = None, radius: int | None = None) -> int | None:
        """Start filling the mask; returns the job id, or None when there is nothing to fill.

        Deep Image Prior first measures this machine and asks before a long run.
        """
        doc = self.document
        if doc is None:
            return None
        if not doc.mask.any():
            self.message.emit("The mask is empty: paint over the damage first (B for the brush).")
            return None
        method = method or self.panel.method()
        radius = radius or self.panel.radius_spin.value()
        self._fill_method = self.settings.fill_method = method
        return self._run(operation("fill", method), mask=readonly_copy(doc.mask), radius=radius)

    def denoise(self, method: str, noise: str) -> int | None:
        return self._run(operation("denoise", method), noise=noise)

    def upscale(self, scale: int, method: str) -> int | None:
        # The job also enlarges the original the plain way, for the comparison.
        return self._run(operation("upscale", method), scale=scale, compare=True)

    def _run(self, op: Operation, **options) -> int | None:
        """Start ``op`` on the document (after the time estimate, for Deep Image Prior)."""
        if self.document is None:
            return None
        model = self._network(op.network) if op.network else None
        request = RestoreRequest(readonly_copy(self.document.image), model=model, device=self.settings.device,
                                 **options)
        label = op.title_for(request)
        if op.network:
            label = self._with_network(label, op.network)
        if op.dip:
            return self._estimate_dip(op.dip_request(request), lambda token: op.job(request, token), label)
        return self._start(lambda token: op.job(request, token), label)

    def _start(self, factory, label: str) -> int:
        # A new fill starts from the document, not from an unapplied result;
        # its previews must not be drawn over the old result's pixels.
        if self.document.proposal is not None:
            self.document.set_proposal(None)
            self._end_compare()
        self._job_label = label
        self._fill_job = self.runner.submit(FILL_KIND, factory, latest_wins=True)
        self.panel.set_busy(True)
        return self._fill_job

    def _estimate_dip(self, dip, factory, label: str) -> int:
        self._pending_dip = (dip, factory, label)
        self._fill_job = self.runner.submit(ESTIMATE_KIND, lambda token: run_estimate_dip(dip, token),
                                            latest_wins=True)
        self.panel.set_busy(True)
        return self._fill_job

    def _confirm_dip(self, estimate) -> None:
        dip, factory, label = self._pending_dip
        w, h = estimate.work_size
        answer = QMessageBox.question(
            self, "Deep Image Prior",
            f"Deep Image Prior optimises a network for this photo alone: about {estimate.seconds:.0f} s "
            f"here ({estimate.iterations} iterations on {w}×{h} px; it may stop earlier). Start?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes:
            self._start(factory, label)

    def cancel_fill(self) -> None:
        if self._fill_job is not None:
            self.runner.cancel(self._fill_job)

    def apply(self) -> None:
        doc = self.document
        if doc is None or doc.proposal is None:
            return
        resized = doc.proposal.shape != doc.image.shape
        patch = doc.apply_proposal(self._job_label)
        self._end_compare()
        if resized:
            self.canvas.set_document(doc)
        self._after_patch(patch)

    def revert(self) -> None:
        if self.document is not None and self.document.proposal is not None:
            self.document.set_proposal(None)
            self._end_compare()
            self.message.emit("Result discarded")

    def _end_compare(self) -> None:
        self.canvas.set_compare(None)
        self.panel.set_comparing(False)

    def _on_runner_preview(self, job_id: int, preview) -> None:
        doc = self.document
        if job_id == self._fill_job and doc is not None and preview.image.shape == doc.image.shape:
            self.canvas.set_compare(preview.image, preview.dirty)

    def _on_runner_finished(self, job_id: int, result) -> None:
        if job_id != self._fill_job:
            return
        self._fill_job = None
        self.panel.set_busy(False)
        doc = self.document
        if doc is None:
            return
        if isinstance(result, DipEstimate):
            self._confirm_dip(result)
            return
        image = getattr(result, "image", None)
        if not isinstance(image, np.ndarray) or image.shape[2] != doc.image.shape[2]:
            return
        doc.set_proposal(np.array(image))
        if image.shape == doc.image.shape:
            self.canvas.set_compare(doc.proposal, getattr(result, "bounds", None))
        else:  # upscaled: compare with the original enlarged the plain way (by the job)
            self.canvas.set_compare(doc.proposal, before=getattr(result, "before", None))
        self.panel.set_comparing(True)
        seconds = getattr(result, "seconds", 0.0)
        self.message.emit(f"{self._job_label}: done in {seconds:.1f} s. Compare, then Apply or Revert.")
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


def _choice(spec: RestoreModelSpec) -> tuple[str, str, str]:
    """A user network as a Network list entry: (its weights path for the request, label, tooltip)."""
    tip = f"{spec.description}\n{spec.weights}" if spec.description else str(spec.weights)
    return str(spec.weights), spec.name, tip
