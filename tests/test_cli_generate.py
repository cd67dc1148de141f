"""``artstudio generate``, ``interpolate`` and ``models`` with the real built-in models."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from artstudio.__main__ import main
from artstudio.core.imageio import load_image
from artstudio.core.latent import sample_latent
from artstudio.core.recipe import read_recipe

from cli_helpers import one_error_line, run_cli




def test_generate_cppn_is_deterministic_and_embeds_the_recipe(tmp_path, capsys):
    first, again, other = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    assert run_cli("generate", "--model", "cppn", "--seed", 3, "--size", 48, "-o", first) == 0
    assert "wrote" in capsys.readouterr().out
    assert run_cli("generate", "--model", "cppn", "--seed", 3, "--size", 48, "-o", again, "-q") == 0
    assert capsys.readouterr().out == ""
    assert run_cli("generate", "--model", "cppn", "--seed", 4, "--size", 48, "-o", other) == 0
    pixels = load_image(first).pixels
    assert pixels.shape == (48, 48, 3)
    assert np.array_equal(pixels, load_image(again).pixels)
    assert not np.array_equal(pixels, load_image(other).pixels)
    state = read_recipe(first)
    assert state.model == "cppn" and state.seed == 3 and state.truncation == 1.0 and state.edits == ()
    assert np.array_equal(state.latent, sample_latent(state.dim, 3)) and len(state.model_hash) == 64


def test_generate_gan_with_edits_truncation_and_upscale(tmp_path):
    plain, edited, big = tmp_path / "plain.png", tmp_path / "edited.png", tmp_path / "big.png"
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 1, "-o", plain) == 0
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 1, "-o", edited,
                   "--edit", "0=2.5", "--edit", " 3 = -1 ", "--truncation", 0.7) == 0
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 1, "-o", big, "--size", 96) == 0
    base = load_image(plain).pixels
    assert base.shape == (64, 64, 3) and load_image(big).pixels.shape == (96, 96, 3)
    assert np.abs(load_image(edited).pixels.astype(int) - base).mean() > 2
    state = read_recipe(edited)
    assert state.edits == ((0, 2.5), (3, -1.0)) and state.truncation == pytest.approx(0.7)


def test_generate_at_a_width_and_height(tmp_path):
    wide, square, cppn = tmp_path / "wide.png", tmp_path / "square.png", tmp_path / "cppn.png"
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 5, "--size", "96x64", "-o", wide) == 0
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 5, "--size", 96, "-o", square) == 0
    assert run_cli("generate", "--model", "cppn", "--seed", 5, "--size", "40X72", "-o", cppn) == 0
    pixels = load_image(wide).pixels
    assert pixels.shape == (64, 96, 3)
    assert np.array_equal(pixels, load_image(square).pixels[16:80])       # the centre, not a stretch
    assert load_image(cppn).pixels.shape == (72, 40, 3)
    assert read_recipe(wide).seed == 5 and read_recipe(cppn).model == "cppn"


def test_the_recipe_renders_the_same_pixels_again(tmp_path):
    from artstudio.core.paths import AppPaths
    from artstudio.jobs.generate import get_generator

    out = tmp_path / "face.png"
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 9, "-o", out, "--edit", "2=1.5") == 0
    state = read_recipe(out)
    generator = get_generator(state.model)
    assert state.model_hash == generator.model_hash
    vectors = generator.directions(cache_dir=AppPaths.from_environment().cache).vectors
    again = generator.render(state.effective(vectors)[None])[0]
    assert np.array_equal(again, load_image(out).pixels)


@pytest.mark.parametrize("suffix, fmt", [(".gif", "GIF"), (".png", "PNG"), (".webp", "WEBP")])
def test_interpolate_writes_the_requested_frames(tmp_path, capsys, suffix, fmt):
    out = tmp_path / f"walk{suffix}"
    assert run_cli("interpolate", "--model", "cppn", "--seeds", "1,2,3", "--frames", 7,
                   "--size", 24, "--fps", 10, "-o", out, "--loop") == 0
    assert "7 frames of 24x24" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.format == fmt and im.size == (24, 24) and im.n_frames == 7
        assert im.info.get("loop") == 0


def test_interpolation_starts_on_the_first_seed_and_ends_on_the_last(tmp_path):
    anim, first, last = tmp_path / "walk.png", tmp_path / "first.png", tmp_path / "last.png"
    assert run_cli("interpolate", "--model", "dcgan-faces", "--seeds", "5,6", "--frames", 4, "-o", anim) == 0
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 5, "-o", first) == 0
    assert run_cli("generate", "--model", "dcgan-faces", "--seed", 6, "-o", last) == 0
    with Image.open(anim) as im:
        assert im.n_frames == 4 and im.size == (64, 64) and im.info.get("loop", 1) != 0
        frames = []
        for index in range(4):
            im.seek(index)
            frames.append(np.asarray(im.convert("RGB")))
    assert np.array_equal(frames[0], load_image(first).pixels)
    assert np.array_equal(frames[-1], load_image(last).pixels)


def test_models_lists_builtins_and_user_models(capsys, _isolated_home):
    models = _isolated_home / "models"
    models.mkdir(parents=True)
    (models / "my-gan.safetensors").write_bytes(b"not checked when listing")
    (models / "my-gan.json").write_text(json.dumps({
        "name": "my-gan", "kind": "gan", "latent_dim": 64, "resolution": 32, "sha256": "0" * 64,
        "source": "trained in ArtStudio", "licence": "CC0"}))
    assert run_cli("models") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "LATENT", "RESOLUTION", "SOURCE", "LICENCE"]
    blank = lines.index("")
    rows = {line.split()[0]: line for line in lines[1:blank]}
    assert {"dcgan-faces", "cppn", "my-gan"} <= set(rows)
    assert lines[blank + 1].split() == ["RESTORATION", "TASK", "SOURCE"]
    assert "restore-inpaint  inpaint  shipped" in lines[blank + 2:][0]
    assert rows["dcgan-faces"].split()[1:4] == ["gan", "100", "64"] and "Chien Liu" in rows["dcgan-faces"]
    assert rows["my-gan"].split()[1:4] == ["gan", "64", "32"] and rows["my-gan"].endswith("CC0")


@pytest.mark.parametrize("args, expected", [
    (["generate", "--model", "nope", "--seed", "1"], "Unknown model 'nope'. Available: dcgan-faces, cppn"),
    (["generate", "--model", "cppn", "--seed", "1", "--edit", "3:2"], "invalid edit '3:2'"),
    (["generate", "--model", "cppn", "--seed", "1", "--edit", "a=1"], "invalid edit 'a=1'"),
    (["generate", "--model", "cppn", "--seed", "1", "--edit", "1=1e999"], "SIGMA must be a number"),
    (["generate", "--model", "cppn", "--seed", "1", "--edit", "8=1"], "Direction 8 does not exist"),
    (["generate", "--model", "cppn", "--seed", "1", "--edit", "1=1", "--edit", "1=2"], "edited once"),
    (["generate", "--model", "cppn", "--seed", "1", "--size", "4"], "--size must be from 8"),
    (["generate", "--model", "cppn", "--seed", "1", "--size", "big"], "invalid size 'big': use PX"),
    (["generate", "--model", "cppn", "--seed", "1", "--size", "64x4"], "--size must be from 8 to 16384 pixels per "
                                                                      "side, not 64x4"),
    (["generate", "--model", "cppn", "--seed", "-3"], "invalid seed '-3'"),
    (["generate", "--model", "dcgan-faces", "--seed", "1", "--truncation", "0"], "--truncation must be"),
    (["interpolate", "--model", "cppn", "--seeds", "1,x", "--frames", "5"], "invalid seed 'x'"),
    (["interpolate", "--model", "cppn", "--seeds", "1,2,3", "--frames", "2"], "--frames must be from 3"),
    (["interpolate", "--model", "cppn", "--seeds", "1,2", "--frames", "5", "--fps", "0"], "--fps must be"),
    (["interpolate", "--model", "nope", "--seeds", "1,2", "--frames", "5"], "Unknown model 'nope'"),
])
def test_bad_arguments_print_one_line_and_write_nothing(tmp_path, capsys, args, expected):
    out = tmp_path / ("out.gif" if args[0] == "interpolate" else "out.png")
    assert run_cli(*args, "-o", out) not in (0, None)
    assert expected in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["generate", "interpolate"])
@pytest.mark.parametrize("target, expected", [
    ("missing/out", "does not exist"), ("out.jpg", "must end in"), ("folder.png", "it is a folder"),
])
def test_unwritable_outputs_are_refused_before_rendering(tmp_path, capsys, command, target, expected):
    (tmp_path / "folder.png").mkdir()
    out = tmp_path / target
    if command == "generate":
        args = ["generate", "--model", "cppn", "--seed", 1, "-o", out.with_suffix(out.suffix or ".png")]
    else:
        suffix = {"": ".gif", ".jpg": ".jpg", ".png": ".png"}[out.suffix]
        args = ["interpolate", "--model", "cppn", "--seeds", "1,2", "--frames", 3, "-o", out.with_suffix(suffix)]
    assert run_cli(*args) == 1
    assert expected in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.png"]


def test_generate_runs_without_qt_and_models_without_torch(tmp_path):
    out = tmp_path / "cli.png"
    code = ("import sys\nfrom artstudio.__main__ import main\nrc = main(sys.argv[1:])\n"
            "assert 'PySide6' not in sys.modules, 'Qt was imported'\n"
            "print('TORCH' if 'torch' in sys.modules else 'NOTORCH')\nsys.exit(rc)")
    env = {**os.environ, "ARTSTUDIO_DEVICE": "cpu"}
    run = subprocess.run([sys.executable, "-c", code, "generate", "--model", "cppn", "--seed", "2",
                          "--size", "16", "-o", str(out)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert out.exists() and read_recipe(out).seed == 2
    listing = subprocess.run([sys.executable, "-c", code, "models"], capture_output=True, text=True, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "dcgan-faces" in listing.stdout and "NOTORCH" in listing.stdout


@pytest.mark.parametrize("argv, expected", [
    (["restore", "IN", "--mask", "M", "-o", "OUT.png", "--radius", "100000", "--method", "telea"], "--radius"),
    (["generate", "--model", "cppn", "--seed", "1", "-o", "OUT.png", "--edit", "1=1e39"], "SIGMA must be"),
    (["interpolate", "--model", "cppn", "--seeds", "1,2", "--frames", "4", "-o", "OUT.gif", "--size", "16384"],
     "at most 2048"),
])
def test_out_of_range_numbers_are_refused_before_any_work(tmp_path, capsys, argv, expected):
    from artstudio.__main__ import main

    argv = [str(tmp_path / a) if a in ("IN", "M", "OUT.png", "OUT.gif") else a for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code not in (0, None)
    assert expected in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
