"""The canvas tools the Restore workspace offers: one registry, one tool bar.

Each :class:`ToolEntry` names a Qt-free tool (``core``), its label, shortcut
and tooltip, and optionally the widget holding its options. The tool bar
beside the canvas and the Tools menu share one checkable QAction per entry,
so a shortcut exists once and the active tool is always shown checked.
Adding a tool is one entry in :data:`TOOLS` plus its core module (and its
options widget, if it has options).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget,
                               QToolBar, QWidget)
from superqt import QElidingLabel

from ..core.brush import ERASE, PAINT, Brush
from ..core.clone import CloneTool, HealTool
from ..core.selection import MODIFIER_HINT
from ..core.selection_colour import ColourRangeTool, MagicWandTool
from ..core.selection_object import ObjectSelectTool
from ..core.selection_shapes import LassoTool, PolygonLassoTool, ShapeSelectTool
from ..core.tools import MaskBrushTool, Tool, with_mode
from .clone_options import CloneOptions
from .selection_options import SelectionOptions
from .widgets import leave_focus_on


@dataclass(frozen=True)
class ToolEntry:
    """One tool of the tool bar.

    Attributes
    ----------
    key : str
        Stable name (settings, tests).
    label : str
        Tool-bar text and menu item.
    shortcut : str
        Its key (QKeySequence text), "" for none.
    tip : str
        Tooltip: what it does and how modifiers change it.
    make : callable
        ``(brush) -> Tool``: a new tool (made once, then kept while the window lives).
    options : callable or None
        ``(tool, parent) -> QWidget``: the tool's options, shown above the canvas.
    brush_mode : str or None
        For the brush tools: paint or erase when chosen.
    same_as : str or None
        Another entry whose tool this one drives (the eraser is the mask brush erasing).
    """

    key: str
    label: str
    shortcut: str
    tip: str
    make: Callable[[Brush], Tool]
    options: Callable[[Tool, QWidget], QWidget] | None = None
    brush_mode: str | None = None
    same_as: str | None = None


def _mask_brush(layer: str):
    return lambda brush: MaskBrushTool(brush, layer=layer)


TOOLS: tuple[ToolEntry, ...] = (
    ToolEntry("brush", "Brush", "B", "Paint the fill mask (X swaps to the eraser, [ ] resize).",
              _mask_brush("mask"), brush_mode=PAINT),
    ToolEntry("eraser", "Eraser", "E", "Erase the fill mask (X swaps to the brush).",
              _mask_brush("mask"), brush_mode=ERASE, same_as="brush"),
    ToolEntry("sample_from", "Sample area", "G",
              "Paint where a Content-aware fill may copy texture from (default: a band around the hole).",
              _mask_brush("sample_from"), brush_mode=PAINT),
    ToolEntry("sample_never", "Never sample", "Shift+G",
              "Paint what a Content-aware fill must never copy (a badge, a face, a logo).",
              _mask_brush("sample_never"), brush_mode=PAINT),
    ToolEntry("clone", "Clone", "S",
              "Clone stamp: Ctrl+click (or Alt+click) where to copy from, then paint; "
              "Aligned keeps the offset from stroke to stroke.", CloneTool, options=CloneOptions),
    ToolEntry("heal", "Heal", "J",
              "Healing brush: copies texture like Clone, blended into its surroundings so "
              "brightness and colour match (Ctrl/Alt+click sets the source).", HealTool, options=CloneOptions),
    ToolEntry("rect_select", "Rectangle", "M", f"Rectangle select: drag a box (Shift while dragging: square). "
              f"{MODIFIER_HINT}.", lambda brush: ShapeSelectTool(), options=SelectionOptions),
    ToolEntry("ellipse_select", "Ellipse", "Shift+M", f"Ellipse select: drag its box (Shift while dragging: "
              f"circle). {MODIFIER_HINT}.", lambda brush: ShapeSelectTool(ellipse=True), options=SelectionOptions),
    ToolEntry("lasso", "Lasso", "L", f"Freehand lasso: drag around the area. {MODIFIER_HINT}.",
              lambda brush: LassoTool(), options=SelectionOptions),
    ToolEntry("polygon", "Polygon lasso", "Shift+L", "Polygon lasso: click the corners; double-click or Enter "
              f"closes, Esc drops. {MODIFIER_HINT}.", lambda brush: PolygonLassoTool(), options=SelectionOptions),
    ToolEntry("wand", "Magic wand", "W", "Magic wand: click a colour to select what is similar (tolerance, "
              f"contiguous or anywhere). {MODIFIER_HINT}.", lambda brush: MagicWandTool(), options=SelectionOptions),
    ToolEntry("colour_range", "Colour range", "Shift+W", "Colour range: click a colour to select every pixel "
              f"near it, softly (fuzziness). {MODIFIER_HINT}.", lambda brush: ColourRangeTool(),
              options=SelectionOptions),
    ToolEntry("object_select", "Object select", "Q", "Object select: drag a rectangle around an object; then "
              "Shift+drag over parts it missed, Alt/Ctrl+drag over parts that are not it.",
              lambda brush: ObjectSelectTool(), options=SelectionOptions),
)


def entry(key: str) -> ToolEntry:
    for item in TOOLS:
        if item.key == key:
            return item
    raise KeyError(key)


class ToolBar(QToolBar):
    """The tools as exclusive checkable actions, and the active tool's options.

    Signals
    -------
    tool_chosen(ToolEntry, Tool) : the user picked a tool (click, menu or shortcut).
    """

    tool_chosen = Signal(object, object)

    def __init__(self, canvas, parent=None):
        super().__init__("Tools", parent)
        self.canvas = canvas
        self.setOrientation(Qt.Orientation.Vertical)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.options = ToolOptionsRow()
        self._tools: dict[str, Tool] = {}
        self._pages: dict[str, QWidget] = {}
        self.actions_by_key: dict[str, QAction] = {}
        group = QActionGroup(self)
        group.setExclusive(True)
        for item in TOOLS:
            action = QAction(item.label, self, checkable=True)
            if item.shortcut:
                action.setShortcut(QKeySequence(item.shortcut))
            text = f"{item.tip} ({item.shortcut})" if item.shortcut else item.tip
            action.setToolTip(text)
            action.setStatusTip(text)
            action.triggered.connect(lambda _=False, e=item: self.choose(e.key))
            group.addAction(action)
            self.addAction(action)
            self.actions_by_key[item.key] = action
        self._tools["brush"] = canvas.tool          # the canvas starts with the mask brush
        self.actions_by_key["brush"].setChecked(True)
        self.options.show_tool(entry("brush"), canvas.tool.hint)
        canvas.brush_changed.connect(self._on_canvas_brush_changed)

    @property
    def current(self) -> str:
        for key, action in self.actions_by_key.items():
            if action.isChecked():
                return key
        return "brush"

    def tool(self, key: str) -> Tool:
        """The tool of ``key`` (made on first use, then kept: a clone source survives a switch)."""
        key = entry(key).same_as or key
        if key not in self._tools:
            self._tools[key] = entry(key).make(self.canvas.brush)
        return self._tools[key]

    def choose(self, key: str) -> Tool:
        """Make ``key`` the canvas's tool, checked here and with its options shown."""
        item, tool = entry(key), self.tool(key)
        self.actions_by_key[key].setChecked(True)
        if tool is not self.canvas.tool:
            self.canvas.set_active_tool(tool)
        if item.brush_mode is not None and self.canvas.brush.mode != item.brush_mode:
            self.canvas.set_brush(with_mode(self.canvas.brush, item.brush_mode))
        self._show_options(item, tool)
        self.tool_chosen.emit(item, tool)
        return tool

    def _show_options(self, item: ToolEntry, tool: Tool) -> None:
        self.options.show_tool(item, tool.hint)
        if item.options is None:
            self.options.pages.setCurrentIndex(0)
            return
        if item.key not in self._pages:
            page = self._pages[item.key] = item.options(tool, self.options.pages)
            self.options.pages.addWidget(page)
            leave_focus_on(self.canvas, page)
            if hasattr(page, "hint_changed"):        # the clone's hint follows its source and mode
                page.hint_changed.connect(lambda item=item, tool=tool: self._refresh_hint(item, tool))
        self.options.pages.setCurrentWidget(self._pages[item.key])

    def _refresh_hint(self, item: ToolEntry, tool: Tool) -> None:
        if self.canvas.tool is tool:
            self.options.show_tool(item, tool.hint)

    def _on_canvas_brush_changed(self, brush: Brush) -> None:
        # X (swap) or a tablet eraser flips the mask brush: keep Brush/Eraser checked to match.
        if self.canvas.tool is self._tools.get("brush"):
            key = "eraser" if brush.mode == ERASE else "brush"
            self.actions_by_key[key].setChecked(True)
            self.options.show_tool(entry(key), self.canvas.tool.hint)
        elif isinstance(self.canvas.tool, MaskBrushTool):      # a sampling area: "Erasing where ..."
            self.options.show_tool(entry(self.current), self.canvas.tool.hint)


