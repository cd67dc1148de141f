"""A small live line chart of training losses (one line per loss name, x = step).

Painted with QPainter so it needs no plotting library at start-up and works
offscreen. When every value is positive and they span more than a factor of
``LOG_RATIO`` (a VAE's reconstruction and KL terms), the y axis turns
logarithmic so no line is flattened against the bottom.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

COLOURS = [QColor(74, 144, 226), QColor(235, 130, 70), QColor(110, 200, 120), QColor(210, 100, 200),
           QColor(230, 200, 80), QColor(120, 210, 220)]
LOG_RATIO = 30.0
MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 14, 28, 24


def tick_label(value: float) -> str:
    """A short axis label: ``0.0123``, ``2.5``, ``8517``, ``13.4k``, ``1.2e-05``."""
    size = abs(value)
    if size == 0:
        return "0"
    if size < 1e-3 or size >= 1e7:
        return f"{value:.1e}"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    if size >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


class LossChart(QWidget):
    """``add_point(step, losses)`` appends; ``clear()`` starts over; ``series`` holds the data."""

    placeholder = "Losses appear here once training starts"
    axis_label = "step"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.series: dict[str, list[tuple[int, float]]] = {}
        self.steps = 0
        self.setMinimumSize(240, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(480, 220)

    def clear(self, steps: int = 0) -> None:
        self.series, self.steps = {}, steps
        self.update()

    def add_point(self, step: int, losses: dict[str, float], steps: int | None = None) -> None:
        for name, value in losses.items():
            if math.isfinite(value):
                self.series.setdefault(name, []).append((int(step), float(value)))
        if steps is not None:
            self.steps = int(steps)
        self.update()

    # -- geometry --------------------------------------------------------------------
    def _ranges(self) -> tuple[float, float, float, float, bool]:
        values = [v for points in self.series.values() for _, v in points]
        xs = [s for points in self.series.values() for s, _ in points]
        x0, x1 = min(xs), max(max(xs), self.steps)
        lo, hi = min(values), max(values)
        log_scale = lo > 0 and hi / lo > LOG_RATIO
        if log_scale:
            lo, hi = math.log10(lo), math.log10(hi)
        pad = (hi - lo) * 0.08 or max(abs(hi) * 0.1, 1e-3)
        return x0, max(x1, x0 + 1), lo - pad, hi + pad, log_scale

    # -- painting --------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 33))
        if not self.series:
            painter.setPen(QColor(140, 140, 146))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            painter.end()
            return
        x0, x1, y0, y1, log_scale = self._ranges()
        labels = [tick_label(10 ** v if log_scale else v) for v in (y0 + i / 4 * (y1 - y0) for i in range(5))]
        left = max(painter.fontMetrics().horizontalAdvance(t) for t in labels) + 12
        plot = QRectF(left, MARGIN_TOP, self.width() - left - MARGIN_RIGHT,
                      self.height() - MARGIN_TOP - MARGIN_BOTTOM)
        if plot.width() < 20 or plot.height() < 20:
            painter.end()
            return

        def to_point(step: float, value: float) -> QPointF:
            if log_scale:
                value = math.log10(max(value, 1e-12))
            return QPointF(plot.left() + (step - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (value - y0) / (y1 - y0) * plot.height())

        self._draw_axes(painter, plot, x0, x1, labels, log_scale)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setClipRect(plot.adjusted(-2, -2, 2, 2))
        stride = max(1, len(max(self.series.values(), key=len)) // max(int(plot.width()), 1))
        for index, (name, points) in enumerate(self.series.items()):
            shown = points[::stride] + ([points[-1]] if (len(points) - 1) % stride else [])
            path = QPainterPath(to_point(*shown[0]))
            for step, value in shown[1:]:
                path.lineTo(to_point(step, value))
            painter.setPen(QPen(COLOURS[index % len(COLOURS)], 1.6))
            painter.drawPath(path)
        painter.setClipping(False)
        self._draw_legend(painter, plot)
        painter.end()

    def _draw_axes(self, painter: QPainter, plot: QRectF, x0, x1, labels: list[str], log_scale: bool) -> None:
        grid, text = QColor(60, 60, 66), QColor(150, 150, 158)
        for i, label in enumerate(labels):
            y = plot.bottom() - i / 4 * plot.height()
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            painter.drawText(QRectF(0, y - 8, plot.left() - 6, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        painter.setPen(text)
        bottom = QRectF(plot.left(), plot.bottom() + 4, plot.width(), MARGIN_BOTTOM - 4)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft, f"{int(x0)}")
        painter.drawText(bottom, Qt.AlignmentFlag.AlignHCenter,
                         self.axis_label + ("   (log scale)" if log_scale else ""))
        painter.drawText(bottom, Qt.AlignmentFlag.AlignRight, f"{int(x1)}")

    def legend_label(self, name: str, points: list[tuple[int, float]]) -> str:
        return f"{name} {points[-1][1]:.4g}"

    def _draw_legend(self, painter: QPainter, plot: QRectF) -> None:
        x = plot.left()
        for index, (name, points) in enumerate(self.series.items()):
            colour = COLOURS[index % len(COLOURS)]
            label = self.legend_label(name, points)
            painter.fillRect(QRectF(x, 9, 12, 4), colour)
            painter.setPen(QColor(220, 220, 226))
            width = painter.fontMetrics().horizontalAdvance(label)
            painter.drawText(QRectF(x + 16, 2, width + 4, 18), Qt.AlignmentFlag.AlignVCenter, label)
            x += width + 34
