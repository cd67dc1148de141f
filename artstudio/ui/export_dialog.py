"""Export PNG: the size and shape of the picture, with aspect presets."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox,
                               QVBoxLayout)

MIN_SIDE, MAX_SIDE = 16, 16384
CUSTOM = 0.0
# (label, width / height); CUSTOM leaves the height alone.
PRESETS = (("Square 1:1", 1.0), ("Landscape 4:3", 4 / 3), ("Landscape 3:2", 3 / 2), ("Wide 16:9", 16 / 9),
           ("Portrait 3:4", 3 / 4), ("Portrait 2:3", 2 / 3), ("Tall 9:16", 9 / 16), ("Custom", CUSTOM))


def fit_note(kind: str, model: str, native: int) -> str:
    """What the export does with the chosen shape, for the model kind at hand."""
    if kind == "cppn":
        return f"{model} paints any size and shape natively: every pixel is rendered, none stretched."
    return (f"{model} paints {native}×{native} squares: the square is enlarged (super-resolution where "
            "installed, then Lanczos) and a wide or tall picture keeps its centre, cropped, never stretched.")


class ExportSizeDialog(QDialog):
    """Width, height and an aspect preset; :meth:`chosen_size` is ``(width, height)`` in pixels."""

    def __init__(self, kind: str, model: str, native: int, start: tuple[int, int], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export PNG")
        form = QFormLayout()
        self.preset = QComboBox()
        for label, ratio in PRESETS:
            self.preset.addItem(label, ratio)
        self.preset.setToolTip("The shape of the picture; the height follows the width")
        self.width_spin, self.height_spin = self._side(start[0], "Width"), self._side(start[1], "Height")
        form.addRow("Shape", self.preset)
        form.addRow("Width", self.width_spin)
        form.addRow("Height", self.height_spin)
        note = QLabel(fit_note(kind, model, native) + "\nThe recipe is embedded: open the PNG to continue.")
        note.setObjectName("hint")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip("Choose where to save (Enter)")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip("Export nothing (Esc)")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.preset.setCurrentIndex(self._preset_of(*start))
        self.preset.currentIndexChanged.connect(lambda _i: self._follow_width())
        self.width_spin.valueChanged.connect(lambda _v: self._follow_width())
        self.height_spin.valueChanged.connect(self._on_height_changed)

    def _side(self, value: int, name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(MIN_SIDE, MAX_SIDE)
        spin.setSuffix(" px")
        spin.setValue(max(MIN_SIDE, min(MAX_SIDE, int(value))))
        spin.setToolTip(f"{name} of the exported picture in pixels ({MIN_SIDE}–{MAX_SIDE})")
        return spin

    @staticmethod
    def _preset_of(width: int, height: int) -> int:
        for index, (_, ratio) in enumerate(PRESETS):
            if ratio != CUSTOM and round(width / ratio) == height:
                return index
        return len(PRESETS) - 1

    def _follow_width(self) -> None:
        ratio = self.preset.currentData()
        if ratio != CUSTOM:
            self.height_spin.blockSignals(True)
            self.height_spin.setValue(max(MIN_SIDE, min(MAX_SIDE, round(self.width_spin.value() / ratio))))
            self.height_spin.blockSignals(False)

    def _on_height_changed(self, _value: int) -> None:
        ratio = self.preset.currentData()
        if ratio != CUSTOM and round(self.width_spin.value() / ratio) != self.height_spin.value():
            self.preset.blockSignals(True)          # a typed height is a custom shape
            self.preset.setCurrentIndex(len(PRESETS) - 1)
            self.preset.blockSignals(False)

    def chosen_size(self) -> tuple[int, int]:
        return self.width_spin.value(), self.height_spin.value()
