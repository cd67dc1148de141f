"""The tool options row above the canvas keeps one height, so the canvas does not jump between tools."""

from artstudio.ui.tool_bar import TOOLS


def test_the_canvas_stays_put_whichever_tool_is_picked(qtbot, workspace):
    canvas = workspace.canvas
    qtbot.wait(50)
    tops = {}
    for item in TOOLS:
        workspace.tools.choose(item.key)
        qtbot.wait(10)
        tops[item.key] = canvas.mapTo(workspace, canvas.rect().topLeft()).y()
    assert len(set(tops.values())) == 1, tops
