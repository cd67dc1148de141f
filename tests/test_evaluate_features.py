"""ArtStudio features v1: the shipped file is verified, and the features see blur, noise and colour shifts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from artstudio.core.metrics import Gaussian, frechet_distance
from artstudio.models.features import DIM, FILE, SHA256, group_slices, load_features, resize
from artstudio.models.registry import ModelError, sha256_file


@pytest.fixture(scope="module")
def net():
    return load_features()


def photos(count: int, seed: int) -> np.ndarray:
    """64 px photo-like images: colour patches at two scales with sharp edges, and a little grain."""
    rng = np.random.default_rng(seed)
    big = np.repeat(np.repeat(rng.normal(120, 45, (count, 4, 4, 3)), 16, axis=1), 16, axis=2)
    small = np.repeat(np.repeat(rng.normal(0, 25, (count, 16, 16, 3)), 4, axis=1), 4, axis=2)
    return np.clip(big + small + rng.normal(0, 2, big.shape), 0, 255).astype(np.uint8)


def hue_shift(images: np.ndarray, degrees: float) -> np.ndarray:
    yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    t = np.deg2rad(degrees)
    turn = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
    matrix = np.linalg.inv(yiq) @ turn @ yiq
    return np.clip(images.astype(np.float64) @ matrix.T, 0, 255).round().astype(np.uint8)


def test_the_shipped_file_is_the_pinned_one_and_a_changed_copy_is_refused(tmp_path):
    from artstudio.models.builtins import shipped_dir

    shipped = shipped_dir() / FILE
    assert sha256_file(shipped) == SHA256
    tampered = tmp_path / FILE
    data = bytearray(shipped.read_bytes())
    data[-3] ^= 1                        # one bit of one constant
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelError) as error:
        load_features(tampered)
    assert "checksum mismatch" in str(error.value) and "\n" not in str(error.value)


def test_features_are_float32_rows_of_the_contract_size_at_any_input_size(net):
    images = photos(4, seed=0)
    features = net.extract(images)
    assert features.shape == (4, DIM) == (4, 333) and features.dtype == np.float32
    big = np.repeat(np.repeat(images, 2, axis=1), 2, axis=2)            # the same pictures at 128 px
    assert resize(big).shape == images.shape
    assert np.abs(net.extract(big) - features).mean() < 0.25 * np.abs(features).mean()


def test_fd_grows_with_blur_noise_and_colour_shift(net):
    real, other = photos(48, seed=1), photos(48, seed=2)
    base = Gaussian.of(net.extract(real))

    def fd(images):
        return frechet_distance(base, Gaussian.of(net.extract(images)))

    clean = fd(other)
    blur = [fd(np.stack([ndimage.gaussian_filter(i, (s, s, 0)) for i in other])) for s in (0.8, 1.6)]
    rng = np.random.default_rng(3)
    noise = [fd(np.clip(other + rng.normal(0, s, other.shape), 0, 255).astype(np.uint8)) for s in (8, 24)]
    hue = [fd(hue_shift(other, d)) for d in (20, 60)]
    for series in (blur, noise, hue):
        assert clean < series[0] < series[1], (clean, blur, noise, hue)


def test_the_statistics_see_blur_that_the_random_network_barely_sees(net):
    real, other = photos(48, seed=4), photos(48, seed=5)
    blurred = np.stack([ndimage.gaussian_filter(i, (1.6, 1.6, 0)) for i in other])
    a, b, c = net.extract(real), net.extract(other), net.extract(blurred)
    parts = group_slices()

    def growth(group):
        part = parts[group]
        clean = frechet_distance(Gaussian.of(a[:, part]), Gaussian.of(b[:, part]))
        return frechet_distance(Gaussian.of(a[:, part]), Gaussian.of(c[:, part])) / clean

    assert growth("gradient") > 2 * growth("conv") and growth("frequency") > 2 * growth("conv")
