"""The Restore workspace: the canvas, its side panel, and the fill workflow
(paint a mask, Fill as a background job, compare, Apply or Revert); denoise,
upscale and stylize (:mod:`.stylize_controller`) run the same way.

Which job a method runs, its menu label and its options come from the
restore-operation registry (:mod:`artstudio.jobs.operations`); the neural
methods run the network chosen in the panel's Network lists
(:mod:`.restore_networks`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QScrollArea, QSplitter, QVBoxLayout, QWidget

from ..core import mask as mask_ops
from ..core.brush import Brush
from ..core.document import Document
from ..core.history import Patch
from ..core.paths import AppPaths
from ..core.settings import Settings
from ..jobs.base import readonly_copy
from ..jobs.denoise import DenoiseResult
from ..jobs.denoise import describe as describe_denoise
from ..jobs.estimate import DipEstimate
from ..jobs.operations import Operation, RestoreRequest, operation
from .canvas import CanvasWidget
from .detect_panel import DamageFinder
from .dip_confirm import DipConfirm
from .fill_variations import FillVariations
from .job_runner import JobRunner
from .restore_networks import NetworkLists
from .restore_panel import RestorePanel
from .stylize_controller import Stylizer
from .tool_bar import ToolBar
from .training_badge import TrainingBadge
from .widgets import leave_focus_on
from .workspace_keys import hook_canvas_input

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
        self.tools = ToolBar(self.canvas)
        self.panel = RestorePanel()
        _lay_out(self, self.tools, self.canvas, self.panel)
        self.networks = NetworkLists(self.panel, paths, self.message.emit)
        self.finder = DamageFinder(self)         # its group sits under the Mask group
        self.panel.layout().insertWidget(1, self.finder.panel)
        self.variations = FillVariations(self)   # under the Fill group
        self.panel.layout().insertWidget(3, self.variations.panel)
        self.training = TrainingBadge(runner)     # above it all, while a run trains in the background
        self.panel.layout().insertWidget(0, self.training)
        self.stylizer = Stylizer(self)            # last, above the closing stretch
        self.panel.layout().insertWidget(self.panel.layout().count() - 1, self.stylizer.panel)
        leave_focus_on(self.canvas, self.panel)   # (the tool options' pages: as the tool bar makes them)
        self._fill_job: int | None = None
        self._job_label = "Fill"
        self.dip = DipConfirm(self)
        self._fill_method = settings.fill_method
        _apply_settings(self, settings)
        self._connect()
        self.refresh_networks()

    def _connect(self) -> None:
        p, c = self.panel, self.canvas
        c.tool_message.connect(self.message)
        p.brush_size_changed.connect(lambda v: c.set_brush(Brush(v, c.brush.hardness, c.brush.mode)))
        p.hardness_changed.connect(lambda v: c.set_brush(Brush(c.brush.size, v, c.brush.mode)))
        p.opacity_changed.connect(lambda value: _keep_opacity(self, value))
        p.mask_op_requested.connect(self.mask_operation)
        p.fill_requested.connect(self.fill)
        p.denoise_requested.connect(self.denoise)
        p.upscale_requested.connect(self.upscale)
        p.apply_requested.connect(self.apply)
        p.revert_requested.connect(self.revert)
        p.split_changed.connect(c.set_split)
        c.split_changed.connect(p.show_split)
        c.brush_changed.connect(lambda brush: _keep_brush(self, brush))
        c.stroke_finished.connect(self._on_canvas_stroke_finished)
        hook_canvas_input(self)
        r = self.runner
        r.job_preview.connect(self._on_runner_preview)
        r.job_finished.connect(self._on_runner_finished)
        r.job_failed.connect(self._on_runner_ended)
        r.job_cancelled.connect(self._on_runner_ended)
        _keep_brush(self, c.brush)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_networks()

    def refresh_networks(self) -> None:
        """Re-read the user's restoration networks into the panel's Network lists."""
        self.networks.refresh()

    @property
    def document(self) -> Document | None:
        return self.canvas.document

    def set_document(self, document: Document | None) -> None:
        old = self.document
        if old is not None:
            old.events.saved.disconnect(self._on_document_saved)
        if document is not None:
            document.events.saved.connect(self._on_document_saved)
        self.cancel_fill()
        # Forget the job now: a result that races the cancel belongs to the old photo.
        self._fill_job = None
        self._set_busy(False)
        self.canvas.set_document(document)
        _drop_result(self)
        self.finder.panel.show_report("")        # what was found was found on the old photo
        self.document_changed.emit()

    # -- mask ---------------------------------------------------------------------
    def mask_operation(self, op: str, pixels: int = 0) -> None:
        doc = self.document
        if doc is not None:
            self._after_patch(doc.set_mask(*_edited_mask(doc.mask, op, pixels)))

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
            # The result (and its variations) was computed from pixels that just changed under it.
            _drop_result(self)
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
        op = operation("fill", method)
        return self._run(op, mask=readonly_copy(doc.mask), radius=radius, **self.variations.options(op, doc))

    def denoise(self, method: str, noise: str, strength: float | None = None) -> int | None:
        """Denoise at ``strength`` (0-1; None: the panel's Strength)."""
        if strength is None:
            strength = self.panel.denoise_strength.value() / 100.0
        self.panel.denoise_found.setText("")
        return self._run(operation("denoise", method), noise=noise, strength=strength)

    def upscale(self, scale: int, method: str) -> int | None:
        # The job also enlarges the original the plain way, for the comparison.
        return self._run(operation("upscale", method), scale=scale, compare=True)

    def run_operation(self, op: Operation, **options) -> int | None:
        """Start any registry operation on the document with these request fields (the Stylize group's way in)."""
        return self._run(op, **options)

    def _set_busy(self, busy: bool) -> None:
        self.panel.set_busy(busy)
        self.stylizer.panel.set_busy(busy)

    def _run(self, op: Operation, **options) -> int | None:
        """Start ``op`` on the document (after the time estimate, for Deep Image Prior)."""
        if self.document is None:
            return None
        model = self.networks.model(op.network) if op.network else None
        request = RestoreRequest(readonly_copy(self.document.image), model=model, device=self.settings.device,
                                 **options)
        label = self.networks.label(op.title_for(request), op.network) if op.network else op.title_for(request)
        if op.dip:      # measure the machine first, then ask (DipConfirm)
            job = self.dip.estimate(op.dip_request(request), lambda token: op.job(request, token), label)
            return self._submit(ESTIMATE_KIND, job)
        return self._start(lambda token: op.job(request, token), label)

    def _start(self, factory, label: str) -> int:
        # A new fill starts from the document, not from an unapplied result;
        # its previews must not be drawn over the old result's pixels.
        if self.document.proposal is not None:
            _drop_result(self)
        if self._fill_job is not None:        # latest wins: the runner cancels the running one
            self.message.emit(f"{self._job_label} cancelled: starting {label} on the photo and mask as they are now.")
        self._job_label = label
        return self._submit(FILL_KIND, factory)

    def _submit(self, kind: str, factory) -> int:
        self._fill_job = self.runner.submit(kind, factory, latest_wins=True)
        self._set_busy(True)
        return self._fill_job

    def cancel_fill(self) -> None:
        if self._fill_job is not None:
            self.runner.cancel(self._fill_job)

    def apply(self) -> None:
        doc = self.document
        if doc is None or doc.proposal is None:
            return
        resized = doc.proposal.shape != doc.image.shape
        patch = doc.apply_proposal(self._job_label)
        self.stylizer.applied(patch)
        self.variations.forget()
        self._end_compare()
        if resized:
            self.canvas.set_document(doc)
        self._after_patch(patch)

    def revert(self) -> None:
        if self.document is not None and self.document.proposal is not None:
            _drop_result(self)
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
        self._set_busy(False)
        doc = self.document
        if doc is None:
            return
        if isinstance(result, DipEstimate):
            start = self.dip.answer(result)
            if start is not None:
                self._start(*start)
            return
        image = getattr(result, "image", None)
        if isinstance(image, np.ndarray) and image.shape[2] == doc.image.shape[2]:
            _propose(self, doc, result, image)

    def _on_runner_ended(self, job_id: int, *_args) -> None:
        if job_id == self._fill_job:
            self._fill_job = None
            self._set_busy(False)
            if self.document is None or self.document.proposal is None:
                self._end_compare()

    def _on_document_saved(self, _path) -> None:
        self.document_changed.emit()          # the title and the modified mark follow

    # -- settings sync --------------------------------------------------------------------
    def _on_canvas_stroke_finished(self, patch) -> None:
        if patch is not None:
            self.document_changed.emit()


def _drop_result(ws: RestoreWorkspace) -> None:
    """Forget the result being compared: the proposal, its variations, its recipe, the view."""
    if ws.document is not None:
        ws.document.set_proposal(None)
    ws.variations.forget()
    ws.stylizer.forget()
    ws._end_compare()


def _propose(ws: RestoreWorkspace, doc: Document, result, image: np.ndarray) -> None:
    """A finished job's image becomes the proposal: compared on the canvas, shown to the side groups."""
    if isinstance(result, DenoiseResult):      # say what was found, until the next denoise
        ws.panel.denoise_found.setText(describe_denoise(result))
        ws.message.emit(describe_denoise(result))
    doc.set_proposal(np.array(image))
    ws.variations.show(result, readonly_copy(doc.image))
    ws.stylizer.show(result)
    if image.shape == doc.image.shape:
        ws.canvas.set_compare(doc.proposal, getattr(result, "bounds", None))
    else:  # upscaled: compare with the original enlarged the plain way (by the job)
        ws.canvas.set_compare(doc.proposal, before=getattr(result, "before", None))
    ws.panel.set_comparing(True)
    seconds = getattr(result, "seconds", 0.0)
    ws.message.emit(f"{ws._job_label}: done in {seconds:.1f} s. Compare, then Apply or Revert.")
    ws.document_changed.emit()


def _apply_settings(ws: RestoreWorkspace, s: Settings) -> None:
    """The saved mask look, brush and fill method, on a new workspace."""
    ws.canvas.set_overlay(s.mask_color, s.mask_opacity)
    ws.canvas.set_brush(Brush(s.brush_size, s.brush_hardness))
    ws.panel.show_opacity(s.mask_opacity)
    ws.panel.set_method(s.fill_method)


def _keep_opacity(ws: RestoreWorkspace, value: float) -> None:
    ws.settings.mask_opacity = value
    ws.canvas.set_overlay(ws.settings.mask_color, value)


def _keep_brush(ws: RestoreWorkspace, brush: Brush) -> None:
    ws.settings.brush_size, ws.settings.brush_hardness = brush.size, brush.hardness
    ws.panel.show_brush(brush.size, brush.hardness, brush.mode)


def _lay_out(workspace: QWidget, tools: ToolBar, canvas: CanvasWidget, panel: RestorePanel) -> None:
    """The tool bar, the canvas under the active tool's options, and the panel
    in a scroll area (it is taller than small screens) beside it."""
    centre = QWidget()
    column = QVBoxLayout(centre)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(tools.options)
    column.addWidget(canvas, 1)
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(centre)
    side = QScrollArea()
    side.setWidget(panel)
    side.setWidgetResizable(True)
    side.setFocusPolicy(Qt.FocusPolicy.NoFocus)    # a click on a panel button leaves the canvas its keys
    side.setMinimumWidth(panel.minimumWidth() + 16)
    side.setMaximumWidth(panel.maximumWidth() + 16)
    splitter.addWidget(side)
    splitter.setStretchFactor(0, 1)
    splitter.setCollapsible(0, False)
    layout = QHBoxLayout(workspace)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(tools)
    layout.addWidget(splitter, 1)


def _edited_mask(mask: np.ndarray, op: str, pixels: int) -> tuple[np.ndarray, str]:
    """(the new mask, its undo label) for a panel mask operation."""
    if op == "clear":
        return np.zeros_like(mask), "Clear mask"
    if op == "invert":
        return mask_ops.invert(mask), "Invert mask"
    if op in ("grow", "shrink"):
        return mask_ops.grow(mask, pixels if op == "grow" else -pixels), f"{op.title()} mask {pixels} px"
    raise ValueError(op)
