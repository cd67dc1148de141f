"""One dataset path: the restoration trainer reads photos through core.dataset's parallel, cached loader."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from artstudio.core.dataset import DatasetError, prepare_photos
from artstudio.core.imageio import load_image


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(5)
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    for index, (h, w) in enumerate([(40, 56), (64, 48), (33, 90)]):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / f"p{index}.png")
    rgba = rng.integers(0, 256, (40, 40, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(root / "sub" / "alpha.png")
    Image.fromarray(np.zeros((20, 80, 3), np.uint8)).save(root / "sub" / "thin.png")
    (root / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    return root


def test_photos_keep_their_full_resolution_and_order(folder):
    photos, report = prepare_photos(folder, 32)
    assert [p.shape for p in photos] == [(40, 56, 3), (64, 48, 3), (33, 90, 3), (40, 40, 3)]
    assert all(p.dtype == np.uint8 and p.flags.c_contiguous for p in photos)
    assert np.array_equal(photos[1], load_image(folder / "p1.png").pixels[..., :3])
    assert (report.found, report.used) == (6, 4)
    assert sorted(s.split(":")[0] for s in report.skipped) == ["broken.jpg", "sub/thin.png"]
    assert "80x20 px is smaller than 32 px" in " ".join(report.skipped)


def test_transparent_pixels_are_composited_on_white(folder):
    photos, _ = prepare_photos(folder, 32)
    rgba = load_image(folder / "sub" / "alpha.png").pixels.astype(np.float32)
    expected = rgba[..., :3] * rgba[..., 3:] / 255 + 255 * (1 - rgba[..., 3:] / 255)
    assert np.abs(photos[3].astype(np.float32) - expected).max() <= 1


def test_photos_are_cached_and_a_damaged_cache_is_ignored(folder, tmp_path):
    cache = tmp_path / "cache"
    first, report = prepare_photos(folder, 32, cache)
    again, cached = prepare_photos(folder, 32, cache)
    assert not report.cached and cached.cached and cached.skipped == report.skipped
    assert all(np.array_equal(a, b) for a, b in zip(first, again)) and len(again) == len(first)
    info = next((cache / "datasets").glob("*.json"))
    info.write_text(info.read_text().replace("[40, 56, 3]", "[4000, 56, 3]"))   # shapes that do not add up
    rebuilt, report = prepare_photos(folder, 32, cache)
    assert not report.cached and all(np.array_equal(a, b) for a, b in zip(first, rebuilt))


def test_a_folder_with_nothing_usable_is_one_line(tmp_path, folder):
    with pytest.raises(DatasetError, match="does not exist"):
        prepare_photos(tmp_path / "nowhere", 32)
    with pytest.raises(DatasetError, match="No usable images.*all 6 were skipped"):
        prepare_photos(folder, 1000)
