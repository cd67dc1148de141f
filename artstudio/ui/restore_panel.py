"""Side panel of the Restore workspace: mask tools, fill method, compare and apply."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget)
from superqt import QLabeledDoubleSlider, QLabeledSlider

from ..core.brush import MAX_BRUSH
from ..jobs.denoise import NOISE_KINDS
from ..jobs.operations import operation, operations
from ..jobs.upscale import UPSCALE_FACTORS
from .widgets import keyed_combo


def _method_combo(task: str) -> QComboBox:
    """The task's operations from the registry, in menu order, keyed by method; each item's
    tooltip is the registry's description ("the automatic fill (network for thin damage...)")."""
    ops = operations(task)
    combo = keyed_combo({op.key: op.label for op in ops})
    for index, op in enumerate(ops):
        combo.setItemData(index, op.description[0].upper() + op.description[1:], Qt.ItemDataRole.ToolTipRole)
    return combo


def _network_combo() -> QComboBox:
    combo = QComboBox()
    # Long user model names must not widen the panel past its maximum.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    combo.setToolTip("The network the neural method runs: the shipped one, or one you trained "
                     "(Train workspace or 'artstudio train')")
    return combo


def _row(*widgets) -> QHBoxLayout:
    row = QHBoxLayout()
    for w in widgets:
        row.addWidget(w)
    return row


