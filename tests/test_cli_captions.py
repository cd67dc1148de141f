"""``artstudio dataset``, ``train cgan`` and ``generate --caption`` from the shell."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from artstudio.core.caption_check import read_scene
from artstudio.core.paths import AppPaths
from artstudio.core.recipe import read_recipe

from cli_helpers import one_error_line, run_cli


def test_dataset_train_generate_and_list_a_caption_conditioned_model(tmp_path, capsys):
    data = tmp_path / "scenes"
    assert run_cli("dataset", "shapes", data, "--count", 40, "--seed", 2) == 0
    assert "Wrote 40 captioned scenes" in capsys.readouterr().out
    first = data / "00000.txt"
    image = np.asarray(Image.open(data / "00000.png").convert("RGB"))
    reading, caption = read_scene(image), first.read_text(encoding="utf-8").strip()
    assert reading.colour in caption and reading.background in caption     # the caption says what is drawn
    assert run_cli("dataset", "shapes", data, "--count", 5) == 1
    assert "not an empty folder" in one_error_line(capsys)

    assert run_cli("train", "cgan", "--data", data, "--out", "scenes", "--size", 32, "--steps", 2, "--batch", 4,
                   "--width", 8, "-q") == 0
    card = json.loads((AppPaths.from_environment().models / "scenes.json").read_text())
    assert card["kind"] == "cgan" and "--text gru" in card["command"] and card["config"]["vocabulary"]
    assert run_cli("models") == 0
    assert any(line.split()[:2] == ["scenes", "cgan"] for line in capsys.readouterr().out.splitlines())

    out = tmp_path / "red.png"
    assert run_cli("generate", "--model", "scenes", "--seed", 4, "--caption", "a red  circle", "-o", out) == 0
    assert 'Generated scenes "a red circle" seed 4' in capsys.readouterr().out
    assert read_recipe(out).caption == "a red circle"
    assert run_cli("generate", "--model", "scenes", "--seed", 4, "-o", tmp_path / "x.png") == 1
    assert "give one with --caption" in one_error_line(capsys)
    assert run_cli("generate", "--model", "cppn", "--seed", 4, "--caption", "red", "-o", tmp_path / "y.png") == 1
    assert "takes no caption" in one_error_line(capsys)
    assert run_cli("generate", "--model", "scenes", "--seed", 4, "--caption", "красный круг", "-o", out) == 0
    assert "never saw the word(s) красный, круг" in capsys.readouterr().out
