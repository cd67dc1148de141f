"""The Restore panel's Stylize group: a style image, a mode, where, strength and the options.

The modes and their menu text come from the restore-operation registry
(task ``stylize``); the panel only asks (signals) and reports (labels);
:class:`~.stylize_controller.Stylizer` decides what happens.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget)
from superqt import QLabeledSlider

from ..core.colour_transfer import METHODS
from ..jobs.operations import operations
from ..jobs.stylize import DEFAULT_SIZE, DEFAULT_STEPS, DRAFT_SIZE, MAX_STEPS, SIZES
from .qimage import to_qimage
from .widgets import keyed_combo

WHERE = {"whole": "Whole photo", "inside": "Inside the mask", "two": "Mask + another style outside"}
COLOUR_LABELS = {"mkl": "Colour covariance (MKL)", "reinhard": "Mean and spread (Reinhard)",
                 "histogram": "Histograms"}
CAVEAT = ("Takes colour mood, grain and brush-like texture from a picture, not its meaning: "
          "it does not know a face from a sky. Paint a mask to keep parts as they are.")
THUMB = 40


class StylizePanel(QGroupBox):
    """Signals: ``choose_requested(which)`` (``style`` | ``outside``), ``stylize_requested(refine)``,
    ``export_requested``."""

    choose_requested = Signal(str)
    stylize_requested = Signal(bool)
    export_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Stylize", parent)
        form = self._form = QFormLayout(self)
        caveat = QLabel(CAVEAT)
        caveat.setObjectName("hint")
        caveat.setWordWrap(True)
        form.addRow(caveat)
        self.style_button, self.style_label, self.style_thumb = self._style_row("style", "Style")
        self.mode_combo = keyed_combo({op.key: op.label for op in operations("stylize")})
        self.mode_combo.setToolTip("Match colours: instant. Paint like this: brush-like marks and colour "
                                   "(optimised, seconds). Transfer texture: the style's patches (optimised)")
        form.addRow("Mode", self.mode_combo)
        self.where_combo = keyed_combo(WHERE)
        self.where_combo.setToolTip("Whole photo; only where the mask is painted (the rest stays exactly "
                                    "as it is); or the mask in one style and the rest in another")
        form.addRow("Where", self.where_combo)
        self.outside_button, self.outside_label, self.outside_thumb = self._style_row("outside", "Outside")
        self.colour_method = keyed_combo({key: COLOUR_LABELS[key] for key in METHODS})
        self.colour_method.setToolTip("MKL: all of the colour covariance. Reinhard: each Lab channel's mean "
                                      "and spread. Histograms: each of R, G and B")
        form.addRow("Colours", self.colour_method)
        self.strength = QLabeledSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setValue(100)
        self.strength.setToolTip("How much of the effect to keep, in percent: 0 keeps the photo")
        form.addRow("Strength %", self.strength)
        self._build_options(form)
        self._build_buttons(form)
        self.mode_combo.currentIndexChanged.connect(self._update)
        self.where_combo.currentIndexChanged.connect(self._update)
        self._update()

    def _style_row(self, which: str, label: str):
        button = QPushButton("Choose…")
        button.setToolTip("A painting or a photo whose look to take (at least 64 px a side)"
                          if which == "style" else "The style for where the mask is not painted")
        button.clicked.connect(lambda: self.choose_requested.emit(which))
        name = QLabel("none")
        name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)   # a long name is cut, not widening
        name.setObjectName("hint")
        name.setToolTip("No style image chosen yet")
        thumb = QLabel()
        thumb.setFixedSize(THUMB, THUMB)
        thumb.setToolTip("The style image")
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        column = QVBoxLayout()                 # the name gets the whole width, the button sits under it
        column.setSpacing(2)
        column.addWidget(name)
        column.addWidget(button)
        row.addWidget(thumb)
        row.addLayout(column, 1)
        self._form.addRow(label, holder)
        return button, name, thumb

    def _build_options(self, form: QFormLayout) -> None:
        self.preserve = QCheckBox("Preserve colours")
        self.preserve.setToolTip("Change the brightness only (brush marks, grain); keep the photo's colours")
        form.addRow(self.preserve)
        self.softmax = QCheckBox("Softmax features (SWAG)")
        self.softmax.setToolTip("Smooth the random features with a softmax (Wang, Li & Vasconcelos 2021): "
                                "softer, broader marks")
        form.addRow(self.softmax)
        self.content_weight = QDoubleSpinBox()
        self.content_weight.setRange(0.0, 20.0)
        self.content_weight.setSingleStep(0.25)
        self.content_weight.setValue(1.0)
        self.content_weight.setToolTip("How much of the photo's shapes to keep: 0 = style only, "
                                       "1 = balanced, higher = closer to the photo")
        form.addRow("Keep photo", self.content_weight)
        self.steps = QSpinBox()
        self.steps.setRange(10, MAX_STEPS)
        self.steps.setSingleStep(20)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Optimisation steps: more take longer and follow the style more closely")
        form.addRow("Steps", self.steps)
        self.size = keyed_combo({str(s): f"{s} px" for s in SIZES if s > DRAFT_SIZE})
        self.size.setCurrentIndex(max(0, self.size.findData(str(DEFAULT_SIZE))))
        self.size.setToolTip("Refine works at this long side; a bigger photo gets the change carried "
                             "back to its full size")
        form.addRow("Refine size", self.size)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The random filters: the same seed gives the same picture")
        form.addRow("Seed", self.seed)

    def _build_buttons(self, form: QFormLayout) -> None:
        self.stylize_button = QPushButton("Stylize")
        self.stylize_button.setObjectName("primary")
        self.stylize_button.setToolTip(f"Stylize; paint and texture first as a quick {DRAFT_SIZE}-px draft. "
                                       "Compare, then Apply or Revert")
        self.stylize_button.clicked.connect(lambda: self.stylize_requested.emit(False))
        self.refine_button = QPushButton("Refine")
        self.refine_button.setToolTip("Stylize again at the Refine size, with the same settings and seed")
        self.refine_button.clicked.connect(lambda: self.stylize_requested.emit(True))
        self.refine_button.setEnabled(False)
        row = QHBoxLayout()
        row.addWidget(self.stylize_button)
        row.addWidget(self.refine_button)
        form.addRow(row)
        self.export_button = QPushButton("Export PNG with recipe…")
        self.export_button.setToolTip("Write the photo as a PNG recording each applied stylisation "
                                      "(mode, style file hash, weights, seed, steps)")
        self.export_button.clicked.connect(self.export_requested.emit)
        form.addRow(self.export_button)

    # -- state ----------------------------------------------------------------------------
    def mode(self) -> str:
        return self.mode_combo.currentData()

    def where(self) -> str:
        return self.where_combo.currentData()

    def set_mode(self, key: str) -> None:
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(key)))

    def set_where(self, key: str) -> None:
        self.where_combo.setCurrentIndex(max(0, self.where_combo.findData(key)))

    def options(self, refine: bool) -> dict:
        """The :class:`~artstudio.jobs.operations.RestoreRequest` fields the panel sets (not the images)."""
        size = int(self.size.currentData()) if refine else DRAFT_SIZE
        return {"colour_method": self.colour_method.currentData(), "strength": self.strength.value() / 100.0,
                "preserve_colour": self.preserve.isChecked(), "steps": self.steps.value(), "size": size,
                "content_weight": self.content_weight.value(), "softmax": self.softmax.isChecked(),
                "seed": self.seed.value()}

    def show_style(self, which: str, name: str, tip: str, thumbnail: np.ndarray | None) -> None:
        """Name and thumbnail (``uint8 (h, w, 3)``) of the chosen style image."""
        label, thumb = (self.style_label, self.style_thumb) if which == "style" else \
            (self.outside_label, self.outside_thumb)
        label.setText(name)
        label.setToolTip(tip)
        thumb.setPixmap(QPixmap.fromImage(to_qimage(thumbnail)) if thumbnail is not None else QPixmap())

    def set_busy(self, busy: bool) -> None:
        self.stylize_button.setEnabled(not busy)
        if busy:
            self.refine_button.setEnabled(False)

    def set_refinable(self, refinable: bool) -> None:
        self.refine_button.setEnabled(refinable and self.mode() != "colour")

    def _update(self) -> None:
        optimised = self.mode() != "colour"
        for widget in (self.preserve, self.content_weight, self.steps, self.size, self.seed):
            self._form.setRowVisible(widget, optimised)
        self._form.setRowVisible(self.softmax, self.mode() == "paint")
        self._form.setRowVisible(self.colour_method, not optimised)
        self._form.setRowVisible(self.outside_button.parentWidget(), self.where() == "two")
        self.refine_button.setVisible(optimised)
        if not optimised:
            self.refine_button.setEnabled(False)
