"""Neural fill, denoise and upscale jobs, on tiny random networks saved as
checkpoints, and on the shipped weights."""

from __future__ import annotations

import numpy as np
import pytest

from artstudio.core.damage import add_gaussian_noise, add_salt_and_pepper, bicubic_downscale
from artstudio.jobs import denoise, fill_net, restore, upscale
from artstudio.jobs.base import CancelToken, Cancelled, JobError, Preview, Progress, run_sync
from artstudio.jobs.denoise import DenoiseRequest, run_denoise
from artstudio.jobs.fill_net import NetFillRequest, run_net_fill
from artstudio.jobs.upscale import UpscaleRequest, run_upscale

from tiny_nets import save_tiny, smaller_tiles


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-nets")
    return {task: str(save_tiny(folder, task)[1]) for task in ("inpaint", "denoise", "sr")}


@pytest.fixture
def frequent_previews(monkeypatch):
    monkeypatch.setattr(restore, "PREVIEW_INTERVAL_S", 0.0)


def fill(image, mask, model, **options):
    events = []
    result = run_sync(run_net_fill(NetFillRequest(image, mask, model=model, **options), CancelToken()),
                      events.append)
    return result, events


def test_net_fill_leaves_every_pixel_outside_the_mask_bit_identical(photo, scratch, tiny, frequent_previews):
    soft = scratch.copy()
    soft[60:70, 20:30] = 100                         # a half-strength blotch
    rgba = np.dstack([photo, np.full(photo.shape[:2], 180, np.uint8)])
    result, events = fill(rgba, soft, tiny["inpaint"])
    keep = soft == 0
    assert np.array_equal(result.image[keep], rgba[keep])
    assert (result.image[..., 3] == 180).all()
    assert result.method == "net" and result.regions >= 1
    assert np.abs(result.image[soft == 255].astype(int) - rgba[soft == 255]).max() > 0
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_net_fill_progress_per_crop_and_previews_with_dirty_rects(tiny, frequent_previews):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    mask = np.zeros((240, 320), np.uint8)
    spots = [(20, 20), (20, 260), (180, 20), (180, 260)]
    for y, x in spots:                               # far apart: four crops
        mask[y:y + 12, x:x + 12] = 255
    result, events = fill(image, mask, tiny["inpaint"])
    assert result.regions == 4
    assert len([e for e in events if isinstance(e, Progress)]) == 5     # loading + one per crop
    previews = [e for e in events if isinstance(e, Preview)]
    assert len(previews) == 3                                          # not after the last crop
    seen = image.copy()
    for preview in previews:
        changed = np.argwhere((preview.image != seen).any(axis=-1))
        d = preview.dirty
        assert ((changed[:, 0] >= d.y0) & (changed[:, 0] < d.y1)
                & (changed[:, 1] >= d.x0) & (changed[:, 1] < d.x1)).all()
        seen = preview.image
    assert np.array_equal(result.image[mask == 0], image[mask == 0])


def test_deep_holes_are_filled_downscaled_and_pasted_back(tiny, monkeypatch):
    """A 200 px box is deeper than MAX_HOLE_DEPTH: the crop is downscaled for
    the network, and only the box changes at full size."""
    shapes = []
    infer = fill_net._infer_fill
    monkeypatch.setattr(fill_net, "_infer_fill", lambda net, device, rgb, hole, guess: (
        shapes.append(hole.shape), infer(net, device, rgb, hole, guess))[1])
    y, x = np.mgrid[0:400, 0:400].astype(np.float32)
    image = np.dstack([x / 2, y / 2, (x + y) / 4]).astype(np.uint8)
    mask = np.zeros((400, 400), np.uint8)
    mask[100:300, 100:300] = 255
    damaged = image.copy()
    damaged[mask > 0] = 255
    result, _ = fill(damaged, mask, tiny["inpaint"])
    assert np.array_equal(result.image[mask == 0], damaged[mask == 0])
    assert not (result.image[mask > 0] == 255).all()
    factor = fill_net.MAX_HOLE_DEPTH / 100                    # the box is ~100 px deep
    assert len(shapes) == 1 and abs(shapes[0][0] - 400 * factor) < 0.1 * 400 * factor


