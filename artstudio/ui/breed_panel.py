"""The Breed tab: mutate the current image into a grid of children, or cross two favourites."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt import QLabeledDoubleSlider


def _fraction_slider(value: float) -> QLabeledDoubleSlider:
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setRange(0.0, 1.0)
    slider.setDecimals(2)
    slider.setValue(value)
    return slider


BREED_TEXT = "Breed 12 children"
HINT_TEXT = "Click a child in the grid to continue from it."


class BreedPanel(QWidget):
    breed_requested = Signal(float)                 # mutation strength
    cross_requested = Signal(int, int, float, str)  # favourite a, favourite b, blend, mode

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        box = QGroupBox("Children")
        form = QFormLayout(box)
        self.strength = _fraction_slider(0.3)
        self.strength.setToolTip("0: copies of the parent, 1: unrelated images")
        form.addRow("Mutation", self.strength)
        self.breed_button = QPushButton(BREED_TEXT)
        self.breed_button.setObjectName("primary")
        self.breed_button.setToolTip("Mutate the current image into 12 children in the grid")
        self.breed_button.clicked.connect(lambda: self.breed_requested.emit(float(self.strength.value())))
        form.addRow(self.breed_button)
        self.hint = QLabel(HINT_TEXT)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        form.addRow(self.hint)
        layout.addWidget(box)

        cross = QGroupBox("Crossover of two favourites")
        form = QFormLayout(cross)
        self.parent_a, self.parent_b = QComboBox(), QComboBox()
        self.parent_a.setToolTip("The first parent: a favourite (♥, F)")
        self.parent_b.setToolTip("The second parent: a favourite (♥, F)")
        form.addRow("Parent A", self.parent_a)
        form.addRow("Parent B", self.parent_b)
        self.blend = _fraction_slider(0.5)
        self.blend.setToolTip("0: parent A, 1: parent B")
        form.addRow("Blend A→B", self.blend)
        self.mode = QComboBox()
        self.mode.addItem("Smooth (slerp)", "slerp")
        self.mode.addItem("Mix components", "mix")
        self.mode.setToolTip("Smooth: a point on the arc from A to B. Mix: each latent value taken from A or B")
        form.addRow("Mode", self.mode)
        self.cross_button = QPushButton("Cross")
        self.cross_button.setToolTip("Continue from a child of parents A and B (needs two favourites)")
        self.cross_button.clicked.connect(self._on_cross_clicked)
        form.addRow(self.cross_button)
        layout.addWidget(cross)
        layout.addStretch(1)
        self.set_favourites([])

    def show_parent(self, picked: int | None, has_children: bool) -> None:
        """Say what the next Breed starts from: the picked child ``picked`` (from 0), or the current image."""
        if picked is not None:
            self.breed_button.setText(f"Breed again around child #{picked + 1}")
            self.hint.setText(f"Child #{picked + 1} is the parent now (framed in the grid).")
        else:
            self.breed_button.setText(BREED_TEXT)
            self.hint.setText(HINT_TEXT if has_children else "")

    def set_favourites(self, labels: list[str]) -> None:
        for combo, default in ((self.parent_a, 0), (self.parent_b, 1)):
            combo.clear()
            combo.addItems(labels)
            combo.setCurrentIndex(min(default, len(labels) - 1))
        self.cross_button.setEnabled(len(labels) >= 2)

    def _on_cross_clicked(self) -> None:
        self.cross_requested.emit(self.parent_a.currentIndex(), self.parent_b.currentIndex(),
                                  float(self.blend.value()), self.mode.currentData())
