"""Options of the clone stamp and the healing brush: Aligned, and where the source is."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QWidget

from ..core.clone import CloneTool


class CloneOptions(QWidget):
    """An Aligned checkbox and a "Source: x, y" label for a :class:`CloneTool` (or heal).

    ``hint_changed`` fires when the tool's hint reads differently (a source set or forgotten,
    Aligned toggled), so the options row can show the new one.
    """

    hint_changed = Signal()

    def __init__(self, tool: CloneTool, parent: QWidget | None = None):
        super().__init__(parent)
        self.tool = tool
        self.aligned_box = QCheckBox("Aligned")
        self.aligned_box.setChecked(tool.aligned)
        self.aligned_box.setToolTip("Checked: the source keeps its offset from stroke to stroke. "
                                    "Unchecked: every stroke starts again at the source point.")
        self.aligned_box.toggled.connect(self._on_aligned_toggled)
        self.source_label = QLabel()
        self.source_label.setToolTip("Ctrl+click (or Alt+click) on the image sets where to copy from.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.aligned_box)
        layout.addWidget(self.source_label)
        layout.addStretch(1)
        self._on_tool_source_changed(tool.source)
        tool.events.source_changed.connect(self._on_tool_source_changed)
        # The tool (Qt-free) outlives no widget in practice, but never call into a dead one.
        self.destroyed.connect(lambda *_: tool.events.source_changed.disconnect(self._on_tool_source_changed))

    def _on_aligned_toggled(self, checked: bool) -> None:
        self.tool.set_aligned(checked)
        self.hint_changed.emit()

    def _on_tool_source_changed(self, source) -> None:
        if source is None:
            self.source_label.setText("Source: not set (Ctrl+click)")
        else:
            self.source_label.setText(f"Source: {int(source[0])}, {int(source[1])}")
        self.hint_changed.emit()
