"""The numbers behind ``artstudio evaluate``: FD, KID, PRDC, SWD, MS-SSIM and the pyramid (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg, ndimage

from artstudio.core.metrics import (MIN_IMAGES, Gaussian, TooFewImages, check_count, frechet_distance, kid,
                                    mean_pairwise_distance, prdc)
from artstudio.core.pyramid import laplacian_pyramid, pyr_down, pyr_up, swd_resolutions
from artstudio.core.swd import mean_ms_ssim, ms_ssim, swd


def scipy_fd(a: Gaussian, b: Gaussian) -> float:
    """pytorch-fid's formula, with scipy's sqrtm."""
    root = linalg.sqrtm(a.cov @ b.cov).real
    diff = a.mean - b.mean
    return float(diff @ diff + np.trace(a.cov) + np.trace(b.cov) - 2 * np.trace(root))


def textures(count: int, side: int = 32, seed: int = 0) -> np.ndarray:
    """Photo-like random images: flat colour patches with sharp edges and a little grain, uint8."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(128, 50, (count, side // 8, side // 8, 3))
    patches = np.repeat(np.repeat(coarse, 8, axis=1), 8, axis=2)
    return np.clip(patches + rng.normal(0, 3, patches.shape), 0, 255).astype(np.uint8)


def test_frechet_distance_matches_sqrtm_and_is_zero_for_one_gaussian():
    rng = np.random.default_rng(0)
    a = Gaussian.of(rng.normal(size=(300, 12)))
    b = Gaussian.of(rng.normal(size=(300, 12)) * [1.5] * 12 + 0.3)
    assert frechet_distance(a, b) == pytest.approx(scipy_fd(a, b), rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    # Fewer samples than dimensions: rank-deficient covariances still give a finite, non-negative value.
    c, d = Gaussian.of(rng.normal(size=(8, 20))), Gaussian.of(rng.normal(size=(8, 20)) + 1)
    assert frechet_distance(c, d) == pytest.approx(scipy_fd(c, d), rel=1e-4)
    e = Gaussian.of(rng.normal(size=(300, 20)) * 2)                     # one small set, one large
    assert frechet_distance(c, e) == pytest.approx(scipy_fd(c, e), rel=1e-4)
    assert frechet_distance(e, c) == pytest.approx(frechet_distance(c, e), rel=1e-9)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    real, other = rng.normal(size=(400, 16)), rng.normal(size=(400, 16))
    same_mean, same_std = kid(real, other, subsets=50)
    assert abs(same_mean) < 3 * same_std + 1e-4
    shifted = kid(real, other + 0.5, subsets=50)[0]
    more = kid(real, other + 1.0, subsets=50)[0]
    assert shifted > 10 * max(abs(same_mean), same_std) and more > shifted


def test_kid_from_whole_kernels_equals_kid_from_subset_kernels(monkeypatch):
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(60, 5)), rng.normal(size=(50, 5)) + 0.2
    whole = kid(real, fake, subsets=10, seed=3)
    monkeypatch.setattr("artstudio.core.metrics.KID_WHOLE_KERNELS", 10)
    assert kid(real, fake, subsets=10, seed=3) == pytest.approx(whole, rel=1e-9)


def test_prdc_follows_naeem_et_al():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(200, 4))
    same = prdc(real, rng.normal(size=(200, 4)))
    assert same["precision"] > 0.8 and same["recall"] > 0.8 and 0.7 < same["density"] < 1.3
    assert same["coverage"] > 0.8
    far = prdc(real, rng.normal(size=(200, 4)) + 6)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    # Mode collapse: every fake on one real point is precise but covers one ball and recalls little.
    collapsed = prdc(real, np.repeat(real[:1], 200, axis=0) + rng.normal(scale=1e-3, size=(200, 4)))
    assert collapsed["precision"] == 1.0 and collapsed["coverage"] < 0.05 and collapsed["recall"] < 0.05


