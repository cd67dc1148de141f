"""Status bar: compute device, image size, zoom, and the running job's progress."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar


# A message for the user (a refusal, an outcome) stays this long before a running job's
# progress text may replace it: progress ticks several times a second.
HOLD_S = 4.0


class StudioStatusBar(QStatusBar):
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.device_label = QLabel("Device: starting…")
        self.size_label = QLabel("")
        self.zoom_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedWidth(180)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job (Esc)")
        self.cancel_button.clicked.connect(self.cancel_requested)
        for w in (self.progress, self.cancel_button, self.size_label, self.zoom_label, self.device_label):
            self.addPermanentWidget(w)
        self._hold_until = 0.0
        self.set_busy(False)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt's name)
        """Show ``text``; the job's progress text waits until it has been up :data:`HOLD_S`."""
        super().showMessage(text, timeout)
        hold = HOLD_S if timeout <= 0 else min(HOLD_S, timeout / 1000.0)
        self._hold_until = time.monotonic() + hold

    def set_device(self, text: str) -> None:
        self.device_label.setText(text)

    def set_image_size(self, width: int, height: int) -> None:
        self.size_label.setText(f"{width} × {height} px" if width else "")

    def set_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f}%")

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if not busy:
            self.progress.setValue(0)

    def set_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        if message and time.monotonic() >= self._hold_until:
            super().showMessage(message, 4000)  # fades once the job stops reporting
