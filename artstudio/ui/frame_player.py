"""Plays rendered animation frames in a loop, for the Animate tab's preview."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal


class FramePlayer(QObject):
    """Shows frames one after another, forever, until stopped.

    The preview is asked for first (:meth:`expect`) and rendered on the job
    thread, so the player knows three states: idle, waiting for frames, playing.

    Signals
    -------
    frame(numpy.ndarray) : the next frame to show, uint8 (H, W, 3).
    """

    frame = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._frames: np.ndarray | None = None
        self._index = 0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def active(self) -> bool:
        """Waiting for frames or playing them (the main view belongs to the player)."""
        return self._frames is not None

    def expect(self) -> None:
        """Frames are being rendered: hold the view for them."""
        self._timer.stop()
        self._frames = np.zeros((0,), np.uint8)

    def play(self, frames: np.ndarray, fps: float) -> None:
        """Start showing ``frames`` (uint8 (F, H, W, 3)) at ``fps``."""
        self._frames, self._index = frames, 0
        self._timer.start(int(1000 / max(fps, 1)))

    def stop(self) -> None:
        self._timer.stop()
        self._frames = None

    def _on_timer_timeout(self) -> None:
        if self._frames is None or len(self._frames) == 0:
            return
        self.frame.emit(self._frames[self._index % len(self._frames)])
        self._index += 1
