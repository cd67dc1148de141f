import numpy as np

from artstudio.core.display import DisplayPyramid
from artstudio.core.rect import Rect


def test_overlay_tints_only_masked_pixels(photo, scratch):
    pyr = DisplayPyramid(photo, scratch, color=(255, 0, 0), opacity=0.5)
    top = pyr.levels[0]
    keep = scratch == 0
    assert np.array_equal(top[..., :3][keep], photo[keep])
    red = top[..., 0][scratch > 0].astype(int) - photo[..., 0][scratch > 0]
    assert (red >= 0).all() and red.mean() > 20


def test_incremental_update_matches_a_full_rebuild():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (700, 900, 3), dtype=np.uint8)
    mask = np.zeros((700, 900), np.uint8)
    pyr = DisplayPyramid(image, mask)
    mask[100:180, 333:401] = 255
    pyr.update(Rect(333, 100, 401, 180))
    fresh = DisplayPyramid(image, mask)
    assert len(pyr.levels) == len(fresh.levels) >= 3
    for a, b in zip(pyr.levels, fresh.levels):
        assert np.array_equal(a, b)


def test_level_choice_follows_zoom():
    pyr = DisplayPyramid(np.zeros((4000, 6000, 3), np.uint8))
    assert pyr.level_for_scale(1.0) == 0
    assert pyr.level_for_scale(2.0) == 0
    assert pyr.level_for_scale(0.5) == 1
    assert pyr.level_for_scale(0.2) == 2
    assert pyr.levels[2].shape[:2] == (1000, 1500)


def test_transparent_pixels_show_a_checkerboard():
    rgba = np.zeros((64, 64, 4), np.uint8)
    pyr = DisplayPyramid(rgba)
    shown = pyr.levels[0][..., 0]
    assert len(np.unique(shown)) == 2
