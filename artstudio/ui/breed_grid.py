"""A grid of children around the current image; clicking one adopts it and marks it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGridLayout, QWidget

from .image_view import ImageView

COLUMNS = 3
CHILD_TIP = "Click to continue from this child: it becomes the parent of the next Breed"
PARENT_TIP = "The picked child (the current image): Breed again to breed around it"
MARK = QColor(74, 144, 226)      # ImageView's selection frame


class _ChildView(ImageView):
    """A child's picture; the picked one is framed and tagged "parent"."""

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._selected:
            return
        painter = QPainter(self)
        tag = QRectF(6, 6, painter.fontMetrics().horizontalAdvance("parent") + 12, painter.fontMetrics().height() + 4)
        painter.fillRect(tag, MARK)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, "parent")
        painter.end()


class BreedGrid(QWidget):
    """Signals: ``child_chosen(int)`` the index of the child the user clicked."""

    child_chosen = Signal(int)

    def __init__(self, count: int = 12, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(6)
        self.views: list[ImageView] = []
        self.marked: int | None = None
        for i in range(count):
            view = _ChildView(placeholder="…")
            view.setToolTip(CHILD_TIP)
            view.clicked.connect(lambda i=i: self._on_view_clicked(i))
            grid.addWidget(view, i // COLUMNS, i % COLUMNS)
            self.views.append(view)

    def _on_view_clicked(self, index: int) -> None:
        if self.views[index].has_image():       # an empty cell (being rendered, or cleared) is no child
            self.child_chosen.emit(index)

    def set_children(self, images: np.ndarray | None) -> None:
        """``images``: uint8 (N, H, W, 3), N <= the grid size; None clears (and unmarks)."""
        for i, view in enumerate(self.views):
            view.set_image(None if images is None or i >= len(images) else images[i])
        if images is None:
            self.mark(None)

    def mark(self, index: int | None) -> None:
        """Frame child ``index`` as the picked parent; None unmarks."""
        self.marked = index if index is not None and 0 <= index < len(self.views) else None
        for i, view in enumerate(self.views):
            view.set_selected(i == self.marked)
            view.setToolTip(PARENT_TIP if i == self.marked else CHILD_TIP)
