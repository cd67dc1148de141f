"""The caption field of Generate, driven with keys, on a tiny caption-conditioned model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from artstudio.core.caption_scenes import write_scenes
from artstudio.core.paths import AppPaths
from artstudio.core.recipe import read_recipe
from artstudio.jobs.base import CancelToken, run_sync
from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen
from artstudio.ui import app as app_module
from artstudio.ui import generate_files

TIMEOUT = 60000


@pytest.fixture
def window(qtbot, monkeypatch, tmp_path):
    write_scenes(tmp_path / "scenes", 160, seed=3)      # every training combination
    models = AppPaths.from_environment().ensure().models
    run_sync(run_train_gen(TrainGenRequest(kind="cgan", data=tmp_path / "scenes", out=models, name="shapes",
                                           size=32, steps=3, batch=6, width=8, device="cpu",
                                           checkpoint_every=3, sample_every=0), CancelToken()))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)
    w = app_module.create_window()
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    w.show_workspace(1)
    qtbot.waitUntil(lambda: w.generate.info is not None and w.generate.view.has_image(), timeout=TIMEOUT)
    yield w
    w._close_confirmed = True
    w.close()


def settle(qtbot, gen):
    qtbot.waitUntil(lambda: not gen.jobs.pending("generate.render") and not gen.jobs.pending("generate.info"),
                    timeout=TIMEOUT)


def test_typing_a_caption_redraws_and_undo_brings_the_old_caption_back(qtbot, window, tmp_path):
    gen = window.generate
    assert not gen.caption_field.isVisible()               # the face GAN takes no caption
    gen.select_model("shapes")
    qtbot.waitUntil(lambda: gen.info is not None and gen.info.model == "shapes", timeout=TIMEOUT)
    settle(qtbot, gen)
    example = gen.specs["shapes"].options["examples"][0]            # a model opens on an example caption
    assert gen.caption_field.isVisible() and gen.state.caption == example == gen.caption_field.edit.text()
    before = gen.last_image.copy()
    edit = gen.caption_field.edit
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "three blue squares on a white background")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert gen.state.caption == "three blue squares on a white background"
    settle(qtbot, gen)
    assert not np.array_equal(gen.last_image, before)       # the picture follows the caption
    assert gen.caption_field.hint.text() == ""              # every word is one the model knows
    qtbot.keyClicks(edit, " zebra")
    qtbot.waitUntil(lambda: "zebra" in gen.state.caption, timeout=TIMEOUT)     # after the typing pause
    assert "unknown to this model: zebra" in gen.caption_field.hint.text()
    gen.undo()
    assert gen.state.caption == "three blue squares on a white background" and edit.text() == gen.state.caption
    gen.redo()
    assert "zebra" in edit.text()


def test_the_caption_travels_with_an_exported_recipe(qtbot, window, tmp_path):
    gen = window.generate
    gen.select_model("shapes")
    qtbot.waitUntil(lambda: gen.info is not None and gen.info.model == "shapes", timeout=TIMEOUT)
    settle(qtbot, gen)
    gen.caption_field.edit.clear()
    qtbot.keyClicks(gen.caption_field.edit, "a red circle on a grey background")
    qtbot.keyClick(gen.caption_field.edit, Qt.Key.Key_Return)
    settle(qtbot, gen)
    path = tmp_path / "circle.png"
    generate_files.export_png(gen, path, 64)
    qtbot.waitUntil(lambda: path.is_file() and not gen.jobs.pending(generate_files.EXPORT_KIND), timeout=TIMEOUT)
    state = read_recipe(path)
    assert state.caption == "a red circle on a grey background"
    gen.open_state(replace(state, caption="two green triangles"))     # e.g. a favourite of another caption
    assert gen.caption_field.edit.text() == "two green triangles"