def test_net_fill_refuses_bad_input_before_loading_anything(photo, scratch):
    with pytest.raises(JobError, match="mask is empty"):
        fill(photo, np.zeros_like(scratch), "no-such-model")
    with pytest.raises(JobError, match="different sizes"):
        fill(photo, scratch[:10], "no-such-model")
    with pytest.raises(JobError, match="Unknown restoration model"):
        fill(photo, scratch, "no-such-model")


def test_a_network_for_another_task_is_refused(photo, scratch, tiny):
    with pytest.raises(JobError, match="is a denoising network"):
        fill(photo, scratch, tiny["denoise"])


def test_tampered_weights_give_a_one_line_error(photo, scratch, tiny, tmp_path):
    from pathlib import Path

    src = Path(tiny["inpaint"])
    bad = tmp_path / src.name
    bad.write_bytes(src.read_bytes()[:-8] + b"XXXXXXXX")
    bad.with_suffix(".json").write_text(src.with_suffix(".json").read_text())
    with pytest.raises(JobError, match="checksum") as error:
        fill(photo, scratch, str(bad))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("job", ["fill", "denoise", "upscale"])
def test_cancel_stops_the_job(tiny, job, monkeypatch):
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (160, 400, 3), dtype=np.uint8)
    if job == "fill":
        mask = np.zeros(image.shape[:2], np.uint8)
        mask[10:20, 10:20] = mask[10:20, 300:310] = mask[140:150, 150:160] = 255
        gen = run_net_fill(NetFillRequest(image, mask, model=tiny["inpaint"]), token := CancelToken())
    elif job == "denoise":
        smaller_tiles(monkeypatch, "unshuffle-resunet-v1", 128)
        gen = run_denoise(DenoiseRequest(image, noise="gaussian", model=tiny["denoise"]), token := CancelToken())
    else:
        smaller_tiles(monkeypatch, "espcn-residual-v1", 64)
        gen = run_upscale(UpscaleRequest(image, model=tiny["sr"]), token := CancelToken())
    progress = 0
    with pytest.raises(Cancelled):
        for event in gen:
            if isinstance(event, Progress):
                progress += 1
                if progress == 2:            # after the first crop or tile
                    token.cancel()
    assert progress == 2


def _psnr(a, b) -> float:
    return 10 * np.log10(255.0 ** 2 / np.mean((a.astype(np.float64) - b) ** 2))


@pytest.mark.parametrize("method", ["nlmeans", "median"])
def test_classical_denoisers_improve_gaussian_noise(photo, method):
    noisy = add_gaussian_noise(photo, 20, seed=1)
    result = run_sync(run_denoise(DenoiseRequest(noisy, method=method), CancelToken()))
    assert result.noise == "gaussian" and 12 < result.sigma < 28
    assert _psnr(result.image, photo) > _psnr(noisy, photo) + 1.5


def test_salt_and_pepper_is_detected_and_only_impulses_change(photo):
    noisy = add_salt_and_pepper(photo, 0.05, seed=2)
    hit = noisy != photo
    result = run_sync(run_denoise(DenoiseRequest(noisy, method="net", model="no-network-needed"), CancelToken()))
    assert result.noise == "saltpepper" and result.impulses > 0.01
    assert np.array_equal(result.image[~hit], noisy[~hit])
    median = run_sync(run_denoise(DenoiseRequest(noisy, method="median"), CancelToken()))
    assert _psnr(median.image, photo) > _psnr(noisy, photo) + 5
    assert _psnr(result.image, photo) > _psnr(median.image, photo) + 2


def test_auto_tells_strong_gaussian_noise_from_salt_and_pepper(photo):
    from artstudio.core.noise import AUTO_FRACTION, impulse_fraction

    strong = add_gaussian_noise(photo, 50, seed=5)
    assert impulse_fraction(strong) > AUTO_FRACTION      # clipped gaussian noise looks impulsive...
    assert denoise.classify_noise(strong) == "gaussian"   # ...but the rest is not clean
    assert denoise.classify_noise(add_salt_and_pepper(photo, 0.01, seed=5)) == "saltpepper"
    assert denoise.classify_noise(add_gaussian_noise(photo, 10, seed=5)) == "gaussian"