class ToolOptionsRow(QWidget):
    """Above the canvas: the active tool's name (bold), its options, and what to do with it.

    The name and hint stay while the tool is active, where the status bar's
    message fades: which tool is on must be visible at a glance.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.name_label = QLabel()
        self.name_label.setObjectName("toolName")
        self.name_label.setStyleSheet("font-weight: bold; padding: 0 6px;")
        self.pages = QStackedWidget()
        self.pages.addWidget(QLabel(""))
        # A long hint ends in "…" at the window's edge (whole in its tooltip and the status
        # bar) rather than widening the window or being cut mid-word.
        self.hint_label = QElidingLabel()
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.hint_label.setStyleSheet("color: palette(mid);")
        self.hint_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.name_label)
        layout.addWidget(self.pages)
        layout.addWidget(self.hint_label, 1)
        # As tall as the tallest options page (a spin box or a combo box), for every tool:
        # the canvas below must not jump when a tool with options is picked.
        field = max(QDoubleSpinBox().sizeHint().height(), QComboBox().sizeHint().height())
        self.setFixedHeight(field + layout.contentsMargins().top() + layout.contentsMargins().bottom())

    def show_tool(self, item: ToolEntry, hint: str) -> None:
        shortcut = f" ({item.shortcut})" if item.shortcut else ""
        self.name_label.setText(item.label + shortcut)
        self.hint_label.setText(hint)
        self.hint_label.setToolTip(hint)

    def currentWidget(self) -> QWidget:
        """The active tool's options page (a blank label for a tool without options)."""
        return self.pages.currentWidget()
