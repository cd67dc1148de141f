"""The Explore tab: model, seed, truncation, named direction sliders, raw latent values."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QInputDialog, QLabel,
                               QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget)
from superqt import QLabeledDoubleSlider

SIGMA_RANGE = 3.0
MAX_SEED = 2**31 - 1
RAW_LATENT_MAX_DIM = 16
NO_SEED = -1            # the seed box's value for a latent no seed makes (a projection)
PROJECTED_TEXT = "none (projected)"


def _sigma_slider(lo: float = -SIGMA_RANGE, hi: float = SIGMA_RANGE) -> QLabeledDoubleSlider:
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setRange(lo, hi)
    slider.setDecimals(2)
    slider.setValue(0.0)
    return slider


class _SliderRow(QWidget):
    """A named slider; ``changed(index, value, dragging)``."""

    changed = Signal(int, float, bool)
    rename_requested = Signal(int)

    def __init__(self, index: int, name: str, lo: float, hi: float, tip: str = "", parent=None):
        super().__init__(parent)
        self.index = index
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QPushButton(name)
        self.label.setFlat(True)
        self.label.setFixedWidth(96)
        self.label.setToolTip("Click to rename this direction")
        self.label.clicked.connect(lambda: self.rename_requested.emit(self.index))
        self.slider = _sigma_slider(lo, hi)
        self.slider.setToolTip(tip)
        self.slider.valueChanged.connect(
            lambda v: self.changed.emit(self.index, float(v), self.slider.isSliderDown()))
        self.slider.sliderReleased.connect(
            lambda: self.changed.emit(self.index, float(self.slider.value()), False))
        row.addWidget(self.label)
        row.addWidget(self.slider, 1)

    def show_value(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(value)
        self.slider.blockSignals(False)


class LatentPanel(QWidget):
    """Controls that move through one model's latent space."""

    model_selected = Signal(str)
    seed_changed = Signal(int)
    randomize_requested = Signal()
    truncation_changed = Signal(float, bool)
    edit_changed = Signal(int, float, bool)          # direction index, sigma, dragging
    reset_requested = Signal()
    direction_renamed = Signal(int, str)
    raw_changed = Signal(int, float, bool)           # component index, value, dragging

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_source())
        self.directions_box = QGroupBox("Directions (σ)")
        self.directions_layout = QVBoxLayout(self.directions_box)
        reset = QPushButton("Reset all")
        reset.setToolTip("Every direction back to 0: the picture of the seed (or projection) itself")
        reset.clicked.connect(self.reset_requested)
        self.directions_layout.addWidget(reset)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self._rows_host = QWidget()
        self._rows = QVBoxLayout(self._rows_host)
        self._rows.setSpacing(0)
        scroll.setWidget(self._rows_host)
        self.directions_layout.addWidget(scroll)
        layout.addWidget(self.directions_box, 2)
        self.raw_box = QGroupBox("Latent values")
        self._raw_layout = QVBoxLayout(self.raw_box)
        layout.addWidget(self.raw_box, 1)
        self.raw_box.setToolTip("The latent's own numbers, for models with a small latent (CPPN)")
        self.direction_rows: list[_SliderRow] = []
        self.raw_rows: list[_SliderRow] = []

    def _build_source(self) -> QGroupBox:
        box = QGroupBox("Generator")
        form = QFormLayout(box)
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("The generator to explore; choosing the one shown again keeps your place")
        self.model_combo.activated.connect(self._on_model_combo_activated)
        form.addRow("Model", self.model_combo)
        self.model_info = QLabel("")
        self.model_info.setObjectName("hint")
        self.model_info.setWordWrap(True)
        form.addRow(self.model_info)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(NO_SEED, MAX_SEED)
        self.seed_spin.setSpecialValueText(PROJECTED_TEXT)   # shown at NO_SEED
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("The seed of the starting latent: type one and press Enter to start from it.\n"
                                  f"'{PROJECTED_TEXT}': the latent was fitted to a picture; no seed makes it.")
        self.seed_spin.valueChanged.connect(self._on_seed_spin_changed)
        self._shown_seed: int | None = 0
        randomize = QPushButton("Randomize")
        randomize.setToolTip("A new random seed (R)")
        randomize.clicked.connect(self.randomize_requested)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(randomize)
        form.addRow("Seed", seed_row)
        self.truncation = _sigma_slider(0.1, 1.0)
        self.truncation.setValue(1.0)
        self.truncation.setToolTip("Pull the latent towards the average: lower is tamer, 1 is off")
        self.truncation.valueChanged.connect(
            lambda v: self.truncation_changed.emit(float(v), self.truncation.isSliderDown()))
        self.truncation.sliderReleased.connect(
            lambda: self.truncation_changed.emit(float(self.truncation.value()), False))
        self.truncation_label = QLabel("Truncation")
        form.addRow(self.truncation_label, self.truncation)
        return box

    # -- filling in ------------------------------------------------------------------
    def set_models(self, entries: list[tuple[str, str]], current: str) -> None:
        """``entries``: (name, label) pairs."""
        self.model_combo.clear()
        for name, label in entries:
            self.model_combo.addItem(label, name)
        index = self.model_combo.findData(current)
        self.model_combo.setCurrentIndex(max(index, 0))

    def _on_model_combo_activated(self, _index: int) -> None:
        # activated fires even when the chosen item is the one already shown: the
        # workspace decides whether that is a change (issue 15 B4)
        if self.model_combo.currentData() is not None:
            self.model_selected.emit(self.model_combo.currentData())

    def _on_seed_spin_changed(self, value: int) -> None:
        if value >= 0:
            self.seed_changed.emit(value)
        else:                       # stepped below 0 by hand: "no seed" is not a seed to start from
            self._show_seed(self._shown_seed)

    def _show_seed(self, seed: int | None) -> None:
        self._shown_seed = seed
        self.seed_spin.blockSignals(True)
        self.seed_spin.setValue(NO_SEED if seed is None else min(int(seed), MAX_SEED))  # CLI seeds can be larger
        self.seed_spin.blockSignals(False)

    def current_model(self) -> str | None:
        """The model chosen in the combo box (None when the list is empty)."""
        return self.model_combo.currentData()

    def show_model(self, name: str, about: str | None, directions: int, names: dict[int, str],
                   latent_dim: int, is_gan: bool) -> None:
        """Rebuild the controls for a newly loaded model.

        ``about`` (description and licence) is shown under the combo box, which
        switches to ``name``; None (a model not in the list) leaves both as they are.
        """
        self.set_directions(directions, names)
        self.set_raw_dim(latent_dim)
        self.set_gan_controls(is_gan)
        if about is not None:
            self.model_info.setText(about)
            self.model_combo.setCurrentIndex(self.model_combo.findData(name))

    def set_directions(self, count: int, names: dict[int, str]) -> None:
        while self._rows.count():  # rows and the trailing stretch of the previous model
            item = self._rows.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.direction_rows = []
        for i in range(count):
            row = _SliderRow(i, names.get(i, f"Direction {i + 1}"), -SIGMA_RANGE, SIGMA_RANGE,
                             f"Move along direction {i + 1} (strongest first), in standard deviations; "
                             "Ctrl+Z undoes a whole drag")
            row.changed.connect(self.edit_changed)
            row.rename_requested.connect(self._ask_rename)
            self._rows.addWidget(row)
            self.direction_rows.append(row)
        self._rows.addStretch(1)

    def set_raw_dim(self, dim: int) -> None:
        for row in self.raw_rows:
            row.deleteLater()
        self.raw_rows = []
        self.raw_box.setVisible(dim <= RAW_LATENT_MAX_DIM)
        if dim > RAW_LATENT_MAX_DIM:
            return
        for i in range(dim):
            row = _SliderRow(i, f"z[{i}]", -SIGMA_RANGE, SIGMA_RANGE, f"Latent value {i} itself")
            row.label.setEnabled(False)
            row.label.setToolTip(f"Latent value {i}")
            row.changed.connect(self.raw_changed)
            self._raw_layout.addWidget(row)
            self.raw_rows.append(row)

    def show_state(self, seed: int | None, truncation: float, edits: dict[int, float],
                   names: dict[int, str], raw) -> None:
        """Reflect a latent state without emitting change signals (``seed`` None: a projection)."""
        self._show_seed(seed)
        self.truncation.blockSignals(True)
        self.truncation.setValue(truncation)
        self.truncation.blockSignals(False)
        for row in self.direction_rows:
            row.show_value(edits.get(row.index, 0.0))
            row.label.setText(names.get(row.index, f"Direction {row.index + 1}"))
        for row in self.raw_rows:
            row.show_value(float(raw[row.index]))

    def set_gan_controls(self, is_gan: bool) -> None:
        self.truncation.setVisible(is_gan)
        self.truncation_label.setVisible(is_gan)

    def _ask_rename(self, index: int) -> None:
        current = self.direction_rows[index].label.text()
        name, ok = QInputDialog.getText(self, "Name this direction",
                                        "What does this slider change (e.g. smile, hair)?", text=current)
        if ok and name.strip():
            self.direction_renamed.emit(index, name.strip()[:40])
