"""The Restore workspace's damage finder: "Find dust & scratches", its sensitivity, its report, "Find & fill".

:class:`DetectPanel` is the group of widgets; :class:`DamageFinder` runs the
damage finder job (:mod:`artstudio.jobs.detect`) on the workspace's job
runner, puts the mask it proposes into the document as one undoable edit
(the user can paint on it, grow it or undo it), and for Find & fill then
starts the workspace's fill with the method chosen in the Fill group.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton
from superqt import QLabeledDoubleSlider

from ..jobs.detect import DetectRequest, fill_mask, run_detect
from .job_routes import JobRoutes

DETECT_KIND = "restore.detect"


class DetectPanel(QGroupBox):
    """Buttons and slider; emits requests, shows what was found."""

    find_requested = Signal(float)            # sensitivity
    find_and_fill_requested = Signal(float)   # sensitivity

    def __init__(self, parent=None):
        super().__init__("Dust and scratches", parent)
        form = QFormLayout(self)
        self.sensitivity = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.sensitivity.setRange(0.0, 1.0)
        self.sensitivity.setDecimals(2)
        self.sensitivity.setValue(0.5)
        self.sensitivity.setToolTip("Higher finds fainter marks, and more things that are not damage")
        form.addRow("Sensitivity", self.sensitivity)
        self.find_button = QPushButton("Find dust && scratches")
        self.find_button.setToolTip("Mark dust specks, hairs and scratches in the mask (undoable)")
        self.fill_button = QPushButton("Find && fill")
        self.fill_button.setToolTip("Find the damage, then fill it with the Fill method, in one click")
        self.find_button.clicked.connect(lambda: self.find_requested.emit(self.sensitivity.value()))
        self.fill_button.clicked.connect(lambda: self.find_and_fill_requested.emit(self.sensitivity.value()))
        row = QHBoxLayout()
        row.addWidget(self.find_button)
        row.addWidget(self.fill_button)
        form.addRow(row)
        self.report = QLabel("")
        self.report.setObjectName("hint")
        self.report.setWordWrap(True)
        form.addRow(self.report)

    def set_busy(self, busy: bool) -> None:
        self.find_button.setEnabled(not busy)
        self.fill_button.setEnabled(not busy)
        if busy:
            self.report.setText("Looking for dust and scratches…")

    def show_report(self, text: str) -> None:
        self.report.setText(text)


class DamageFinder(QObject):
    """The panel's jobs and what their results do to the workspace's document.

    Parameters
    ----------
    workspace : RestoreWorkspace
        Its ``runner``, ``document``, ``settings``, ``replace_mask``, ``fill`` and ``message``.
    """

    def __init__(self, workspace):
        super().__init__(workspace)
        self.workspace = workspace
        self.panel = DetectPanel()
        self.routes = JobRoutes(workspace.runner, {DETECT_KIND: self._on_found}, parent=self)
        self._job: int | None = None
        self._pending: tuple[object, bool] | None = None       # (document, then fill)
        self.panel.find_requested.connect(lambda s: self.find(s, fill=False))
        self.panel.find_and_fill_requested.connect(lambda s: self.find(s, fill=True))
        workspace.runner.job_failed.connect(self._on_runner_ended)
        workspace.runner.job_cancelled.connect(self._on_runner_ended)

    def find(self, sensitivity: float = 0.5, fill: bool = False) -> int | None:
        """Start looking; returns the job id, or None when there is no photo."""
        doc = self.workspace.document
        if doc is None:
            self.workspace.message.emit("Open a photo first.")
            return None
        request = DetectRequest.snapshot(doc.image, sensitivity=sensitivity,
                                         device=self.workspace.settings.device)
        self._pending = (doc, fill)
        self._job = self.routes.submit(DETECT_KIND, lambda token: run_detect(request, token))
        self.panel.set_busy(self._job is not None)
        return self._job

    def _on_found(self, result) -> None:
        self._job = None
        self.panel.set_busy(False)
        doc, fill = self._pending or (None, False)
        self._pending = None
        if doc is None or doc is not self.workspace.document or result.mask.shape != doc.mask.shape:
            self.panel.show_report("")
            return       # another photo was opened meanwhile
        if not result.mask.any():
            self.panel.show_report("No dust or scratches found; the mask is unchanged.")
            self.workspace.message.emit("No dust or scratches found; the mask is unchanged.")
            return
        self.panel.show_report(f"Found {result.summary}.")
        if fill:
            self.workspace.replace_mask(fill_mask(result.mask), f"Find & fill: {result.summary}")
            self.workspace.fill()
        else:
            self.workspace.replace_mask(result.mask, f"Find dust & scratches: {result.summary}")

    def _on_runner_ended(self, job_id: int, *_args) -> None:
        if job_id == self._job:
            self._job = self._pending = None
            self.panel.set_busy(False)
            self.panel.show_report("")
