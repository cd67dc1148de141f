"""Options of the selection tools: the combine mode, the feather, and the
wand's tolerance and contiguity or colour range's fuzziness.

Each control writes straight into the Qt-free tool (a dataclass), which
reads it at the next gesture; nothing else holds the values.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QWidget
from superqt import QLabeledDoubleSlider

from ..core.selection import MODES, SelectionTool
from ..core.selection_colour import ColourRangeTool, MagicWandTool

MODE_LABELS = {"replace": "Replace", "add": "Add", "subtract": "Subtract", "intersect": "Intersect"}


class SelectionOptions(QWidget):
    """Mode and feather for any :class:`SelectionTool`, plus the colour tools' own settings."""

    def __init__(self, tool: SelectionTool, parent: QWidget | None = None):
        super().__init__(parent)
        self.tool = tool
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.mode_combo = QComboBox()
        for mode in MODES:
            self.mode_combo.addItem(MODE_LABELS[mode], mode)
        self.mode_combo.setCurrentIndex(MODES.index(tool.mode))
        self.mode_combo.setToolTip("What a new selection does to the mask when no key is held. "
                                   "Held at the press: Shift adds, Alt/Ctrl subtracts, Shift+Alt intersects.")
        self.mode_combo.currentIndexChanged.connect(self._on_mode_combo_changed)
        self.feather_spin = _spin(0.0, 250.0, tool.feather, " px", 1)
        self.feather_spin.setToolTip("Softens the selection's edge: a Gaussian of this sigma, in image pixels.")
        self.feather_spin.valueChanged.connect(self._on_feather_changed)
        for widget in (QLabel("Mode"), self.mode_combo, QLabel("Feather"), self.feather_spin):
            layout.addWidget(widget)
        self.tolerance_spin = self.contiguous_box = self.fuzziness_slider = None
        if isinstance(tool, MagicWandTool):
            self._add_wand(layout, tool)
        if isinstance(tool, ColourRangeTool):
            self._add_colour_range(layout, tool)
        layout.addStretch(1)

    def _add_wand(self, layout: QHBoxLayout, tool: MagicWandTool) -> None:
        self.tolerance_spin = _spin(0.0, 100.0, tool.tolerance, " ΔE", 0)
        self.tolerance_spin.setToolTip("How far a colour may be from the clicked one (in L, a and b of CIELAB).")
        self.tolerance_spin.valueChanged.connect(self._on_tolerance_changed)
        self.contiguous_box = QCheckBox("Contiguous")
        self.contiguous_box.setChecked(tool.contiguous)
        self.contiguous_box.setToolTip("Checked: only pixels connected to the click. Unchecked: anywhere in the photo.")
        self.contiguous_box.toggled.connect(self._on_contiguous_toggled)
        for widget in (QLabel("Tolerance"), self.tolerance_spin, self.contiguous_box):
            layout.addWidget(widget)

    def _add_colour_range(self, layout: QHBoxLayout, tool: ColourRangeTool) -> None:
        self.fuzziness_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.fuzziness_slider.setRange(1.0, 200.0)
        self.fuzziness_slider.setDecimals(0)
        self.fuzziness_slider.setValue(tool.fuzziness)
        self.fuzziness_slider.setMinimumWidth(180)
        self.fuzziness_slider.setToolTip("Colours within half this distance (ΔE) are fully selected, "
                                         "fading to nothing at it.")
        self.fuzziness_slider.valueChanged.connect(self._on_fuzziness_changed)
        layout.addWidget(QLabel("Fuzziness"))
        layout.addWidget(self.fuzziness_slider)

    def _on_mode_combo_changed(self, index: int) -> None:
        self.tool.mode = self.mode_combo.itemData(index)

    def _on_feather_changed(self, value: float) -> None:
        self.tool.feather = float(value)

    def _on_tolerance_changed(self, value: float) -> None:
        self.tool.tolerance = float(value)

    def _on_contiguous_toggled(self, checked: bool) -> None:
        self.tool.contiguous = bool(checked)

    def _on_fuzziness_changed(self, value: float) -> None:
        self.tool.fuzziness = float(value)


def _spin(low: float, high: float, value: float, suffix: str, decimals: int) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSuffix(suffix)
    spin.setValue(value)
    spin.setKeyboardTracking(False)        # typing "25" sets 25, not 2 then 25
    return spin
