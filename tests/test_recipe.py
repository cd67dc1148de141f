"""Recipes inside PNG files, and animations."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
from PIL import Image

from artstudio.core.animation import frame_duration_ms, save_animation
from artstudio.core.imageio import ImageError, load_image, save_image
from artstudio.core.latent_state import LatentFileError, LatentState
from artstudio.core.recipe import RECIPE_KEY, read_recipe, recipe_dict, write_png_with_recipe


@pytest.fixture
def state():
    rng = np.random.default_rng(5)
    latent = rng.standard_normal(100).astype(np.float32)
    # awkward float32 values: tiny, subnormal, huge, negative zero
    latent[:5] = np.array([1e-30, 1.4e-45, 3.4e38, -0.0, 1 / 3], np.float32)
    return LatentState("dcgan-faces", "f" * 64, 1234, latent, truncation=0.8,
                       edits={0: 1.5, 7: -2.25}, names={0: "smile"})


@pytest.fixture
def image():
    return np.random.default_rng(0).integers(0, 256, (40, 48, 3), dtype=np.uint8)


def test_recipe_round_trips_bit_identically(tmp_path, state, image):
    out = write_png_with_recipe(tmp_path / "face.png", image, state, "9.9.9")
    restored = read_recipe(out)
    assert restored == state
    assert restored.latent.tobytes() == state.latent.tobytes()
    assert np.array_equal(load_image(out).pixels, image)
    with Image.open(out) as im:
        recipe = json.loads(im.info[RECIPE_KEY])
    assert recipe["app_version"] == "9.9.9" and recipe["seed"] == 1234 and recipe["model_hash"] == "f" * 64
    assert recipe["edits"] == [[0, 1.5], [7, -2.25]] and recipe["names"] == [[0, "smile"]]
    assert len(recipe["latent"]) == 100
    assert recipe_dict(state, "9.9.9") == recipe


def test_random_latents_round_trip_exactly(tmp_path, image):
    rng = np.random.default_rng(1)
    for i in range(5):
        latent = (rng.standard_normal(512) * 10.0 ** rng.integers(-8, 8, 512)).astype(np.float32)
        state = LatentState("cppn", "h", i, latent)
        out = write_png_with_recipe(tmp_path / f"{i}.png", image, state, "1")
        assert read_recipe(out).latent.tobytes() == latent.tobytes()


def test_the_recipe_of_a_projection_says_no_seed_makes_it(tmp_path, state, image):
    import dataclasses

    projected = dataclasses.replace(state, origin="projection")
    out = write_png_with_recipe(tmp_path / "projected.png", image, projected, "1")
    with Image.open(out) as im:
        recipe = json.loads(im.info[RECIPE_KEY])
    assert recipe["seed"] is None and recipe["origin"] == "projection"
    back = read_recipe(out)
    assert back == projected and back.seed is None and back.latent.tobytes() == state.latent.tobytes()


def test_plain_images_have_no_recipe(tmp_path, image):
    save_image(tmp_path / "plain.png", image)
    save_image(tmp_path / "plain.jpg", image)
    assert read_recipe(tmp_path / "plain.png") is None
    assert read_recipe(tmp_path / "plain.jpg") is None


def _png_with_text(path, image, text):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt(RECIPE_KEY, text, zip=True)
    Image.fromarray(image).save(path, pnginfo=info)
    return path


@pytest.mark.parametrize("text, expected", [
    ("{broken", "not valid JSON"),
    ('{"model": "x"}', "no latent"),
    ('{"model": "x", "seed": 1, "latent": ["a", "b"]}', "not a list of numbers"),
    ('{"model": "x", "latent": [1.0, 2.0]}', "'seed' is missing"),
    ('{"model": "x", "seed": 1, "latent": [1.0], "truncation": 7}', "truncation must be in"),
    ('{"model": "x", "seed": null, "latent": [1.0]}', "expected a whole number"),
    ('{"model": "x", "seed": 1, "origin": "dream", "latent": [1.0]}', "origin must be one of"),
])
def test_damaged_recipes_raise_one_line_naming_the_file(tmp_path, image, text, expected):
    path = _png_with_text(tmp_path / "bad.png", image, text)
    with pytest.raises(LatentFileError) as info:
        read_recipe(path)
    assert expected in str(info.value) and "'bad.png'" in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_files_raise(tmp_path):
    with pytest.raises(LatentFileError, match="File not found: 'nope.png'"):
        read_recipe(tmp_path / "nope.png")
    (tmp_path / "junk.png").write_bytes(b"junk" * 50)
    with pytest.raises(LatentFileError, match="damaged or not an image"):
        read_recipe(tmp_path / "junk.png")


def test_write_is_atomic_and_checks_the_name(tmp_path, state, image):
    target = tmp_path / "face.png"
    target.write_bytes(b"old")
    with pytest.raises(ImageError, match="must end in .png"):
        write_png_with_recipe(tmp_path / "face.jpg", image, state, "1")
    with pytest.raises(ImageError, match="does not exist"):
        write_png_with_recipe(tmp_path / "no" / "face.png", image, state, "1")
    with pytest.raises(ValueError):
        write_png_with_recipe(target, image.astype(np.float32), state, "1")
    assert target.read_bytes() == b"old"
    write_png_with_recipe(target, image, state, "1")
    assert read_recipe(target) == state
    assert [p.name for p in tmp_path.iterdir()] == ["face.png"]
    assert zlib.crc32(target.read_bytes()) != zlib.crc32(b"old")


def moving_frames(count=7, h=24, w=32):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([np.stack([(x * 8 + i * 30) % 256, (y * 10) % 256, np.full_like(x, i * 30)], -1)
                     for i in range(count)]).astype(np.uint8)


@pytest.mark.parametrize("suffix, fmt", [(".gif", "GIF"), (".png", "PNG"), (".webp", "WEBP")])
@pytest.mark.parametrize("loop", [True, False])
def test_animation_frame_count_size_and_timing(tmp_path, suffix, fmt, loop):
    frames = moving_frames()
    out = save_animation(tmp_path / f"anim{suffix}", frames, fps=10, loop=loop)
    with Image.open(out) as im:
        assert im.format == fmt and im.size == (32, 24)
        assert im.n_frames == 7 and im.is_animated
        if loop:
            assert im.info.get("loop") == 0
        else:
            assert im.info.get("loop", 1) != 0
        decoded = []
        for index in range(7):
            im.seek(index)
            decoded.append(np.asarray(im.convert("RGB")).astype(int))
            assert im.info.get("duration") == 100  # WebP sets it once the frame is read
    for index, got in enumerate(decoded):  # in order, and close (GIF: 256 colours, WebP: lossy)
        errors = [np.abs(got - frame).mean() for frame in frames]
        assert int(np.argmin(errors)) == index
        assert errors[index] == 0 if fmt == "PNG" else errors[index] < 25


def test_gif_timing_is_rounded_to_hundredths():
    assert frame_duration_ms(24, "GIF") == 40 and frame_duration_ms(24, "PNG") == 42
    assert frame_duration_ms(120, "GIF") == 20
    with pytest.raises(ValueError):
        frame_duration_ms(0)


def test_animation_rejects_bad_input(tmp_path):
    with pytest.raises(ImageError, match="not supported"):
        save_animation(tmp_path / "a.mp4", moving_frames(), 10)
    with pytest.raises(ValueError):
        save_animation(tmp_path / "a.gif", moving_frames()[..., :2], 10)
    assert list(tmp_path.iterdir()) == []
