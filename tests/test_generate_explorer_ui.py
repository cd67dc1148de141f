"""The latent explorer as a user drives it (issue 15): the model combo, the breed grid,
favourites across restarts, export shapes, projection without a seed, tooltips."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox,
                               QFileDialog, QListWidget, QScrollBar, QTabBar, QWidget)

from artstudio.core.latent import sample_latent
from artstudio.core.recipe import RECIPE_KEY, read_recipe
from artstudio.ui import app as app_module
from artstudio.ui import generate_files
from test_generate_ui import TIMEOUT, gen, wait_for, window  # noqa: F401  (fixtures)

BORDER = (74, 144, 226)          # ImageView's frame of a selected picture


def choose_model(qtbot, gen, name: str) -> None:
    """Open the model combo's list and press Enter on ``name``, as a user does."""
    combo = gen.latent_panel.model_combo
    combo.showPopup()
    view = combo.view()
    view.setCurrentIndex(view.model().index(combo.findData(name), 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)


def settle(qtbot, window, gen) -> None:
    qtbot.waitUntil(lambda: not gen.jobs.pending("generate.info"), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=TIMEOUT)
    qtbot.wait(50)                  # queued results reach the GUI thread


def border(view) -> tuple[int, int, int]:
    colour = view.grab().toImage().pixelColor(1, view.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def test_choosing_the_model_already_shown_keeps_the_seed_and_the_edits(qtbot, window, gen):
    gen.session.set_edit(0, 1.0)
    wait_for(qtbot, gen, "generate.render")
    before, depth = gen.state, len(gen.history)
    choose_model(qtbot, gen, "dcgan-faces")
    settle(qtbot, window, gen)
    assert gen.state == before and len(gen.history) == depth
    assert gen.latent_panel.seed_spin.value() == before.seed


def test_switching_away_and_back_before_the_model_loads_returns_to_the_same_place(qtbot, window, gen):
    before = gen.state
    choose_model(qtbot, gen, "cppn")
    assert gen.jobs.pending("generate.info")          # its result waits for the event loop
    choose_model(qtbot, gen, "dcgan-faces")          # changed my mind while cppn was loading
    settle(qtbot, window, gen)
    assert gen.info.model == "dcgan-faces" and gen.state == before


def test_a_model_switch_clears_the_breed_grid_and_its_children_cannot_be_picked(qtbot, window, gen):
    messages = []
    gen.message.connect(messages.append)
    qtbot.mouseClick(gen.breed_panel.breed_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, gen, "generate.breed")
    assert gen.grid.isVisible() and all(v.has_image() for v in gen.grid.views)
    choose_model(qtbot, gen, "cppn")
    qtbot.waitUntil(lambda: gen.info.model == "cppn", timeout=TIMEOUT)
    settle(qtbot, window, gen)
    assert not gen.grid.isVisible() and not any(v.has_image() for v in gen.grid.views)
    state = gen.state
    gen.grid.views[3].clicked.emit()                 # where a face child used to be
    settle(qtbot, window, gen)
    assert gen.state is state and gen.latent_panel.raw_rows[0].slider.value() == pytest.approx(
        float(state.latent[0]), abs=0.01)
    assert not any("takes latents" in m for m in messages)
    assert "takes latents" not in window.status.currentMessage()


def test_children_bred_while_another_model_loads_never_appear(qtbot, window, gen):
    choose_model(qtbot, gen, "cppn")
    qtbot.mouseClick(gen.breed_panel.breed_button, Qt.MouseButton.LeftButton)   # still the face model
    qtbot.waitUntil(lambda: gen.info.model == "cppn", timeout=TIMEOUT)
    settle(qtbot, window, gen)
    assert not any(v.has_image() for v in gen.grid.views)
    qtbot.mouseClick(gen.breed_panel.breed_button, Qt.MouseButton.LeftButton)   # now cppn's own
    wait_for(qtbot, gen, "generate.breed")
    gen.grid.views[2].clicked.emit()
    wait_for(qtbot, gen, "generate.render")
    assert gen.state.dim == 8 and np.array_equal(gen.state.latent, gen.session.children[2])


def test_a_picked_child_is_framed_and_breed_again_breeds_around_it(qtbot, gen):
    parent = gen.state.latent.copy()
    qtbot.mouseClick(gen.breed_panel.breed_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, gen, "generate.breed")
    picked = gen.session.children[5].copy()
    qtbot.mouseClick(gen.grid.views[5], Qt.MouseButton.LeftButton)
    wait_for(qtbot, gen, "generate.render")
    assert np.array_equal(gen.state.latent, picked)
    assert border(gen.grid.views[5]) == BORDER and border(gen.grid.views[4]) != BORDER
    assert "child #6" in gen.breed_panel.breed_button.text()
    gen.breed_panel.strength.setValue(0.1)
    qtbot.mouseClick(gen.breed_panel.breed_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, gen, "generate.breed")
    children = gen.session.children
    assert (np.linalg.norm(children - picked, axis=1) < np.linalg.norm(children - parent, axis=1)).all()
    assert border(gen.grid.views[5]) != BORDER and gen.breed_panel.breed_button.text() == "Breed 12 children"


def test_favourites_survive_a_restart_and_a_removed_one_stays_removed(qtbot, window, gen):
    gen.add_favourite()
    gen.session.set_edit(0, 1.5)
    wait_for(qtbot, gen, "generate.render")
    gen.add_favourite()
    kept = gen.session.favourites
    window._close_confirmed = True
    window.close()

    def reopen():
        w = app_module.create_window()
        qtbot.addWidget(w)
        w.show()
        w.show_workspace(1)
        qtbot.waitUntil(lambda: w.generate.state is not None and not w.runner.busy, timeout=TIMEOUT)
        return w

    second = reopen()
    strip = second.generate.favourite_list
    assert second.generate.session.favourites == kept and strip.count() == 2
    second.generate.randomize()
    rect = strip.visualItemRect(strip.item(1))
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())   # a double-click's
    qtbot.mouseDClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # first half
    assert second.generate.state == kept[1]
    qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(strip.item(0)).center())
    qtbot.keyClick(strip, Qt.Key.Key_Delete)
    assert strip.count() == 1
    second._close_confirmed = True
    second.close()
    third = reopen()
    assert third.generate.session.favourites == kept[1:]
    third._close_confirmed = True
    third.close()


