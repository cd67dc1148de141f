"""Stylize in the Restore workspace, driven as a user does: choose a style, click, compare, apply, export."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QFileDialog
from skimage import data

from artstudio.core.document import Document
from artstudio.core.imageio import save_image
from artstudio.core.style_recipe import read_style_recipe

from window_helpers import dialogs, menu_action, window  # noqa: F401


def small(image: np.ndarray, width: int) -> np.ndarray:
    return cv2.resize(image, (width, round(image.shape[0] * width / image.shape[1])), interpolation=cv2.INTER_AREA)


@pytest.fixture
def style_file(tmp_path):
    path = tmp_path / "coffee.png"
    save_image(path, small(data.coffee(), 160))
    return path


def click(qtbot, widget):
    assert widget.isEnabled() and widget.isVisible(), widget.text()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose_style(qtbot, ws, path, monkeypatch, button=None):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), "Images"))
    click(qtbot, button or ws.stylizer.panel.style_button)


def run_and_wait(qtbot, runner, button):
    with qtbot.waitSignal(runner.job_finished, timeout=60000):
        click(qtbot, button)


def test_match_colours_compare_apply_undo_and_export_the_recipe(qtbot, workspace, runner, style_file,
                                                                 monkeypatch, tmp_path):
    photo = small(data.chelsea(), 120)
    doc = Document(photo.copy())
    workspace.set_document(doc)
    panel = workspace.stylizer.panel
    choose_style(qtbot, workspace, style_file, monkeypatch)
    assert panel.style_label.text() == "coffee.png" and "Style image: coffee.png." in workspace.messages[-1]
    run_and_wait(qtbot, runner, panel.stylize_button)
    assert doc.proposal is not None and not np.array_equal(doc.proposal, photo)
    assert workspace.panel.apply_button.isEnabled()              # the split-line compare is on
    assert np.array_equal(doc.image, photo)                      # nothing changes before Apply
    click(qtbot, workspace.panel.apply_button)
    assert not np.array_equal(doc.image, photo) and doc.history.undo_label == "Stylize (colours)"
    out = tmp_path / "stylized.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PNG"))
    click(qtbot, panel.export_button)
    (step,) = read_style_recipe(out)
    assert step["mode"] == "colour" and step["style"]["name"] == "coffee.png" and len(step["style"]["sha256"]) == 64
    workspace.undo()
    assert np.array_equal(doc.image, photo)
    click(qtbot, panel.export_button)                             # undone: no recipe to write
    assert workspace.messages[-1].startswith("No stylisation is applied to this photo")


def test_paint_inside_a_painted_mask_keeps_the_rest_then_refines(qtbot, workspace, runner, style_file, monkeypatch):
    photo = small(data.astronaut(), 320)
    doc = Document(photo.copy())
    workspace.set_document(doc)
    canvas, panel = workspace.canvas, workspace.stylizer.panel
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_B)                          # the brush
    for x in range(20, 310, 12):                                  # a stroke of dabs across the lower half
        at = canvas.view.widget_pos(QPointF(x, 260))
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(at.x()), round(at.y())))
    assert doc.mask.any()
    choose_style(qtbot, workspace, style_file, monkeypatch)
    panel.set_mode("paint")
    panel.set_where("inside")
    panel.steps.setValue(10)
    previews = []
    runner.job_preview.connect(lambda job, preview: previews.append(preview))
    run_and_wait(qtbot, runner, panel.stylize_button)
    keep = doc.mask == 0
    assert previews and np.array_equal(doc.proposal[keep], photo[keep])
    assert not np.array_equal(doc.proposal[~keep], photo[~keep])
    draft = doc.proposal.copy()
    assert panel.refine_button.isEnabled()                       # the draft was 256 px, the masked area wider
    run_and_wait(qtbot, runner, panel.refine_button)
    assert np.array_equal(doc.proposal[keep], photo[keep]) and not np.array_equal(doc.proposal, draft)
    assert workspace.stylizer._pending[1]["size"] == 320
    click(qtbot, workspace.panel.revert_button)
    assert doc.proposal is None and np.array_equal(doc.image, photo)


def test_bad_styles_and_empty_masks_explain_and_run_nothing(qtbot, workspace, runner, style_file, monkeypatch,
                                                           tmp_path):
    doc = Document(small(data.chelsea(), 120))
    workspace.set_document(doc)
    panel = workspace.stylizer.panel
    click(qtbot, panel.stylize_button)
    assert workspace.messages[-1].startswith("Choose a style image first")
    tiny = tmp_path / "icon.png"
    save_image(tiny, np.zeros((30, 40, 3), np.uint8))
    choose_style(qtbot, workspace, tiny, monkeypatch)
    assert "'icon.png' is 40×30 pixels" in workspace.messages[-1] and panel.style_label.text() == "none"
    choose_style(qtbot, workspace, style_file, monkeypatch)
    panel.set_where("inside")
    started = []
    runner.job_started.connect(lambda *a: started.append(a))
    click(qtbot, panel.stylize_button)
    assert workspace.messages[-1].startswith("The mask is empty") and not started
    panel.set_where("two")
    assert panel.outside_button.isVisible()
    doc.mask[:40] = 255
    click(qtbot, panel.stylize_button)
    assert workspace.messages[-1] == "Choose the second style image, for outside the mask." and not started


def test_generate_stylize_in_restore_opens_the_picture_as_an_untitled_photo(qtbot, window):
    picture = small(data.coffee(), 96)
    window.show_workspace(1)
    window.generate.session.set_last_image(picture)
    menu_action(window, "Generate", "Stylize in Restore").trigger()
    doc = window.restore.document
    assert window.stack.currentWidget() is window.restore
    assert doc.path is None and np.array_equal(doc.image, picture)
    assert "open in Restore as an untitled photo" in window.status.currentMessage()
