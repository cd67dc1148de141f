"""The middle of the Train workspace: the run's samples, loss and quality charts, stats line,
progress bar and log, with the run's elapsed-time clock."""

from __future__ import annotations

import dataclasses
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget

from ..jobs.quality import CHART, QualityPoint
from ..jobs.train_common import TrainStats, format_eta
from .loss_chart import LossChart
from .quality_chart import QualityChart
from .sample_view import SampleView

LOG_LINES = 5000


class TrainMonitor(QWidget):
    """What a run shows while it trains; the workspace tells it the state."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.state = "idle"
        self.phase = "Starting…"
        self.last_stats: TrainStats | None = None
        self._elapsed, self._since = 0.0, None
        self._clock = QTimer(self, interval=1000)
        self._clock.timeout.connect(self.show_stats)
        self.samples = SampleView(placeholder="Samples from the model appear here while it trains.\n\n"
                                              "Choose a folder of images on the left and press Start.")
        self.chart = LossChart()
        self.quality = QualityChart(CHART)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setPlaceholderText("The run's log")
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.stats_label = QLabel("Not training")
        self.stats_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(6)
        self.open_button = QPushButton("Open in Generate")
        self.open_button.setObjectName("primary")
        self.open_button.setVisible(False)
        self.open_button.setToolTip("Open the model just trained in the Generate workspace")
        header = QHBoxLayout()
        header.addWidget(self.stats_label, 1)
        header.addWidget(self.open_button)
        # Sample grids are square: beside them, the chart and the log use the width a wide window has.
        readouts = QSplitter(Qt.Orientation.Vertical)
        readouts.addWidget(self.chart)
        readouts.addWidget(self.quality)
        readouts.addWidget(self.log)
        readouts.setSizes([1, 1, 1])
        middle = QSplitter(Qt.Orientation.Horizontal)
        middle.addWidget(self.samples)
        middle.addWidget(readouts)
        middle.setSizes([600, 440])       # proportions: the splitter scales them to its width
        middle.setCollapsible(0, False)
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 6, 4, 4)
        column.addLayout(header)
        column.addWidget(self.progress)
        column.addWidget(middle, 1)

    def begin(self, steps: int) -> None:
        """A new run: clear the chart, the samples and the stats."""
        self.last_stats, self.phase = None, "Starting…"
        self.open_button.setVisible(False)
        self.progress.setValue(0)
        self.chart.clear(steps)
        self.quality.clear(steps)
        self.samples.set_image(None)

    def set_state(self, state: str, active: bool, was_active: bool) -> None:
        """Run the clock while ``running``; reset it when a run becomes active."""
        if active and not was_active:
            self._elapsed, self._since = 0.0, None
        if state == "running" and self._since is None:
            self._since = time.monotonic()
            self._clock.start()
        elif state != "running" and self._since is not None:
            self._elapsed += time.monotonic() - self._since
            self._since = None
            self._clock.stop()
        self.state = state
        self.show_stats()

    def add_stats(self, event: TrainStats) -> None:
        self.last_stats = event
        self.chart.add_point(event.step, event.losses, event.steps)
        self.progress.setValue(int(round(event.step / max(event.steps, 1) * 1000)))
        self.show_stats()

    def add_quality(self, point: QualityPoint) -> None:
        self.quality.add_quality(point.step, point.figures)

    def end_at(self, step: int | None, steps: int | None) -> None:
        """The run ended at ``step``: the header says so, not the last step that sent stats
        (runs report every few steps; the log's "Stopped at step 252" is the truth)."""
        if self.last_stats is not None and step is not None:
            self.last_stats = dataclasses.replace(self.last_stats, step=int(step),
                                                  steps=int(steps or self.last_stats.steps), eta_seconds=0.0)
            self.show_stats()

    def set_phase(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(fraction * 1000)))
        if message:
            self.phase = message                  # e.g. "Reading images…" before the first step
            if self.last_stats is None:
                self.show_stats()

    def stop_clock(self) -> None:
        self._clock.stop()

    def elapsed_seconds(self) -> float:
        return self._elapsed + (time.monotonic() - self._since if self._since is not None else 0.0)

    def show_stats(self) -> None:
        s = self.last_stats
        if s is None:
            self.stats_label.setText({"idle": "Not training", "running": self.phase,
                                      "paused": f"Paused   ·   {self.phase}", "stopping": "Stopping…"}
                                     .get(self.state, self.state.capitalize()))
            return
        parts = [f"Step {s.step:,} / {s.steps:,}", f"{s.images_per_second:.1f} images/s"]
        if self.state == "running":
            parts.append(f"{format_eta(s.eta_seconds)} left")
        parts.append(f"{format_eta(self.elapsed_seconds())} elapsed")
        if self.state != "running":
            parts.append(self.state.capitalize())
        self.stats_label.setText("   ·   ".join(parts))

    def append_log(self, line: str) -> None:
        self.log.appendPlainText(line)