def test_export_png_at_a_chosen_shape_keeps_the_recipe_and_remembers_the_size(qtbot, gen, tmp_path, monkeypatch):
    out = tmp_path / "wide.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    seen = []

    def fill_in_the_dialog():
        dialog = QApplication.activeModalWidget()
        seen.append(type(dialog).__name__)
        if type(dialog).__name__ != "ExportSizeDialog":
            dialog.reject()                      # the old square-only question
            return
        dialog.width_spin.lineEdit().selectAll()
        qtbot.keyClicks(dialog.width_spin, "320")
        qtbot.keyClick(dialog.width_spin, Qt.Key.Key_Tab)
        for _ in range(3):                       # Square -> 4:3 -> 3:2 -> 16:9
            qtbot.keyClick(dialog.preset, Qt.Key.Key_Down)
        qtbot.keyClick(dialog.preset, Qt.Key.Key_Return)

    QTimer.singleShot(100, fill_in_the_dialog)
    qtbot.mouseClick(gen.buttons["export"], Qt.MouseButton.LeftButton)
    assert seen == ["ExportSizeDialog"]
    wait_for(qtbot, gen, "generate.export")
    with Image.open(out) as png:
        assert png.size == (320, 180)
    assert read_recipe(out) == gen.state
    assert (gen.settings.export_width, gen.settings.export_height) == (320, 180)


