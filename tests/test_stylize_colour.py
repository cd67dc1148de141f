"""Colour transfer and style-image checks (core, no torch): what a user sees of "Match colours"."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from artstudio.core.colour_transfer import (METHODS, covariance_error, match_colours, mkl_map, samples)
from artstudio.core.style_carry import carry_residual
from artstudio.core.style_input import MAX_SIDE, StyleError, prepare_style, same_picture


def small(image: np.ndarray, width: int) -> np.ndarray:
    return cv2.resize(image, (width, round(image.shape[0] * width / image.shape[1])), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def cat():
    return small(data.chelsea(), 128)


@pytest.fixture(scope="module")
def coffee():
    return small(data.coffee(), 128)


@pytest.mark.parametrize("content, style", [("chelsea", "coffee"), ("coffee", "astronaut"),
                                            ("rocket", "chelsea")])
def test_mkl_gives_the_photo_the_styles_colour_covariance_even_after_clipping(content, style):
    photo, reference = small(getattr(data, content)(), 128), small(getattr(data, style)(), 128)
    before = covariance_error(photo, reference)
    result = match_colours(photo, reference, "mkl")
    assert covariance_error(result, reference) < 1e-3 < before
    assert np.abs(samples(result).mean(axis=0) - samples(reference).mean(axis=0)).max() < 2 / 255
    # the plain map (no clipping) is exact: the textbook property of Pitié's solution
    transform, offset = mkl_map(samples(photo), samples(reference))
    mapped = samples(photo) @ transform.T + offset
    assert np.abs(np.cov(mapped.T) - np.cov(samples(reference).T)).max() < 1e-6


@pytest.mark.parametrize("method", list(METHODS))
def test_strength_zero_keeps_the_photo_and_half_goes_halfway(cat, coffee, method):
    assert np.array_equal(match_colours(cat, coffee, method, 0.0), cat)
    full = match_colours(cat, coffee, method, 1.0).astype(float)
    half = match_colours(cat, coffee, method, 0.5).astype(float)
    moved, halfway = np.abs(full - cat).mean(), np.abs(half - cat).mean()
    assert moved > 10 and 0.3 * moved < halfway < 0.7 * moved


def test_histogram_matching_gives_each_channel_the_styles_histogram(cat, coffee):
    result = match_colours(cat, coffee, "histogram")
    for c in range(3):
        cdf = lambda a: np.cumsum(np.bincount(a[..., c].ravel(), minlength=256)) / a[..., c].size  # noqa: E731
        assert np.abs(cdf(result) - cdf(coffee)).max() < 0.03
        assert np.abs(cdf(cat) - cdf(coffee)).max() > 0.1


def test_reinhard_matches_the_lab_means(cat, coffee):
    lab = lambda a: cv2.cvtColor(a, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(float)  # noqa: E731
    result = match_colours(cat, coffee, "reinhard")
    # within 4 of 255 (8-bit Lab): what clipping to the RGB gamut leaves of an exact match
    assert np.abs(lab(result).mean(0) - lab(coffee).mean(0)).max() < 4
    assert np.abs(lab(cat).mean(0) - lab(coffee).mean(0)).max() > 10


def test_alpha_is_kept_and_a_styles_transparent_pixels_give_no_colour(cat, coffee):
    photo = np.dstack([cat, np.full(cat.shape[:2], 77, np.uint8)])
    style = np.dstack([coffee, np.full(coffee.shape[:2], 255, np.uint8)])
    style[:, : style.shape[1] // 2, :3] = (0, 255, 0)          # vivid green, but transparent
    style[:, : style.shape[1] // 2, 3] = 0
    result = match_colours(photo, style)
    assert np.array_equal(result[..., 3], photo[..., 3])
    assert np.allclose(result[..., :3].mean((0, 1)), coffee[:, coffee.shape[1] // 2:].mean((0, 1)), atol=3)


def test_only_the_measured_region_sets_the_statistics(cat, coffee):
    where = np.zeros(cat.shape[:2], np.uint8)
    where[:, :40] = 255
    result = match_colours(cat, coffee, "mkl", where=where)
    inside = result[:, :40].reshape(-1, 3).astype(float)
    assert np.abs(inside.mean(0) - coffee.reshape(-1, 3).mean(0)).max() < 3


def test_an_unknown_method_is_one_line(cat, coffee):
    with pytest.raises(ValueError, match="Unknown colour method 'magic'. Choose one of: mkl, reinhard, histogram."):
        match_colours(cat, coffee, "magic")


# -- style images from outside ------------------------------------------------------------------

def test_a_tiny_style_is_refused_with_its_size():
    with pytest.raises(StyleError, match=r"'dot.png' is 40×30 pixels: a style needs at least 64"):
        prepare_style(np.zeros((30, 40, 3), np.uint8), "'dot.png'")


def test_a_huge_style_is_reduced_and_a_grey_one_is_noted():
    huge = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (80, 12, 3))    # 3072 x 80, grey
    rgb, notes = prepare_style(huge)
    assert max(rgb.shape[:2]) == MAX_SIDE
    assert any("was reduced to 2048×53" in n for n in notes) and any("greyscale" in n for n in notes)


def test_an_almost_transparent_style_is_refused_and_a_partly_transparent_one_flattened(coffee):
    rgba = np.dstack([coffee, np.zeros(coffee.shape[:2], np.uint8)])
    with pytest.raises(StyleError, match="almost all transparent"):
        prepare_style(rgba)
    rgba[:, :100, 3] = 255
    rgb, notes = prepare_style(rgba)
    assert rgb.shape[2] == 3 and any("partly transparent" in n for n in notes)
    assert np.array_equal(rgb[:, :100], coffee[:, :100])
    assert np.ptp(rgb[:, 100:].reshape(-1, 3), axis=0).max() == 0          # one flat colour


def test_the_same_picture_is_recognised_at_another_size(cat, coffee):
    assert same_picture(cat, small(data.chelsea(), 300))
    assert not same_picture(cat, coffee)


def test_a_big_photo_keeps_its_own_fine_detail_under_the_carried_change():
    rng = np.random.default_rng(0)
    photo = np.full((400, 600, 3), 120, np.uint8)
    photo[::2, ::2] = 180                                  # one-pixel detail the small copy cannot hold
    small_start = np.full((40, 60, 3), 0.5, np.float32)
    stylised = small_start + rng.normal(0, 0.02, small_start.shape).astype(np.float32) + 0.1
    out = carry_residual(photo, small_start, stylised)
    detail = out[::2, ::2].astype(int) - out[1::2, 1::2].astype(int)
    assert np.abs(detail.mean() - 60) < 3                      # the photo's own 60-level detail is there
    assert 20 < out.astype(float).mean() - photo.astype(float).mean() < 30     # and the change (+0.1)
    assert np.array_equal(carry_residual(photo, small_start, stylised, strength=0.0), photo)
