"""The Animate tab: interpolate between favourites, preview, export an animation."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)


class AnimatePanel(QWidget):
    preview_requested = Signal(int, bool)          # frames, loop
    stop_requested = Signal()
    export_requested = Signal(int, float, bool, int)  # frames, fps, loop, size

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        box = QGroupBox("Interpolation between favourites")
        form = QFormLayout(box)
        self.keys_label = QLabel("")
        self.keys_label.setObjectName("hint")
        self.keys_label.setWordWrap(True)
        form.addRow(self.keys_label)
        self.frames = QSpinBox()
        self.frames.setRange(2, 600)
        self.frames.setValue(48)
        self.frames.setToolTip("How many pictures the whole path has")
        form.addRow("Frames", self.frames)
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(24)
        self.fps.setToolTip("Playback speed of the preview and of the exported file")
        form.addRow("Frames per second", self.fps)
        self.loop = QCheckBox("Loop back to the first")
        self.loop.setChecked(True)
        self.loop.setToolTip("Return from the last favourite to the first and play forever")
        form.addRow(self.loop)
        self.size = QSpinBox()
        self.size.setRange(32, 2048)
        self.size.setValue(256)
        self.size.setSuffix(" px")
        self.size.setToolTip("The side of the exported frames (square)")
        form.addRow("Export size", self.size)
        buttons = QHBoxLayout()
        self.preview_button = QPushButton("Preview")
        self.stop_button = QPushButton("Stop")
        self.export_button = QPushButton("Export GIF / APNG / WebP…")
        self.export_button.setObjectName("primary")
        self.preview_button.setToolTip("Render the path through the favourites and play it in the main view")
        self.stop_button.setToolTip("Stop the preview and show the current image again")
        self.export_button.setToolTip("Write the animation; the file extension picks GIF, APNG (.png) or WebP")
        self.preview_button.clicked.connect(
            lambda: self.preview_requested.emit(self.frames.value(), self.loop.isChecked()))
        self.stop_button.clicked.connect(self.stop_requested)
        self.export_button.clicked.connect(lambda: self.export_requested.emit(
            self.frames.value(), float(self.fps.value()), self.loop.isChecked(), self.size.value()))
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.stop_button)
        form.addRow(buttons)
        form.addRow(self.export_button)
        layout.addWidget(box)
        layout.addStretch(1)
        self.set_key_count(0)

    def frames_per_second(self) -> int:
        """The preview's and the export's speed."""
        return self.fps.value()

    def set_key_count(self, count: int) -> None:
        enough = count >= 2
        self.keys_label.setText(f"{count} favourites as keyframes, in order." if enough else
                                "Add at least two favourites (♥) to animate between them.")
        for w in (self.preview_button, self.export_button):
            w.setEnabled(enough)
