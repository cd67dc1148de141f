"""Files from outside are hostile: only the promised decoders may see them.

Pillow, left to itself, picks a decoder from the file's content. A PostScript
file named ``scan.jpg`` then reaches the system Ghostscript, which can write
files; a few bytes of EPS can ask for gigapixels. These tests hold the door
shut for every way a file gets in: photos, masks, recipes and training folders.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image, PngImagePlugin

from artstudio.core import imageio
from artstudio.core.dataset import scan_images
from artstudio.core.imageio import DECODERS, ImageError, load_image, load_mask
from artstudio.core.latent_state import LatentFileError
from artstudio.core.recipe import RECIPE_KEY, read_recipe

# A page that, under Ghostscript, would write a file of its choosing.
POSTSCRIPT = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 15000 15000\n"
              b"(/tmp/artstudio-pwned) (w) file closefile\nshowpage\n")


@pytest.fixture
def no_ghostscript(monkeypatch):
    """Fail the test if the EPS decoder is consulted or any process starts."""
    reached = []

    def refuse(*args, **kwargs):
        reached.append(args)
        raise AssertionError("a hostile file reached an external program")

    original = EpsImagePlugin.EpsImageFile._open

    def spy(self):
        reached.append("eps")
        return original(self)

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", spy)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "check_call", refuse)
    return reached


def _one_line(excinfo, name):
    message = str(excinfo.value)
    assert "\n" not in message and name in message, message
    return message


@pytest.mark.parametrize("name", ["scan.jpg", "scan.png", "scan.tif", "scan.eps"])
def test_postscript_never_reaches_ghostscript(tmp_path, no_ghostscript, name):
    path = tmp_path / name
    path.write_bytes(POSTSCRIPT)
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    message = _one_line(excinfo, name)
    assert "PNG, JPEG, TIFF, WebP or BMP" in message
    assert no_ghostscript == []


def test_postscript_mask_is_refused_too(tmp_path, no_ghostscript):
    path = tmp_path / "mask.png"
    path.write_bytes(POSTSCRIPT)
    with pytest.raises(ImageError):
        load_mask(path)
    assert no_ghostscript == []


def test_postscript_dropped_as_a_recipe_is_refused(tmp_path, no_ghostscript):
    path = tmp_path / "face.png"
    path.write_bytes(POSTSCRIPT)
    with pytest.raises(LatentFileError) as excinfo:
        read_recipe(path)
    _one_line(excinfo, "face.png")
    assert no_ghostscript == []


# Formats Pillow can decode but the README never promised; each is written
# under a promised extension, as an attacker (or a confused export) would.
UNPROMISED = ["GIF", "ICO", "PPM", "PCX", "TGA", "SGI", "XBM", "DDS"]


@pytest.mark.parametrize("fmt", UNPROMISED)
def test_unpromised_formats_are_refused_whatever_the_name(tmp_path, fmt):
    mode = "1" if fmt == "XBM" else ("RGBA" if fmt == "DDS" else "RGB")
    source = tmp_path / "made"
    Image.new(mode, (16, 16), 1 if mode == "1" else (200, 40, 40)).save(source, format=fmt)
    path = tmp_path / "photo.jpg"
    path.write_bytes(source.read_bytes())
    with Image.open(path) as im:           # Pillow alone would have opened it
        assert im.format == fmt
    with pytest.raises(ImageError) as excinfo:
        load_image(path)
    _one_line(excinfo, "photo.jpg")


@pytest.mark.parametrize("fmt, ext", [("PNG", ".png"), ("JPEG", ".jpg"), ("TIFF", ".tif"),
                                      ("WEBP", ".webp"), ("BMP", ".bmp")])
def test_every_promised_format_still_opens(tmp_path, fmt, ext):
    path = tmp_path / f"ok{ext}"
    Image.new("RGB", (20, 12), (10, 120, 230)).save(path, format=fmt)
    loaded = load_image(path)
    assert loaded.format == fmt and loaded.size == (20, 12)
    assert fmt in DECODERS


def test_training_folders_skip_hostile_files(tmp_path, no_ghostscript):
    (tmp_path / "a.png").write_bytes(POSTSCRIPT)
    Image.new("RGB", (8, 8)).save(tmp_path / "b.png")
    files = scan_images(tmp_path)
    loaded, refused = [], []
    for path in files:
        try:
            loaded.append(load_image(path).path.name)
        except ImageError:
            refused.append(path.name)
    assert (loaded, refused) == (["b.png"], ["a.png"])
    assert no_ghostscript == []


def test_deeply_nested_recipe_is_one_line_not_recursion_error(tmp_path):
    path = tmp_path / "deep.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt(RECIPE_KEY, "[" * 100_000 + "]" * 100_000, zip=True)
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(path, pnginfo=info)
    with pytest.raises(LatentFileError) as excinfo:
        read_recipe(path)
    assert "damaged" in _one_line(excinfo, "deep.png")


def test_no_image_is_opened_without_an_explicit_decoder_list():
    """Closes the class: a new ``Image.open`` must name its decoders."""
    root = Path(imageio.__file__).resolve().parents[1]
    offenders = []
    for source in root.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        for match in re.finditer(r"Image\.open\(([^)]*)\)", text):
            if "formats=" not in match.group(1):
                offenders.append(f"{source.relative_to(root)}: {match.group(0)}")
    assert offenders == []
