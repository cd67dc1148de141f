"""Favourites kept per model across restarts: the store, its file, and a session using it."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import random

import numpy as np
import pytest
from PIL import Image

from artstudio.core.favourites import MAX_FAVOURITES, FavouriteStore, Favourites
from artstudio.core.generate_session import GenerateSession
from artstudio.core.latent import sample_latent
from artstudio.core.latent_state import LatentFileError, LatentState
from artstudio.core.paths import AppPaths
from test_generate_session import make_info


def entry(seed: int, model: str = "toy", dim: int = 8, **fields):
    state = LatentState(model, "h1", seed, sample_latent(dim, seed), **fields)
    thumb = np.random.default_rng(seed).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    return state, thumb


def test_the_store_round_trips_states_exactly_with_small_thumbnails(tmp_path):
    store = FavouriteStore(tmp_path / "favourites")
    first = entry(1, truncation=0.7, edits={2: 1.5}, names={2: "smile"})
    projected = entry(2)
    projected = (dataclasses.replace(projected[0], origin="projection"), projected[1])
    path = store.save("toy", [first, projected])
    assert path.parent == tmp_path / "favourites" and path.suffix == ".json"
    back = store.load("toy")
    assert [s for s, _ in back] == [first[0], projected[0]]
    assert back[0][0].latent.tobytes() == first[0].latent.tobytes() and back[1][0].seed is None
    assert back[0][1].shape == (128, 128, 3) and back[0][1].dtype == np.uint8
    assert store.load("other") == []
    assert [p.name for p in path.parent.iterdir()] == [path.name]         # no temporaries left


def test_model_names_that_are_not_file_names_get_their_own_files(tmp_path):
    store = FavouriteStore(tmp_path)
    names = ["a/b", "a_b", "../up", "ünï code"]
    paths = {store.path_for(name) for name in names}
    assert len(paths) == len(names) and all(p.parent == tmp_path for p in paths)
    for name in names:
        store.save(name, [entry(1, model=name)])
        assert store.load(name)[0][0].model == name


@pytest.mark.parametrize("damage, expected", [
    (lambda text: text[:50], "not JSON"),
    (lambda text: json.dumps({"format": "something-else", "favourites": []}), "not an ArtStudio favourites"),
    (lambda text: text.replace('"model":"toy"', '"model":"cppn"'), "favourites of 'cppn'"),
    (lambda text: text.replace('"thumbnail":"', '"thumbnail":"!!'), "thumbnail is damaged"),
    (lambda text: json.dumps({"format": "artstudio-favourites", "favourites": [{}] * (MAX_FAVOURITES + 1)}),
     "more than the 1000"),
])
def test_a_damaged_file_is_kept_aside_and_explained(tmp_path, damage, expected):
    store = FavouriteStore(tmp_path)
    path = store.save("toy", [entry(1)])
    path.write_text(damage(path.read_text()))
    with pytest.raises(LatentFileError) as info:
        store.load("toy")
    assert expected in str(info.value) and "toy.json.damaged" in str(info.value)
    assert not path.exists() and (tmp_path / "toy.json.damaged").is_file()


def test_a_huge_thumbnail_is_refused_before_it_is_decoded(tmp_path):
    store = FavouriteStore(tmp_path)
    path = store.save("toy", [entry(1)])
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 10)).save(buffer, format="PNG")
    data = json.loads(path.read_text())
    data["favourites"][0]["thumbnail"] = base64.b64encode(buffer.getvalue()).decode()
    path.write_text(json.dumps(data))
    with pytest.raises(LatentFileError, match="thumbnail is damaged"):
        store.load("toy")


def test_favourites_come_back_in_a_new_session_with_the_same_folder(tmp_path):
    folder = AppPaths(tmp_path / "c", tmp_path / "data" / "models", tmp_path / "k", tmp_path / "a").favourites
    assert folder == tmp_path / "data" / "favourites"
    first = GenerateSession(rng=random.Random(1), store=FavouriteStore(folder))
    first.load_model(make_info())
    first.set_last_image(np.full((32, 32, 3), 200, np.uint8))
    first.add_favourite()
    first.set_edit(1, -2.0)
    first.add_favourite()
    kept = first.favourites
    second = GenerateSession(rng=random.Random(2), store=FavouriteStore(folder))
    second.load_model(make_info())
    assert second.favourites == kept and second.favourite_entries()[0][1].min() == 200
    second.remove_favourite(0)
    third = GenerateSession(store=FavouriteStore(folder))
    third.load_model(make_info())
    assert third.favourites == kept[1:]


def test_a_session_reports_a_damaged_file_and_starts_with_no_favourites(tmp_path):
    store = FavouriteStore(tmp_path)
    store.path_for("toy").write_text("{oops")
    session = GenerateSession(store=store)
    messages = []
    session.events.message.connect(messages.append)
    session.load_model(make_info())
    assert session.favourites == [] and any("toy.json.damaged" in m for m in messages)


def test_a_folder_that_cannot_be_written_is_a_message_not_a_crash(tmp_path):
    blocker = tmp_path / "favourites"
    blocker.write_text("a file where the folder should be")
    favourites = Favourites(FavouriteStore(blocker))
    notes = favourites.add(*entry(1))
    assert len(notes) == 1 and "Could not save the favourites of toy" in notes[0]
    assert len(favourites.entries("toy")) == 1               # still there for this session
