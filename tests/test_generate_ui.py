"""The Generate workspace as a user drives it (real built-in models, small sizes)."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from artstudio.core.latent import sample_latent
from artstudio.ui import app as app_module
from artstudio.ui import generate_files

TIMEOUT = 60000


@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: None)
    w = app_module.create_window()
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w._close_confirmed = True
    w.close()


@pytest.fixture
def gen(qtbot, window):
    g = window.generate
    window.show_workspace(1)
    qtbot.waitUntil(lambda: g.info is not None and g.view.has_image(), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=TIMEOUT)
    return g


def wait_for(qtbot, gen, kind):
    qtbot.waitUntil(lambda: not gen.jobs.pending(kind), timeout=TIMEOUT)


def test_opening_generate_loads_the_face_model_with_direction_sliders(qtbot, gen):
    assert gen.info.model == "dcgan-faces" and gen.info.latent_dim == 100
    assert len(gen.latent_panel.direction_rows) == len(gen.info.vectors) >= 10
    assert not gen.latent_panel.raw_box.isVisible()           # 100-D: no raw panel
    assert gen.last_image.shape == (64, 64, 3)
    assert np.array_equal(gen.state.latent, sample_latent(100, gen.state.seed))


def test_a_slider_changes_the_picture_and_undo_brings_it_back(qtbot, window, gen):
    before_state, before_image = gen.state, gen.last_image.copy()
    gen.session.set_edit(0, 2.5, dragging=False)
    wait_for(qtbot, gen, "generate.render")
    assert dict(gen.state.edits) == {0: 2.5}
    assert np.abs(gen.last_image.astype(int) - before_image).mean() > 2
    window.undo()
    wait_for(qtbot, gen, "generate.render")
    assert gen.state == before_state
    assert np.array_equal(gen.last_image, before_image)
    window.redo()
    assert dict(gen.state.edits) == {0: 2.5}


def test_dragging_does_not_fill_the_history(qtbot, gen):
    depth = len(gen.history)
    for sigma in np.linspace(0, 2, 15):
        gen.session.set_edit(1, float(sigma), dragging=True)
    gen.session.set_edit(1, 2.0, dragging=False)
    wait_for(qtbot, gen, "generate.render")
    assert len(gen.history) == depth + 1           # one entry for the whole drag
    gen.undo()
    assert dict(gen.state.edits).get(1, 0.0) == 0.0


def test_seed_is_shown_and_randomize_changes_it(qtbot, gen):
    old = gen.state.seed
    gen.randomize()
    wait_for(qtbot, gen, "generate.render")
    assert gen.state.seed != old
    assert gen.latent_panel.seed_spin.value() == gen.state.seed


def test_renaming_a_direction_is_kept(qtbot, gen, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("smile", True))
    gen.latent_panel.direction_rows[2].label.click()
    assert dict(gen.state.names)[2] == "smile"
    assert gen.latent_panel.direction_rows[2].label.text() == "smile"


def test_breeding_fills_the_grid_and_a_child_can_be_adopted(qtbot, gen):
    gen.session.breed(0.4)
    wait_for(qtbot, gen, "generate.breed")
    assert all(v.has_image() for v in gen.grid.views)
    assert gen.grid.isVisible() and gen.view.isVisible()
    child = gen.session.children[5].copy()
    gen.grid.views[5].clicked.emit()
    assert np.array_equal(gen.state.latent, child)


def test_favourites_crossover_and_animation_export(qtbot, gen, tmp_path):
    gen.add_favourite()
    gen.randomize()
    wait_for(qtbot, gen, "generate.render")
    gen.add_favourite()
    assert gen.favourite_list.count() == 2 and gen.breed_panel.cross_button.isEnabled()
    gen.session.cross(0, 1, 0.0, "slerp")
    a = gen.session.favourites[0]
    assert np.allclose(gen.state.latent, a.latent, atol=1e-5)
    out = tmp_path / "loop.gif"
    generate_files.export_animation(gen, out, frames=6, fps=12, loop=True, size=48)
    wait_for(qtbot, gen, "generate.animation")
    with Image.open(out) as gif:
        assert gif.n_frames == 6 and gif.size == (48, 48)


def test_png_export_carries_the_recipe_and_reopens_the_exact_state(qtbot, window, gen, tmp_path):
    gen.session.set_edit(0, -1.25, dragging=False)
    wait_for(qtbot, gen, "generate.render")
    state = gen.state
    out = tmp_path / "face.png"
    generate_files.export_png(gen, out, 128)
    wait_for(qtbot, gen, "generate.export")
    with Image.open(out) as png:
        assert png.size == (128, 128)
    gen.randomize()
    wait_for(qtbot, gen, "generate.render")
    assert window.open_path(out, wait=True)
    wait_for(qtbot, gen, "generate.render")
    assert gen.state.seed == state.seed and dict(gen.state.edits) == {0: -1.25}
    assert np.array_equal(gen.state.latent, state.latent)


def test_latent_file_round_trip_and_a_corrupt_file_is_refused(qtbot, window, gen, tmp_path, monkeypatch):
    from artstudio.core.latent_state import save_latent

    path = save_latent(tmp_path / "mine.npz", gen.state)
    saved = gen.state
    gen.randomize()
    wait_for(qtbot, gen, "generate.render")
    assert window.open_path(path, wait=True)
    assert np.array_equal(gen.state.latent, saved.latent)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a latent")
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    current = gen.state
    assert not generate_files.load_latent_file(gen, bad)
    assert warnings and "bad.npz" in warnings[0] and gen.state == current


def test_projection_moves_towards_the_picture(qtbot, gen):
    target = gen.last_image.copy()
    gen.randomize()
    wait_for(qtbot, gen, "generate.render")
    start = np.abs(gen.last_image.astype(float) - target).mean()
    generate_files.project(gen, target, None, steps=40)
    wait_for(qtbot, gen, "generate.project")
    wait_for(qtbot, gen, "generate.render")
    assert np.abs(gen.last_image.astype(float) - target).mean() < start


def test_cppn_shows_raw_latents_and_previews_small_while_dragging(qtbot, gen):
    gen.select_model("cppn")
    qtbot.waitUntil(lambda: gen.info.model == "cppn", timeout=TIMEOUT)
    wait_for(qtbot, gen, "generate.render")
    assert gen.latent_panel.raw_box.isVisibleTo(gen) and len(gen.latent_panel.raw_rows) == gen.info.latent_dim
    assert gen.last_image.shape == (512, 512, 3)
    shown = []
    gen.view.image_shown.connect(lambda: shown.append(gen.last_image.shape[0]))
    gen.session.set_raw(0, 1.5, dragging=True)
    qtbot.waitUntil(lambda: shown[-1:] == [512], timeout=TIMEOUT)
    assert shown[0] == 128                       # the drag preview came first


def test_switching_models_rebuilds_the_sliders_without_leftovers(qtbot, gen):
    layout = gen.latent_panel._rows
    gen.select_model("cppn")
    qtbot.waitUntil(lambda: gen.info.model == "cppn", timeout=TIMEOUT)
    gen.select_model("dcgan-faces")
    qtbot.waitUntil(lambda: gen.info.model == "dcgan-faces", timeout=TIMEOUT)
    assert layout.count() == len(gen.latent_panel.direction_rows) + 1      # rows + one stretch


def test_projecting_the_restore_photo_counts_only_the_painted_area(qtbot, window, gen, monkeypatch):
    import artstudio.ui.generate_files as gf
    from artstudio.core.document import Document

    seen, latent = [], gen.state.latent.copy()

    def fake_run_project(request, token):
        seen.append(request)
        return latent
        yield  # a generator that returns at once

    monkeypatch.setattr(gf, "run_project", fake_run_project)
    image = np.zeros((100, 200, 3), np.uint8)
    mask = np.zeros((100, 200), np.uint8)
    mask[20:60, 80:120] = 128                       # a soft stroke still counts
    gf.project_restore_photo(gen, Document(image, mask))
    qtbot.waitUntil(lambda: bool(seen), timeout=TIMEOUT)
    request = seen[0]
    assert request.target.shape == (64, 64, 3)
    counted = request.mask > 0
    assert counted.any() and not counted.all()
    assert set(np.unique(request.mask)) <= {0, 255}


def test_a_recipe_that_does_not_fit_the_model_is_explained_not_crashed(qtbot, window, gen, tmp_path):
    import dataclasses

    from artstudio.core.latent_state import save_latent

    messages = []
    gen.message.connect(messages.append)
    bad_edit = dataclasses.replace(gen.state, edits=((35, 2.0),), seed=3_000_000_000)
    assert window.open_path(save_latent(tmp_path / "edit.npz", bad_edit), wait=True)
    wait_for(qtbot, gen, "generate.render")
    assert gen.state.edits == () and any("Ignored edits" in m for m in messages)
    assert gen.latent_panel.seed_spin.value() == 2**31 - 1
    current = gen.state
    wrong = dataclasses.replace(gen.state, latent=np.zeros(50, np.float32), edits=())
    assert window.open_path(save_latent(tmp_path / "short.npz", wrong), wait=True)
    wait_for(qtbot, gen, "generate.render")
    assert gen.state.latent.size == 100
    assert any("has 50 values" in m for m in messages)
    assert current is not None


def test_favourites_belong_to_their_model(qtbot, gen):
    gen.add_favourite()
    gen.select_model("cppn")
    qtbot.waitUntil(lambda: gen.info.model == "cppn", timeout=TIMEOUT)
    assert gen.session.favourites == [] and gen.favourite_list.count() == 0
    assert not gen.breed_panel.cross_button.isEnabled()
    gen.select_model("dcgan-faces")
    qtbot.waitUntil(lambda: gen.info.model == "dcgan-faces", timeout=TIMEOUT)
    assert len(gen.session.favourites) == 1 and gen.favourite_list.count() == 1


def test_direction_names_survive_a_restart(qtbot, window, gen, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("hair", True))
    gen.latent_panel.direction_rows[4].label.click()
    window._close_confirmed = True
    window.close()
    second = app_module.create_window()
    qtbot.addWidget(second)
    second.show()
    second.show_workspace(1)
    qtbot.waitUntil(lambda: second.generate.info is not None and second.generate.state is not None,
                    timeout=TIMEOUT)
    assert second.generate.latent_panel.direction_rows[4].label.text() == "hair"
    second._close_confirmed = True
    second.close()


def test_frames_are_shown_while_dragging(qtbot, gen):
    shown = []
    gen.view.image_shown.connect(lambda: shown.append(1))
    for i in range(40):
        gen.session.set_edit(0, i / 20, dragging=True)
        qtbot.wait(8)
    gen.session.set_edit(0, 2.0, dragging=False)
    wait_for(qtbot, gen, "generate.render")
    assert len(shown) >= 5                       # frames arrive during the drag, not only at the end


def test_a_recipe_for_a_missing_model_opens_as_a_photo_and_says_why(qtbot, window, gen, tmp_path):
    import dataclasses

    from artstudio.core.recipe import write_png_with_recipe

    state = dataclasses.replace(gen.state, model="stylegan-ultra")
    path = write_png_with_recipe(tmp_path / "alien.png", gen.last_image, state, "0.1.0")
    assert window.open_path(path, wait=True)
    assert window.stack.currentWidget() is window.restore
    assert window.restore.document.path == path
    assert "stylegan-ultra" in window.status.currentMessage()
