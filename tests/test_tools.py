"""The tool protocol: the canvas hands pointer events to the active tool; the
tool bar and the Tools menu pick tools; a tool's refusal is one status line."""

from dataclasses import dataclass, field

import numpy as np
import pytest
from PySide6.QtCore import Qt

from artstudio.core.brush import Brush, PointerEvent
from artstudio.core.document import Document
from artstudio.core.rect import Rect
from artstudio.core.tools import MaskBrushTool, Overlay, Tool, ToolError
from artstudio.ui.tool_bar import ToolBar

from window_helpers import at


@dataclass
class Recorder(Tool):
    """Fills the image rectangle between press and release with white, one undo step."""

    events: list = field(default_factory=list)
    refuse: bool = False

    def press(self, document, event):
        if self.refuse:
            raise ToolError("No clone source: Ctrl+click where to copy from first.")
        self.events.append(("press", event))
        self._start = event
        document.begin_edit("image", "Recorder")
        return None

    def drag(self, document, event):
        self.events.append(("drag", event))
        return None

    def release(self, document, event):
        self.events.append(("release", event))
        rect = Rect(int(self._start.x), int(self._start.y), int(event.x) + 1, int(event.y) + 1)
        document.touch(rect)
        document.image[rect.slices] = 255
        document.changed(rect)
        return document.end_edit()

    def overlay(self):
        return Overlay(paths=(((0.0, 0.0), (10.0, 10.0)),), crosshairs=((5.0, 5.0),))


def test_the_canvas_hands_image_coordinates_and_modifiers_to_the_active_tool(qtbot, canvas):
    tool = Recorder()
    canvas.set_active_tool(tool)
    with qtbot.waitSignal(canvas.stroke_finished) as done:
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, at(canvas, 10, 20))
        qtbot.mouseMove(canvas, at(canvas, 30, 40))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, at(canvas, 50, 60))
    kinds = [k for k, _ in tool.events]
    assert kinds[0] == "press" and kinds[-1] == "release" and "drag" in kinds
    press = tool.events[0][1]
    assert press.shift and not press.ctrl and abs(press.x - 10.5) < 1.5 and abs(press.y - 20.5) < 1.5
    doc = canvas.document
    assert (doc.image[22:58, 12:48] == 255).all()
    assert done.args[0].layer == "image" and done.args[0].label == "Recorder"
    assert doc.modified
    doc.undo()
    assert not (doc.image[22:58, 12:48] == 255).all()


def test_a_refusing_tool_changes_nothing_and_says_why_in_one_line(qtbot, canvas):
    canvas.set_active_tool(Recorder(refuse=True))
    before = canvas.document.image.copy()
    with qtbot.waitSignal(canvas.tool_message) as said:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 10, 10))
    assert "\n" not in said.args[0] and "clone source" in said.args[0]
    assert np.array_equal(canvas.document.image, before)
    assert not canvas.document.history.can_undo


def test_sampling_area_brushes_paint_their_own_layers_undoably(qtbot, canvas):
    bar = ToolBar(canvas)
    bar.choose("sample_never")
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 20, 20))
    qtbot.mouseMove(canvas, at(canvas, 80, 20))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 80, 20))
    doc = canvas.document
    assert (doc.sample_never[20, 25:75] == 255).all()
    assert not doc.mask.any() and not doc.sample_from.any()
    assert not doc.modified                     # masks are not the photo
    doc.undo()
    assert not doc.sample_never.any()


def test_tool_bar_shortcuts_pick_tools_and_show_the_active_one_checked(qtbot, canvas):
    bar = ToolBar(canvas)
    qtbot.addWidget(bar)
    brush = canvas.tool
    bar.actions_by_key["eraser"].trigger()
    assert canvas.tool is brush and canvas.brush.mode == "erase"      # the eraser is the brush erasing
    assert bar.current == "eraser"
    bar.actions_by_key["sample_from"].trigger()
    assert isinstance(canvas.tool, MaskBrushTool) and canvas.tool.layer == "sample_from"
    assert canvas.brush.mode == "paint" and bar.current == "sample_from"
    bar.choose("brush")
    canvas.swap_tool()                                                # X
    assert bar.current == "eraser"


def test_enter_finishes_and_escape_drops_a_multi_click_gesture(qtbot, canvas):
    @dataclass
    class Clicks(Tool):
        points: list = field(default_factory=list)
        finished: list = field(default_factory=list)

        def press(self, document, event):
            self.points.append((event.x, event.y))

        @property
        def busy(self):
            return bool(self.points)

        def finish(self, document):
            self.finished.append(list(self.points))
            self.points.clear()

        def cancel(self, document):
            self.points.clear()

    tool = Clicks()
    canvas.set_active_tool(tool)
    for x in (10, 40, 70):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, x, 30))
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    assert len(tool.finished) == 1 and len(tool.finished[0]) == 3
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=at(canvas, 10, 10))
    assert canvas.escape() and not tool.points
    assert not canvas.escape()                                        # nothing left: Esc goes to the job


def test_overlay_bounds_cover_paths_crosshairs_and_the_brush_circle():
    overlay = Overlay(paths=(((10.0, 10.0), (50.0, 30.0)),), crosshairs=((100.0, 100.0),), circle=5.0)
    bounds = overlay.bounds((200.0, 200.0))
    assert bounds.x0 <= 10 and bounds.y0 <= 10 and bounds.x1 >= 206 and bounds.y1 >= 206
    assert Overlay().bounds(None) is None


def test_document_edit_of_an_unknown_layer_is_refused():
    doc = Document(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError):
        doc.begin_edit("alpha", "x")
    with pytest.raises(RuntimeError):
        doc.touch(Rect(0, 0, 2, 2))
    assert MaskBrushTool(Brush()).press(doc, PointerEvent(-50, -50)) is None
