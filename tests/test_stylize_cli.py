"""``artstudio stylize``, driven through a test-only parser holding just this command
(its line in ``artstudio.cli`` is the lead's to add): files in, files out, one line on any failure."""

from __future__ import annotations

import hashlib
import sys

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from artstudio.cli.common import CliError, _Parser
from artstudio.cli.stylize import add_stylize, cmd_stylize
from artstudio.core.imageio import load_image, save_image
from artstudio.core.style_recipe import read_style_recipe
from artstudio.jobs.base import CancelToken, run_sync
from artstudio.jobs.stylize import ENGINE, StylizeRequest, run_stylize


def stylize_cli(*args) -> int:
    """``artstudio stylize ARGS`` as the real entry point runs it: exit code, one stderr line on error."""
    parser = _Parser(prog="artstudio")
    add_stylize(parser.add_subparsers(dest="command", parser_class=_Parser))
    try:
        parsed = parser.parse_args(["stylize", *map(str, args)])
        return cmd_stylize(parsed)
    except SystemExit as exit_:
        return exit_.code
    except CliError as error:
        print(f"artstudio stylize: error: {error}", file=sys.stderr)
        return 1


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def small(image: np.ndarray, width: int) -> np.ndarray:
    return cv2.resize(image, (width, round(image.shape[0] * width / image.shape[1])), interpolation=cv2.INTER_AREA)


@pytest.fixture
def files(tmp_path):
    photo, style = tmp_path / "cat.png", tmp_path / "coffee.jpg"
    save_image(photo, small(data.chelsea(), 96))
    save_image(style, small(data.coffee(), 96))
    return photo, style, tmp_path


def test_colour_mode_writes_the_matched_photo_with_its_recipe(files, capsys):
    photo, style, folder = files
    out = folder / "out.png"
    assert stylize_cli(photo, "--style", style, "-o", out, "--method", "reinhard", "--strength", "0.8") == 0
    said = capsys.readouterr().out
    assert said.startswith("Stylized cat.png after coffee.jpg (colour match (reinhard, strength 80%))")
    assert said.rstrip().endswith("(recipe inside)")
    expected = run_sync(run_stylize(StylizeRequest(load_image(photo).pixels, load_image(style).pixels, "colour",
                                                   method="reinhard", strength=0.8), CancelToken()))
    assert np.array_equal(load_image(out).pixels, expected.image)
    (step,) = read_style_recipe(out)
    assert step["engine"] == ENGINE and step["mode"] == "colour" and step["method"] == "reinhard"
    assert step["style"] == {"name": "coffee.jpg", "sha256": hashlib.sha256(style.read_bytes()).hexdigest()}


def test_paint_under_a_mask_keeps_the_rest_and_the_same_seed_repeats(files):
    photo, style, folder = files
    mask = np.zeros((64, 96), np.uint8)
    mask[:, 48:] = 255
    save_image(folder / "mask.png", np.repeat(mask[..., None], 3, axis=2))
    outs = [folder / "a.png", folder / "b.png"]
    for out in outs:
        assert stylize_cli(photo, "--style", style, "-o", out, "--mode", "paint", "--mask", folder / "mask.png",
                           "--steps", 8, "--seed", 5, "-q") == 0
    a, b = (load_image(out).pixels for out in outs)
    assert np.array_equal(a, b)
    original = load_image(photo).pixels
    assert np.array_equal(a[:, :48], original[:, :48]) and not np.array_equal(a[:, 48:], original[:, 48:])
    (step,) = read_style_recipe(outs[0])
    assert (step["mode"], step["seed"], step["steps"], step["region"]) == ("paint", 5, 8, "inside the mask")
    assert step["weights"] == {"content": 1.0, "style": 1.0} and step["statistic"] == "sliced"


def test_a_jpeg_out_has_no_room_for_the_recipe_and_says_so(files, capsys):
    photo, style, folder = files
    assert stylize_cli(photo, "--style", style, "-o", folder / "out.jpg") == 0
    assert capsys.readouterr().out.rstrip().endswith("(only a .png keeps the recipe)")
    assert read_style_recipe(folder / "out.jpg") is None


def test_sixteen_bit_grey_and_transparent_styles_are_used_with_a_note(files, capsys):
    photo, _, folder = files
    grey16 = (small(data.camera(), 96).astype(np.uint16) * 257)
    Image.fromarray(grey16).save(folder / "scan16.png")
    rgba = np.dstack([small(data.coffee(), 96), np.full((64, 96), 255, np.uint8)])
    rgba[:, :20, 3] = 0
    save_image(folder / "cutout.png", rgba)
    assert stylize_cli(photo, "--style", folder / "scan16.png", "-o", folder / "o1.png") == 0
    assert "Note: The style image is greyscale" in capsys.readouterr().out
    assert stylize_cli(photo, "--style", folder / "cutout.png", "-o", folder / "o2.png") == 0
    assert "Note: The style image is partly transparent" in capsys.readouterr().out


@pytest.mark.parametrize("case, message", [
    ("tiny", "The style image is 40×30 pixels: a style needs at least 64 on each side"),
    ("same", "The style image is the photo itself"),
    ("empty mask", "The mask is empty: paint where the style should go"),
    ("missing", "missing.png"),
    ("out is style", "Refusing to overwrite the style image"),
    ("steps colour", "--steps works with --mode paint or texture, not colour."),
    ("strength", "--strength must be from 0 to 1, not 2.0."),
    ("outside alone", "--outside-style needs --mask"),
])
def test_bad_input_is_one_line_and_writes_nothing(files, capsys, case, message):
    photo, style, folder = files
    out = folder / "out.png"
    save_image(folder / "tiny.png", np.zeros((30, 40, 3), np.uint8))
    save_image(folder / "empty.png", np.zeros((64, 96, 3), np.uint8))
    args = {"tiny": ["--style", folder / "tiny.png"], "same": ["--style", photo],
            "empty mask": ["--style", style, "--mask", folder / "empty.png"],
            "missing": ["--style", folder / "missing.png"], "out is style": ["--style", style],
            "steps colour": ["--style", style, "--steps", 5], "strength": ["--style", style, "--strength", 2],
            "outside alone": ["--style", style, "--outside-style", style]}[case]
    target = style if case == "out is style" else out
    before = target.read_bytes() if target.exists() else None
    assert stylize_cli(photo, *args, "-o", target) == 1
    line = one_error_line(capsys)
    assert line.startswith("artstudio stylize: error: ") and message in line
    assert (target.read_bytes() if target.exists() else None) == before
