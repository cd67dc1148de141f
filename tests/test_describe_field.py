"""The Describe field in the Generate workspace, as a user drives it (a fake sentence model,
the real built-in generators at small sizes)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog

from artstudio.core.colour_names import find_colours
from artstudio.core.paths import AppPaths
from artstudio.core.settings import Settings
from artstudio.jobs import describe as describe_jobs
from artstudio.models import sentence
from artstudio.ui.generate_workspace import GenerateWorkspace
from test_caption_map import captioned_folder
from test_describe import FakeModel
from window_helpers import dialogs, window  # noqa: F401  (fixtures)

TIMEOUT = 60000


def open_workspace(qtbot, runner) -> GenerateWorkspace:
    ws = GenerateWorkspace(runner, AppPaths.from_environment().ensure(), Settings(device="cpu"))
    qtbot.addWidget(ws)
    ws.messages = []
    ws.message.connect(ws.messages.append)
    ws.resize(1200, 800)
    ws.show()
    ws.activate()
    qtbot.waitUntil(lambda: ws.info is not None and ws.view.has_image(), timeout=TIMEOUT)
    settle(qtbot, ws)
    return ws


def settle(qtbot, ws) -> None:
    qtbot.waitUntil(lambda: not ws.runner.busy, timeout=TIMEOUT)
    qtbot.wait(30)              # queued results reach the GUI thread


@pytest.fixture
def gen(qtbot, runner, monkeypatch):
    monkeypatch.setattr(describe_jobs, "sentence_model", FakeModel)
    ws = open_workspace(qtbot, runner)
    yield ws
    ws.shutdown()


def describe(qtbot, ws, text: str, enter: bool = True) -> None:
    """Type ``text`` into the field as a user does, wait for the answer, press Enter."""
    field = ws.describe_field
    field.edit.clear()
    qtbot.keyClicks(field.edit, text)
    qtbot.waitUntil(lambda: ws.describe.answer is not None and ws.describe.answer.text == text, timeout=TIMEOUT)
    if enter:
        qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    settle(qtbot, ws)


def test_more_smile_shows_the_match_then_moves_that_slider_in_one_undo_step(qtbot, gen):
    gen.session.rename_direction(0, "smile")
    gen.session.rename_direction(2, "age")
    before = gen.state
    describe(qtbot, gen, "more smile", enter=False)
    assert "smile 1.00 (+1σ)" in gen.describe_field.result.text() and gen.state == before   # shown, not applied
    qtbot.keyClick(gen.describe_field.edit, Qt.Key.Key_Return)
    settle(qtbot, gen)
    assert dict(gen.state.edits) == {0: 1.0}
    assert gen.latent_panel.direction_rows[0].slider.value() == pytest.approx(1.0)
    assert gen.latent_panel.direction_rows[2].slider.value() == pytest.approx(0.0)
    describe(qtbot, gen, "less age, smile +1")
    assert dict(gen.state.edits) == {0: 2.0, 2: -1.0}
    gen.undo()
    assert dict(gen.state.edits) == {0: 1.0}
    gen.undo()
    assert gen.state == before


def test_words_that_match_nothing_move_nothing_and_say_why(qtbot, gen):
    gen.session.rename_direction(0, "smile")
    before = gen.state
    describe(qtbot, gen, "banana")
    assert gen.state == before and "Nothing matched" in gen.describe_field.result.text()


def test_a_favourite_tagged_from_the_strip_is_recalled_by_its_tag(qtbot, gen, monkeypatch):
    gen.add_favourite()
    gen.session.set_edit(1, 2.0)
    settle(qtbot, gen)
    gen.add_favourite()
    strip = gen.favourite_list
    strip.setCurrentRow(0)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("beach, sunset", True))
    strip.tag_action.trigger()
    assert gen.session.favourite_tags()[0] == ("beach", "sunset")
    assert strip.item(0).text() == "#1 beach" and "Tags: beach, sunset" in strip.item(0).toolTip()
    gen.randomize()
    settle(qtbot, gen)
    describe(qtbot, gen, "sunset")
    assert gen.state == gen.session.favourites[0]
    assert "#1 sunset 1.00" in gen.describe_field.result.text()


def test_colour_names_recolour_a_cppn_until_cleared(qtbot, gen):
    gen.select_model("cppn")
    qtbot.waitUntil(lambda: gen.info.model == "cppn", timeout=TIMEOUT)
    settle(qtbot, gen)
    own = gen.last_image.copy()
    describe(qtbot, gen, "navy blue and dusty rose")
    navy, rose = (np.array(rgb, float) for _, rgb in find_colours("navy blue and dusty rose"))
    image = gen.last_image.astype(float)
    t = np.clip(((image - navy) @ (rose - navy)) / ((rose - navy) @ (rose - navy)), 0, 1)
    assert np.linalg.norm(image - (navy + t[..., None] * (rose - navy)), axis=-1).max() < 3
    field = gen.describe_field
    assert field.clear_button.isVisibleTo(gen) and not field.stylize_button.isVisibleTo(gen)
    qtbot.mouseClick(field.clear_button, Qt.MouseButton.LeftButton)
    settle(qtbot, gen)
    assert np.array_equal(gen.last_image, own) and not field.clear_button.isVisibleTo(gen)


def test_a_palette_on_a_face_model_is_offered_to_stylize(qtbot, gen):
    offered = []
    gen.describe.palette_for_stylize.connect(lambda swatch, name: offered.append((swatch, name)))
    describe(qtbot, gen, "teal and gold", enter=False)
    field = gen.describe_field
    assert field.stylize_button.isVisibleTo(gen)
    qtbot.mouseClick(field.stylize_button, Qt.MouseButton.LeftButton)
    (swatch, name), = offered
    assert name == "palette: teal, gold" and swatch.shape == (128, 128, 3)


def test_learning_from_three_captions_is_refused_in_the_field(qtbot, gen, tmp_path, monkeypatch):
    folder = captioned_folder(tmp_path / "few", ["a", "b", "c"])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    qtbot.mouseClick(gen.describe_field.learn_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "at least 8" in gen.describe_field.result.text(), timeout=TIMEOUT)
    assert gen.describe_field.learn_button.isEnabled()


def test_without_the_text_extra_the_field_says_how_and_the_workspace_still_works(qtbot, runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    monkeypatch.setattr(sentence, "_loaded", None)
    ws = open_workspace(qtbot, runner)
    field = ws.describe_field
    assert "pip install 'artstudio[text]'" in field.result.text() and not field.learn_button.isEnabled()
    ws.session.rename_direction(0, "smile")
    before = ws.state
    describe(qtbot, ws, "more smile and teal")
    text = field.result.text()
    assert "pip install 'artstudio[text]'" in text and "teal" in text and ws.state == before
    ws.randomize()                                  # the rest of the workspace renders as before
    settle(qtbot, ws)
    assert ws.state != before and ws.view.has_image()
    ws.shutdown()


# -- in the whole window ----------------------------------------------------------------------------

def test_ctrl_d_goes_to_the_field_and_colour_in_stylize_opens_restore_with_the_palette(qtbot, window,
                                                                                       monkeypatch):
    from window_helpers import action_with_shortcut

    monkeypatch.setattr(describe_jobs, "sentence_model", FakeModel)
    gen = window.generate
    window.show_workspace(1)
    qtbot.waitUntil(lambda: gen.info is not None and gen.view.has_image(), timeout=TIMEOUT)
    settle(qtbot, gen)
    action = action_with_shortcut(window, "Ctrl+D")
    assert "Ctrl+D" in action.toolTip() and "Ctrl+D" in gen.describe_field.edit.toolTip()
    action.trigger()
    assert gen.describe_field.edit.hasFocus()
    describe(qtbot, gen, "teal and gold", enter=False)
    qtbot.mouseClick(gen.describe_field.stylize_button, Qt.MouseButton.LeftButton)
    stylizer = window.restore.stylizer
    assert window.stack.currentWidget() is window.restore and window.restore.document is not None
    assert stylizer.panel.mode() == "colour" and stylizer.styles["style"].name == "palette: teal, gold"


def test_building_the_window_imports_neither_the_text_model_nor_matplotlib(tmp_path):
    import os
    import subprocess

    probe = ("import sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
             "from artstudio.ui import app as app_module\nw = app_module.create_window()\nw.show()\n"
             "app.processEvents()\nprint(sorted(m for m in ('sentence_transformers', 'transformers', 'matplotlib')"
             " if m in sys.modules))\nw._close_confirmed = True\nw.close()\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ARTSTUDIO_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