def test_diversity_is_the_mean_distance_between_distinct_rows():
    points = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 8.0]])
    assert mean_pairwise_distance(points) == pytest.approx((5 + 8 + 5) / 3)
    assert mean_pairwise_distance(points, pairs=500) == pytest.approx(6.0, rel=0.1)


def test_too_few_images_is_one_line_saying_how_many_are_needed():
    check_count(MIN_IMAGES, "folder")
    with pytest.raises(TooFewImages) as error:
        check_count(12, "Folder 'x'")
    assert str(error.value) == (f"Folder 'x' has 12 usable images; at least {MIN_IMAGES} are needed for a stable "
                                "figure (1,000 or more recommended).")


def test_pyramid_matches_opencv_and_reconstructs_the_image():
    import cv2

    image = np.random.default_rng(4).random((2, 3, 32, 32)).astype(np.float32)
    assert np.allclose(pyr_down(image)[0, 0], cv2.pyrDown(image[0, 0]), atol=1e-5)
    assert np.allclose(pyr_up(image)[0, 0], cv2.pyrUp(image[0, 0]), atol=1e-5)
    levels = laplacian_pyramid(image, 3)
    assert [level.shape[-1] for level in levels] == [32, 16, 8]
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        rebuilt = pyr_up(rebuilt) + band
    assert np.allclose(rebuilt, image, atol=1e-5)
    assert swd_resolutions(64) == [64, 32, 16] and swd_resolutions(128) == [128, 64, 32, 16]


def test_swd_reacts_to_blur_and_noise_at_the_fine_level():
    real, other = textures(60, seed=5), textures(60, seed=6)
    base = swd(real, other, per_image=32)
    blurred = swd(real, np.stack([ndimage.gaussian_filter(i, (1.5, 1.5, 0)) for i in other]), per_image=32)
    noisy = swd(real, np.clip(other + np.random.default_rng(7).normal(0, 40, other.shape), 0, 255)
                .astype(np.uint8), per_image=32)
    assert list(base) == [32, 16]
    assert blurred[32] > 1.5 * base[32] and noisy[32] > 1.5 * base[32]
    assert swd(real, other, per_image=32) == base                      # seeded: the same draws each time


def test_ms_ssim_is_one_for_identical_images_and_lower_for_others():
    images = textures(6, side=64, seed=8)
    assert np.allclose(ms_ssim(images, images), 1.0)
    assert (ms_ssim(images[:3], images[3:]) < 0.9).all()
    copies = np.repeat(images[:1], 6, axis=0)
    assert mean_ms_ssim(copies, pairs=20) == pytest.approx(1.0)
    assert mean_ms_ssim(images, pairs=20) < 0.9


def test_every_figure_is_seeded_so_one_comparison_repeats_exactly():
    from artstudio.jobs.evaluate import FD, KID, PRDC, SWD_MEAN, compare

    real, fake = textures(24, seed=9), textures(24, seed=10)
    rng = np.random.default_rng(11)
    real_f, fake_f = rng.normal(size=(24, 6)), rng.normal(size=(24, 6)) + 0.3
    first = compare(real, fake, real_f, fake_f, seed=4, swd_per_image=16, kid_subsets=10)
    assert compare(real, fake, real_f, fake_f, seed=4, swd_per_image=16, kid_subsets=10) == first
    assert {FD, KID, SWD_MEAN, *PRDC} <= set(first) and all(np.isfinite(v) for v in first.values())


def test_reference_normalisation_sees_a_flat_grey_set_that_progans_calls_noise():
    real = textures(40, seed=12)
    rng = np.random.default_rng(13)
    grey = (127 + rng.integers(0, 2, real.shape)).astype(np.uint8)          # an untrained generator's output
    noise = rng.integers(0, 256, real.shape).astype(np.uint8)
    each = swd(real, grey, per_image=16, normalise="each")[32]
    assert each == pytest.approx(swd(real, noise, per_image=16, normalise="each")[32], rel=0.25)
    assert swd(real, grey, per_image=16)[32] > 3 * each