class RestorePanel(QWidget):
    """Emits requests; the workspace decides what they do."""

    brush_size_changed = Signal(float)
    hardness_changed = Signal(float)
    opacity_changed = Signal(float)
    mask_op_requested = Signal(str, int)     # "clear" | "invert" | "grow" | "shrink", pixels
    fill_requested = Signal(str, int)        # method, radius
    denoise_requested = Signal(str, str)     # method, noise kind
    upscale_requested = Signal(int, str)     # scale, method
    apply_requested = Signal()
    revert_requested = Signal()
    split_changed = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        # network task -> (its Network combo, the form holding it, the method combo that
        # enables it, the operations' task)
        self._networks: dict[str, tuple[QComboBox, QFormLayout, QComboBox, str]] = {}
        self.setMinimumWidth(280)
        self.setMaximumWidth(380)
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_mask_group())
        layout.addWidget(self._build_fill_group())
        # Apply and Revert under the fill and its variations (last, they were off screen)
        layout.addWidget(self._build_compare_group())
        layout.addWidget(self._build_enhance_group())
        layout.addStretch(1)
        self.set_comparing(False)

    # -- construction ------------------------------------------------------------
    def _build_mask_group(self) -> QGroupBox:
        box = QGroupBox("Mask")
        form = QFormLayout(box)
        self.size_slider = QLabeledSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(1, int(MAX_BRUSH))
        self.size_slider.valueChanged.connect(lambda v: self.brush_size_changed.emit(float(v)))
        self.size_slider.setToolTip("Brush diameter in image pixels ([ smaller, ] larger)")
        form.addRow("Size [ ]", self.size_slider)
        self.hardness_slider = self._fraction_slider(self.hardness_changed)
        self.hardness_slider.setToolTip("1: a crisp edge; lower: a soft edge that fades out")
        form.addRow("Hardness", self.hardness_slider)
        self.opacity_slider = self._fraction_slider(self.opacity_changed)
        self.opacity_slider.setToolTip("How strongly the mask is tinted over the photo (H hides it)")
        form.addRow("Overlay", self.opacity_slider)
        clear, invert = QPushButton("Clear"), QPushButton("Invert")
        clear.clicked.connect(lambda: self.mask_op_requested.emit("clear", 0))
        invert.clicked.connect(lambda: self.mask_op_requested.emit("invert", 0))
        clear.setToolTip("Clear the whole mask (Ctrl+Shift+A; undo with Ctrl+Z)")
        invert.setToolTip("Mark what is unmarked and the other way round (Ctrl+I)")
        form.addRow(_row(clear, invert))
        self.grow_pixels = QSpinBox()
        self.grow_pixels.setRange(1, 200)
        self.grow_pixels.setValue(3)
        self.grow_pixels.setSuffix(" px")
        self.grow_pixels.setToolTip("How many pixels Grow and Shrink move the mask's edge")
        grow, shrink = QPushButton("Grow"), QPushButton("Shrink")
        grow.clicked.connect(lambda: self.mask_op_requested.emit("grow", self.grow_pixels.value()))
        shrink.clicked.connect(lambda: self.mask_op_requested.emit("shrink", self.grow_pixels.value()))
        grow.setToolTip("Widen the mask by the pixels beside it: covers a damaged edge the brush missed")
        shrink.setToolTip("Narrow the mask by the pixels beside it")
        form.addRow(_row(self.grow_pixels, grow, shrink))
        return box

    def _fraction_slider(self, signal) -> QLabeledDoubleSlider:
        slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        slider.setRange(0.0, 1.0)
        slider.setDecimals(2)
        slider.valueChanged.connect(lambda v: signal.emit(float(v)))
        return slider

    def _build_fill_group(self) -> QGroupBox:
        box = QGroupBox("Fill")
        form = QFormLayout(box)
        self.method_combo = _method_combo("fill")
        self.method_combo.currentIndexChanged.connect(self._on_method_changed)
        self.method_combo.setToolTip("How the masked area is filled; hover over an item for what it does")
        form.addRow("Method", self.method_combo)
        self.fill_network = self._add_network_row(form, "fill", self.method_combo)
        self.radius_spin = QSpinBox()
        self.radius_spin.setRange(1, 50)
        self.radius_spin.setValue(5)
        self.radius_spin.setSuffix(" px")
        self.radius_spin.setToolTip("How far around each hole the OpenCV methods look")
        form.addRow("Radius", self.radius_spin)
        self.fill_button = QPushButton("Fill")
        self.fill_button.setObjectName("primary")
        self.fill_button.setToolTip("Fill the masked area (Ctrl+Return)")
        self.fill_button.clicked.connect(
            lambda: self.fill_requested.emit(self.method(), self.radius_spin.value()))
        form.addRow(self.fill_button)
        return box


    def _build_enhance_group(self) -> QGroupBox:
        box = QGroupBox("Denoise and upscale (whole photo)")
        form = QFormLayout(box)
        self.denoise_method, self.noise_kind = _method_combo("denoise"), keyed_combo(NOISE_KINDS)
        self.denoise_method.setToolTip("How noise is removed; hover over an item for what it does")
        self.noise_kind.setToolTip("Detect: the job measures the photo and says what it found. "
                                   "Grain: film grain or sensor noise. Specks: isolated black and white dots")
        self.denoise_strength = QSpinBox()
        self.denoise_strength.setRange(0, 100)
        self.denoise_strength.setValue(100)
        self.denoise_strength.setSuffix(" %")
        self.denoise_strength.setToolTip("How much of the change to keep: 100 % takes the denoised photo, "
                                         "50 % goes halfway (keeps some grain and fine texture)")
        self.denoise_button = QPushButton("Denoise")
        self.denoise_button.setToolTip("Denoise the whole photo; compare, then Apply or Revert")
        self.denoise_button.clicked.connect(lambda: self.denoise_requested.emit(
            self.denoise_method.currentData(), self.noise_kind.currentData()))
        self.denoise_found = QLabel("")
        self.denoise_found.setObjectName("hint")
        self.denoise_found.setWordWrap(True)
        form.addRow("Method", self.denoise_method)
        self.denoise_network = self._add_network_row(form, "denoise", self.denoise_method)
        form.addRow("Noise", self.noise_kind)
        form.addRow("Strength", self.denoise_strength)
        form.addRow(self.denoise_button)
        form.addRow(self.denoise_found)
        self.upscale_method = _method_combo("upscale")
        self.upscale_factor = QComboBox()
        for factor in UPSCALE_FACTORS:
            self.upscale_factor.addItem(f"×{factor}", factor)
        self.upscale_method.setToolTip("How the photo is enlarged; hover over an item for what it does")
        self.upscale_factor.setToolTip("How many times wider and taller the result is")
        self.upscale_button = QPushButton("Upscale")
        self.upscale_button.setToolTip("Enlarge the whole photo; compare with a plain enlargement, then Apply")
        self.upscale_button.clicked.connect(lambda: self.upscale_requested.emit(
            self.upscale_factor.currentData(), self.upscale_method.currentData()))
        form.addRow("Method", self.upscale_method)
        self.upscale_network = self._add_network_row(form, "upscale", self.upscale_method)
        form.addRow(_row(self.upscale_factor, self.upscale_button))
        return box

    def _add_network_row(self, form: QFormLayout, task: str, method: QComboBox) -> QComboBox:
        """The Network row of ``task``'s group, for the network its operations run."""
        network = next(op.network for op in operations(task) if op.network)
        combo = _network_combo()
        form.addRow("Network", combo)
        form.setRowVisible(combo, False)    # until set_networks offers a choice
        self._networks[network] = (combo, form, method, task)
        method.currentIndexChanged.connect(self._update_networks)
        return combo

    def _build_compare_group(self) -> QGroupBox:
        box = QGroupBox("Compare")
        form = QFormLayout(box)
        self.split_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.split_slider.setRange(0.0, 1.0)
        self.split_slider.setDecimals(2)
        self.split_slider.setValue(0.5)
        self.split_slider.valueChanged.connect(lambda v: self.split_changed.emit(float(v)))
        self.split_slider.setToolTip("Where the line between Before (left) and After (right) is; "
                                     "you can also drag the line on the canvas")
        form.addRow("Before | After", self.split_slider)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setObjectName("primary")
        self.revert_button = QPushButton("Revert")
        self.apply_button.clicked.connect(self.apply_requested)
        self.apply_button.setToolTip("Keep the result in the photo (one undo step)")
        self.revert_button.setToolTip("Throw the result away; the photo stays as it was")
        self.revert_button.clicked.connect(self.revert_requested)
        form.addRow(_row(self.revert_button, self.apply_button))
        self.compare_hint = QLabel("Drag the line on the canvas or the slider to compare.")
        self.compare_hint.setObjectName("hint")
        self.compare_hint.setWordWrap(True)
        form.addRow(self.compare_hint)
        return box

    # -- state -------------------------------------------------------------------------
    def method(self) -> str:
        return self.method_combo.currentData()

    def set_method(self, key: str) -> None:
        index = self.method_combo.findData(key)
        if index >= 0:
            self.method_combo.setCurrentIndex(index)
        self._on_method_changed()  # also when the index did not change

    def _on_method_changed(self) -> None:
        self.radius_spin.setEnabled("radius" in operation("fill", self.method()).options)

    def network_tasks(self) -> tuple[str, ...]:
        """The network tasks the panel has a Network list for (``inpaint``, ``denoise``, ``sr``)."""
        return tuple(self._networks)

    def network(self, task: str) -> str | None:
        """The chosen network for ``task`` (``inpaint``, ``denoise``, ``sr``): a shipped
        model name or a user checkpoint's weights path; None before any is offered."""
        return self._networks[task][0].currentData()

    def set_network(self, task: str, model: str) -> bool:
        """Choose ``model`` in the task's Network list; False when it is not offered."""
        combo = self._networks[task][0]
        index = combo.findData(model)
        if index >= 0:
            combo.setCurrentIndex(index)
        return index >= 0

    def set_networks(self, task: str, choices: Sequence[tuple[str, str, str]]) -> str | None:
        """Offer ``choices`` (model, label, tooltip), the shipped network first.

        The current choice is kept when it is still offered. Returns the label of
        a choice that is gone (the list then falls back to the first entry), else None.
        The row is shown only when there is something to choose between.
        """
        combo, form, _, _ = self._networks[task]
        previous, previous_label = combo.currentData(), combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        for model, label, tip in choices:
            combo.addItem(label, model)
            combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        kept = combo.findData(previous) if previous is not None else -1
        combo.setCurrentIndex(max(kept, 0))
        combo.blockSignals(False)
        form.setRowVisible(combo, combo.count() > 1)
        self._update_networks()
        return previous_label if previous is not None and kept < 0 else None

    def _update_networks(self) -> None:
        for combo, _, method, task in self._networks.values():
            combo.setEnabled(operation(task, method.currentData()).network is not None)

    def set_comparing(self, comparing: bool) -> None:
        for w in (self.apply_button, self.revert_button, self.split_slider):
            w.setEnabled(comparing)
        self.compare_hint.setVisible(comparing)

    def set_busy(self, busy: bool) -> None:
        for button in (self.fill_button, self.denoise_button, self.upscale_button):
            button.setEnabled(not busy)

    def show_brush(self, size: float, hardness: float, mode: str) -> None:
        """Reflect the canvas brush without re-emitting change signals."""
        for slider, value in ((self.size_slider, int(round(size))), (self.hardness_slider, hardness)):
            slider.blockSignals(True)
            slider.setValue(value)
            slider.blockSignals(False)

    def show_opacity(self, opacity: float) -> None:
        self.opacity_slider.blockSignals(True)
        self.opacity_slider.setValue(opacity)
        self.opacity_slider.blockSignals(False)

    def show_split(self, fraction: float) -> None:
        self.split_slider.blockSignals(True)
        self.split_slider.setValue(fraction)
        self.split_slider.blockSignals(False)
