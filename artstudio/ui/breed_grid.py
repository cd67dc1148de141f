"""A grid of children around the current image; clicking one adopts it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from .image_view import ImageView

COLUMNS = 3


class BreedGrid(QWidget):
    child_chosen = Signal(int)

    def __init__(self, count: int = 12, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(6)
        self.views: list[ImageView] = []
        for i in range(count):
            view = ImageView(placeholder="…")
            view.setToolTip("Click to make this child the current image")
            view.clicked.connect(lambda i=i: self.child_chosen.emit(i))
            grid.addWidget(view, i // COLUMNS, i % COLUMNS)
            self.views.append(view)

    def set_children(self, images: np.ndarray | None) -> None:
        """``images``: uint8 (N, H, W, 3), N <= the grid size; None clears."""
        for i, view in enumerate(self.views):
            view.set_image(None if images is None or i >= len(images) else images[i])