def test_tiled_denoise_matches_one_tile(tiny, monkeypatch):
    """The random denoiser's receptive field is larger than the tile overlap,
    but its weights fade fast enough that the seams stay within 1/255 away
    from image borders... checked here on the real architecture."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:192, 0:320].astype(np.float32)
    image = np.clip(np.dstack([x / 2, y, (x + y) / 3]) + rng.normal(0, 10, (192, 320, 3)), 0, 255).astype(np.uint8)
    whole = run_sync(run_denoise(DenoiseRequest(image, noise="gaussian", model=tiny["denoise"]), CancelToken()))
    smaller_tiles(monkeypatch, "unshuffle-resunet-v1", 128)
    monkeypatch.setattr(restore, "PREVIEW_INTERVAL_S", 0.0)
    events = []
    tiled = run_sync(run_denoise(DenoiseRequest(image, noise="gaussian", model=tiny["denoise"]), CancelToken()),
                     events.append)
    assert whole.tiles == 1 and tiled.tiles > 2
    previews = [e for e in events if isinstance(e, Preview)]
    assert previews and all(p.dirty.width == 320 for p in previews)   # finished bands of rows
    top = previews[0].dirty
    assert np.array_equal(previews[0].image[top.slices], tiled.image[top.slices])
    assert np.array_equal(previews[0].image[top.y1:], image[top.y1:])  # the rest still shows the input
    inner = (slice(32, -32), slice(32, -32))
    assert np.abs(tiled.image[inner].astype(int) - whole.image[inner]).max() <= 1


@pytest.mark.parametrize("scale", [2, 4])
def test_upscale_shapes_and_alpha(photo, tiny, scale):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 77, np.uint8)])
    for method, model in (("net", tiny["sr"]), ("lanczos", "sr")):
        result = run_sync(run_upscale(UpscaleRequest(rgba, scale=scale, method=method, model=model), CancelToken()))
        assert result.image.shape == (96 * scale, 128 * scale, 4)
        assert (result.image[..., 3] == 77).all()


def test_bad_options_are_one_line_errors(photo, monkeypatch):
    monkeypatch.setattr(upscale, "MAX_OUTPUT_PIXELS", 100_000)
    with pytest.raises(JobError, match="megapixels, more than the"):
        run_sync(run_upscale(UpscaleRequest(photo, scale=4, method="lanczos"), CancelToken()))
    with pytest.raises(JobError, match="Upscale factor"):
        run_sync(run_upscale(UpscaleRequest(photo, scale=3), CancelToken()))
    with pytest.raises(JobError, match="Unknown denoise method"):
        run_sync(run_denoise(DenoiseRequest(photo, method="magic"), CancelToken()))
    with pytest.raises(JobError, match="Unknown noise kind"):
        run_sync(run_denoise(DenoiseRequest(photo, noise="pink"), CancelToken()))


# -- with the shipped weights ------------------------------------------------------------------

@pytest.fixture
def astronaut():
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[64:320, 128:384])


def test_shipped_inpainting_network_restores_scratches(astronaut):
    from artstudio.core.damage import apply_damage, damage_mask

    mask = damage_mask("scratches", (256, 256), seed=5)
    damaged = apply_damage(astronaut, mask, seed=5)
    result, _ = fill(damaged, mask, "inpaint")
    hole = mask > 0
    assert np.array_equal(result.image[~hole], damaged[~hole])
    err = np.abs(result.image[hole].astype(int) - astronaut[hole]).mean()
    assert err < np.abs(damaged[hole].astype(int) - astronaut[hole]).mean() / 4


def test_shipped_denoiser_and_upscaler_work(astronaut):
    noisy = add_gaussian_noise(astronaut, 25, seed=3)
    denoised = run_sync(run_denoise(DenoiseRequest(noisy), CancelToken()))
    assert _psnr(denoised.image, astronaut) > _psnr(noisy, astronaut) + 5
    small = bicubic_downscale(astronaut, 2)
    net = run_sync(run_upscale(UpscaleRequest(small, scale=2), CancelToken())).image
    lanczos = run_sync(run_upscale(UpscaleRequest(small, scale=2, method="lanczos"), CancelToken())).image
    assert _psnr(net, astronaut) > _psnr(lanczos, astronaut)