def test_the_export_dialog_says_what_each_kind_of_model_does_with_the_shape(qtbot):
    from artstudio.ui.export_dialog import ExportSizeDialog

    gan = ExportSizeDialog("gan", "dcgan-faces", 64, (1024, 576))
    cppn = ExportSizeDialog("cppn", "cppn", 512, (700, 700))
    for dialog in (gan, cppn):
        qtbot.addWidget(dialog)
    assert gan.preset.currentText() == "Wide 16:9" and cppn.preset.currentText() == "Square 1:1"
    texts = [" ".join(label.text() for label in d.findChildren(type(d.findChild(QWidget, "hint"))))
             for d in (gan, cppn)]
    assert "cropped, never stretched" in texts[0] and "natively" in texts[1]
    cppn.height_spin.lineEdit().selectAll()
    qtbot.keyClicks(cppn.height_spin, "300")
    qtbot.keyClick(cppn.height_spin, Qt.Key.Key_Return)
    assert cppn.chosen_size() == (700, 300) and cppn.preset.currentText() == "Custom"


def test_after_a_projection_the_seed_field_and_the_recipe_say_no_seed_makes_it(qtbot, gen, tmp_path,
                                                                                monkeypatch):
    projected = np.linspace(-1, 1, 100).astype(np.float32)

    def fake_run_project(request, token):
        return projected
        yield

    monkeypatch.setattr(generate_files, "run_project", fake_run_project)
    old_seed, spin = gen.state.seed, gen.latent_panel.seed_spin
    generate_files.project(gen, gen.last_image, None, steps=5)
    wait_for(qtbot, gen, "generate.project")
    wait_for(qtbot, gen, "generate.render")
    assert np.array_equal(gen.state.latent, projected)
    assert spin.lineEdit().text() == "none (projected)" and gen.state.seed is None
    out = tmp_path / "projected.png"
    generate_files.export_png(gen, out, 64)
    wait_for(qtbot, gen, "generate.export")
    with Image.open(out) as png:
        recipe = json.loads(png.info[RECIPE_KEY])
    assert recipe["seed"] is None and recipe["origin"] == "projection"
    gen.add_favourite()
    assert gen.favourite_list.item(0).toolTip() == "projected"
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, str(old_seed))
    qtbot.keyClick(spin, Qt.Key.Key_Return)          # the old seed gives its own latent, not the projection
    wait_for(qtbot, gen, "generate.render")
    assert gen.state.seed == old_seed and gen.state.origin == "seed"
    assert np.array_equal(gen.state.latent, sample_latent(100, old_seed))
    gen.undo()
    assert gen.state.seed is None and spin.lineEdit().text() == "none (projected)"


def _untipped(root: QWidget) -> list[str]:
    kinds = (QAbstractButton, QComboBox, QAbstractSpinBox, QAbstractSlider, QListWidget)
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, kinds) or isinstance(widget, QScrollBar) or isinstance(widget.parent(), QTabBar):
            continue
        w = widget
        while w is not None and not w.toolTip() and w is not root:
            w = w.parentWidget()
        if w is None or not w.toolTip():
            missing.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}")
    return missing


def test_every_control_says_what_it_does_with_its_shortcut(qtbot, gen):
    assert _untipped(gen) == []
    assert all(gen.tabs.tabToolTip(i) for i in range(gen.tabs.count()))
    assert "(F)" in gen.buttons["favourite"].toolTip() and "Delete" in gen.favourite_list.toolTip()
    randomize = next(b for b in gen.latent_panel.findChildren(QAbstractButton) if b.text() == "Randomize")
    assert "(R)" in randomize.toolTip()
    from artstudio.ui.export_dialog import ExportSizeDialog

    dialog = ExportSizeDialog(gen.info.kind, gen.info.model, gen.info.native_size, (512, 512))
    qtbot.addWidget(dialog)
    assert _untipped(dialog) == []
