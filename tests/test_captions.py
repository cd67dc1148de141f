"""Captions as hostile input, the demonstration scenes and their checker (no torch)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from artstudio.core.caption_check import agreement, read_scene
from artstudio.core.caption_scenes import Scene, all_scenes, draw_scene, make_scenes, scene_rng, split_scenes
from artstudio.core.captions import (MAX_SIDECAR_BYTES, Vocabulary, prepare_captioned, read_sidecar, words)
from artstudio.core.dataset import DatasetError


def test_held_out_combinations_never_reach_a_training_folder():
    train, held = split_scenes()
    assert held and not set(train) & set(held)
    assert set(train) | set(held) == set(all_scenes())
    _, _, drawn = make_scenes(len(train) * 2, seed=4)
    assert not set(drawn) & set(held)


def test_captions_say_exactly_what_is_drawn():
    scene = Scene("red", "triangle", 2, "black")
    assert scene.caption(0) == "two red triangles on a black background"
    assert Scene("blue", "circle", 1, "white").caption(1) == "a white background with a blue circle"


def test_the_checker_reads_the_scenes_it_judges():
    images, _, scenes = make_scenes(400, seed=1)
    scores = agreement(images, scenes)
    assert scores["colour"] == 1.0 and scores["background"] == 1.0
    assert scores["count"] > 0.98 and scores["shape"] > 0.95


def test_the_checker_is_not_fooled_by_a_blank_or_a_wrong_picture():
    blank = np.full((32, 32, 3), 15, np.uint8)
    assert read_scene(blank).count == 0 and read_scene(blank).background == "black"
    three_green = draw_scene(Scene("green", "square", 3, "grey"), scene_rng(0, 0))
    agrees = read_scene(three_green).agrees(Scene("red", "circle", 1, "grey"))
    assert agrees == {"colour": False, "shape": False, "count": False, "background": True}


def test_words_of_any_script_and_unknown_words():
    assert words("Two RED circles, 3 stars!") == ["two", "red", "circles", "3", "stars"]
    assert words("两个红色的圆") and words("два красных круга") == ["два", "красных", "круга"]
    vocabulary = Vocabulary.build(["two red circles", "a red square"])
    ids, lengths = vocabulary.encode(["red zebra", ""])
    assert lengths.tolist() == [2, 1] and ids[0, 1] == 1 and ids[1, 0] == 1       # 1: unknown
    assert vocabulary.known("red zebra") == (["red"], ["zebra"])


def write_picture(path, colour):
    Image.fromarray(np.full((40, 40, 3), colour, np.uint8)).save(path)


def test_sidecars_are_read_as_hostile_input(tmp_path):
    image = tmp_path / "a.png"
    write_picture(image, (0, 0, 0))
    with pytest.raises(ValueError, match="missing"):
        read_sidecar(image)
    sidecar = tmp_path / "a.txt"
    sidecar.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        read_sidecar(image)
    sidecar.write_bytes(b"\xff\xfe red \x80")
    with pytest.raises(ValueError, match="UTF-8"):
        read_sidecar(image)
    sidecar.write_bytes(b"x" * (MAX_SIDECAR_BYTES + 1))
    with pytest.raises(ValueError, match="larger"):
        read_sidecar(image)
    sidecar.write_text("\ufeffa red  square\n两个红色的圆\n", encoding="utf-8")
    assert read_sidecar(image) == ["a red square", "两个红色的圆"]
    sidecar.unlink()
    os.mkfifo(sidecar)                  # a FIFO must not block the scan
    with pytest.raises(ValueError, match="not a regular file"):
        read_sidecar(image)


def test_a_captioned_folder_keeps_each_caption_with_its_picture(tmp_path):
    colours = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "white": (255, 255, 255)}
    for index, (name, rgb) in enumerate(colours.items()):
        write_picture(tmp_path / f"{index}.png", rgb)
        (tmp_path / f"{index}.txt").write_text(f"all {name}\n", encoding="utf-8")
    write_picture(tmp_path / "uncaptioned.png", (9, 9, 9))
    (tmp_path / "tiny.png").write_bytes(b"not a picture")
    (tmp_path / "tiny.txt").write_text("broken\n", encoding="utf-8")
    data, report = prepare_captioned(tmp_path, 32)
    assert len(data.tiles) == len(data.captions) == 4 and report.used == 4
    for tile, lines in zip(data.tiles, data.captions):
        assert tuple(tile[0, 0]) == colours[lines[0].split()[1]]
    assert any("uncaptioned.png: no caption" in line for line in report.skipped)
    assert any(line.startswith("tiny.png:") for line in report.skipped)


def test_a_folder_without_captions_is_one_line(tmp_path):
    write_picture(tmp_path / "a.png", (1, 2, 3))
    with pytest.raises(DatasetError, match="needs a NAME.txt caption"):
        prepare_captioned(tmp_path, 32)
