import numpy as np
import pytest

from artstudio.core.inpaint import SOLVERS, find_regions
from artstudio.jobs.base import CancelToken, Cancelled, JobError, Preview, Progress, run_sync
from artstudio.jobs.restore import FillRequest, run_fill


def fill(image, mask, method="telea"):
    events = []
    result = run_sync(run_fill(FillRequest(image, mask, method=method), CancelToken()), events.append)
    return result, events


@pytest.mark.parametrize("method", list(SOLVERS))
def test_pixels_outside_the_mask_are_bit_identical(photo, scratch, method):
    result, _ = fill(photo, scratch, method)
    keep = scratch == 0
    assert np.array_equal(result.image[keep], photo[keep])
    assert result.image.dtype == np.uint8 and result.image.shape == photo.shape


@pytest.mark.parametrize("method", list(SOLVERS))
def test_fill_removes_the_damage(photo, scratch, method):
    damaged = photo.copy()
    damaged[scratch > 0] = 255                      # white scratch
    result, _ = fill(damaged, scratch, method)
    hole = scratch > 0
    err_damaged = np.abs(damaged[hole].astype(int) - photo[hole]).mean()
    err_filled = np.abs(result.image[hole].astype(int) - photo[hole]).mean()
    assert err_filled < err_damaged / 4


def test_soft_mask_edges_blend_and_zero_stays_untouched(photo):
    hard = np.zeros(photo.shape[:2], np.uint8)
    hard[39:50, 40:60] = 255
    soft = hard.copy()
    soft[39, 40:60] = 128                     # half-strength brush edge
    damaged = photo.copy()
    damaged[39:50, 40:60] = 0
    full, _ = fill(damaged, hard)
    half, _ = fill(damaged, soft)
    assert np.array_equal(half.image[soft == 0], damaged[soft == 0])
    expected = (damaged[39, 40:60].astype(float) + full.image[39, 40:60]) / 2
    assert np.abs(half.image[39, 40:60] - expected).max() <= 1.0


def test_alpha_is_kept_and_filled(photo, scratch):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 200, np.uint8)])
    result, _ = fill(rgba, scratch)
    assert result.image.shape[2] == 4
    assert (result.image[..., 3] == 200).all()


def test_distant_holes_become_separate_regions_near_ones_merge():
    mask = np.zeros((400, 400), np.uint8)
    mask[10:20, 10:20] = 255
    mask[10:20, 30:40] = 255          # 10 px away: same region
    mask[300:310, 300:310] = 255      # far away: its own region
    _, regions = find_regions(mask, margin=16)
    assert len(regions) == 2
    assert all(r.rect.width <= 400 for r in regions)


def test_progress_reaches_one_and_result_is_returned(photo, scratch):
    result, events = fill(photo, scratch)
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert fractions[-1] == pytest.approx(1.0)
    assert fractions == sorted(fractions)
    assert result.regions >= 1 and result.method == "telea"


def test_cancel_stops_between_regions(photo):
    mask = np.zeros(photo.shape[:2], np.uint8)
    for x in range(2, 128, 40):
        mask[5:8, x:x + 3] = 255
        mask[85:88, x:x + 3] = 255
    token = CancelToken()
    job = run_fill(FillRequest(photo, mask), token)
    next(job)
    token.cancel()
    with pytest.raises(Cancelled):
        run_sync(job)


def test_previews_are_snapshots_not_live_buffers(photo, monkeypatch):
    monkeypatch.setattr("artstudio.jobs.restore.PREVIEW_INTERVAL_S", 0.0)
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[5:8, 5:8] = mask[80:83, 110:113] = 255
    damaged = photo.copy()
    damaged[mask > 0] = 255
    result, events = fill(damaged, mask)
    previews = [e.image for e in events if isinstance(e, Preview)]
    assert len(previews) == 1                     # after the first of two regions
    assert not np.array_equal(previews[0], result.image)
    assert np.array_equal(previews[0][mask == 0], damaged[mask == 0])


@pytest.mark.parametrize("mask_shape, method, message", [
    ((96, 128), "lama", "Unknown fill method"),
    ((50, 50), "telea", "different sizes"),
    ((96, 128), "telea", "mask is empty"),
])
def test_bad_requests_give_clear_errors(photo, scratch, mask_shape, method, message):
    mask = scratch if mask_shape == scratch.shape and message != "mask is empty" else np.zeros(mask_shape, np.uint8)
    with pytest.raises(JobError, match=message):
        run_sync(run_fill(FillRequest(photo, mask, method=method), CancelToken()))


def test_biharmonic_refuses_a_hole_it_could_not_finish(monkeypatch):
    monkeypatch.setattr("artstudio.jobs.restore.BIHARMONIC_MAX_HOLE", 1000)
    image = np.zeros((100, 100, 3), np.uint8)
    mask = np.zeros((100, 100), np.uint8)
    mask[10:50, 10:50] = 255
    with pytest.raises(JobError, match="too large for the biharmonic"):
        run_sync(run_fill(FillRequest(image, mask, method="biharmonic"), CancelToken()))


def test_long_scratches_are_tiled_without_changing_the_fill(monkeypatch):
    import functools

    import cv2

    import artstudio.jobs.restore as restore
    from artstudio.core.inpaint import find_regions as real_find_regions

    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:1200, 0:1200]
    image = np.dstack([(x / 6) % 255, (y / 5) % 255, (x + y) / 12 % 255]).astype(np.uint8)
    image = np.clip(image + rng.normal(0, 4, image.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((1200, 1200), np.uint8)
    cv2.line(mask, (20, 30), (1170, 1150), 255, 5)          # long, thin: tiled
    cv2.circle(mask, (250, 950), 60, 255, -1)               # compact: one region
    _, regions = real_find_regions(mask, 16)
    assert len(regions) >= 4
    blob = [r for r in regions if r.core == r.rect]
    assert len(blob) == 1 and blob[0].rect.width < 200
    assert all(r.rect.width <= 512 + 32 for r in regions if r.core != r.rect)
    tiled = run_sync(restore.run_fill(FillRequest(image, mask), CancelToken())).image
    monkeypatch.setattr(restore, "find_regions", functools.partial(real_find_regions, tile=10 ** 6))
    whole = run_sync(restore.run_fill(FillRequest(image, mask), CancelToken())).image
    assert np.abs(tiled.astype(int) - whole).max() <= 3
    assert np.array_equal(tiled[mask == 0], image[mask == 0])
