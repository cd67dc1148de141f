"""Deep Image Prior: the network, the optimisation job, its stopping rule and its estimate."""

from __future__ import annotations

import numpy as np
import pytest

from artstudio.core.noise import estimate_noise_sigma
from artstudio.jobs import dip, estimate
from artstudio.jobs.base import CancelToken, Cancelled, JobError, Preview, Progress, run_sync
from artstudio.jobs.dip import DipRequest, run_dip
from artstudio.jobs.estimate import estimate_dip_seconds


@pytest.fixture
def narrow(monkeypatch):
    """A three-level DIP net, 8-16 channels: the loop is what is tested, fast."""
    from artstudio.models import dip_net

    monkeypatch.setattr(dip_net, "CPU_WIDTHS", (8, 16, 16))


@pytest.fixture
def small(photo):
    return np.ascontiguousarray(photo[:48, :64])


@pytest.fixture
def hole(small):
    mask = np.zeros(small.shape[:2], np.uint8)
    mask[20:28, 24:40] = 255
    return mask


def test_dip_net_contract():
    import torch

    from artstudio.models.dip_net import DipNet, dip_input

    net = DipNet(widths=(8, 8, 8), skip=2)
    noise = dip_input(net.in_channels, 16, 24, seed=1)
    with torch.no_grad():
        out = net(noise)
    assert out.shape == (1, 3, 16, 24) and out.dtype == torch.float32
    assert 0 < float(out.min()) and float(out.max()) < 1
    assert torch.equal(noise, dip_input(net.in_channels, 16, 24, seed=1))
    with pytest.raises(ValueError, match="multiple of 8"):
        net(dip_input(net.in_channels, 12, 24, seed=1))


def test_inpaint_loss_falls_and_only_the_hole_changes(small, hole, narrow):
    events = []
    result = run_sync(run_dip(DipRequest(small, "inpaint", mask=hole, iterations=40, preview_every=10),
                              CancelToken()), events.append)
    losses = np.array(result.losses)
    assert result.iterations == 40 and result.stop_reason == "limit"
    assert losses[-5:].mean() < 0.5 * losses[:5].mean()
    assert np.array_equal(result.image[hole == 0], small[hole == 0])
    assert result.bounds is not None and result.bounds.width <= small.shape[1]
    previews = [e for e in events if isinstance(e, Preview)]
    assert len(previews) == 3 and all(p.dirty == result.bounds for p in previews)
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


@pytest.mark.parametrize("scale", [2, 4])
def test_super_resolution_output_size_and_alpha(small, scale):
    rgba = np.dstack([small[:16, :24], np.full((16, 24), 90, np.uint8)])
    result = run_sync(run_dip(DipRequest(rgba, "sr", scale=scale, iterations=3), CancelToken()))
    assert result.image.shape == (16 * scale, 24 * scale, 4)
    assert (result.image[..., 3] == 90).all()


def test_denoise_with_impulse_mask_replaces_only_those_pixels(small):
    mask = np.zeros(small.shape[:2], np.uint8)
    mask[::7, ::5] = 255
    result = run_sync(run_dip(DipRequest(small, "denoise", mask=mask, iterations=3), CancelToken()))
    assert np.array_equal(result.image[mask == 0], small[mask == 0])
    assert result.bounds is not None


def test_cancel_stops_dip(small, hole, narrow):
    token = CancelToken()
    seen = 0
    with pytest.raises(Cancelled):
        for event in run_dip(DipRequest(small, "inpaint", mask=hole, iterations=500), token):
            if isinstance(event, Progress):
                seen += 1
                if seen == 3:
                    token.cancel()
    assert seen == 3


class CancelDuringBackward(CancelToken):
    """Cancels itself once the first iteration's backward pass has begun."""

    def __init__(self):
        super().__init__()
        self.armed = False

    def check(self):
        import traceback

        if not self.armed and any(f.name == "backward" for f in traceback.extract_stack()):
            self.armed = True
            self.cancel()
        super().check()


def test_cancel_takes_effect_inside_an_iteration_not_after_it(small):
    token = CancelDuringBackward()
    progress = []
    with pytest.raises(Cancelled):
        for event in run_dip(DipRequest(small, "sr", scale=2, iterations=5), token):
            progress.append(event)
    assert token.armed
    assert not any("iteration 1 of" in getattr(e, "message", "") for e in progress)   # iteration 1 never ended


def test_stop_rules():
    flat = [1.0] * 200
    falling = list(np.linspace(1.0, 0.1, 200))
    assert dip._stop_reason(flat, 0.0) == "plateau"
    assert dip._stop_reason(falling, 0.0) is None
    assert dip._stop_reason(flat[:150], 0.0) is None            # too early to judge
    assert dip._stop_reason(falling[:50] + [0.004] * 10, 0.005) == "noise level"


def test_auto_stop_ends_a_run_before_its_limit(narrow, monkeypatch):
    monkeypatch.setattr(dip, "MIN_ITERATIONS", 10)
    monkeypatch.setattr(dip, "PLATEAU_WINDOW", 5)
    monkeypatch.setattr(dip, "PLATEAU_TOLERANCE", 0.9)
    grey = np.full((32, 32, 3), 128, np.uint8)                  # nothing left to fit after a few steps
    result = run_sync(run_dip(DipRequest(grey, "denoise", iterations=400, previews=False), CancelToken()))
    assert result.stop_reason in ("plateau", "noise level") and result.iterations < 400


def test_noise_sigma_estimate(photo):
    from artstudio.core.damage import add_gaussian_noise

    flat = np.full((64, 64, 3), 100, np.uint8)
    assert estimate_noise_sigma(flat) == 0.0
    noisy = add_gaussian_noise(flat, 20, seed=0)
    assert abs(estimate_noise_sigma(noisy) * 255 - 20) < 2


def test_estimate_grows_with_the_work(small, hole, narrow, monkeypatch):
    monkeypatch.setattr(estimate, "_costs", {})
    little = estimate_dip_seconds(DipRequest(small, "inpaint", mask=hole, iterations=100))
    large = estimate_dip_seconds(DipRequest(np.zeros((256, 256, 3), np.uint8), "denoise", iterations=100))
    assert 0 < little.seconds < large.seconds
    assert large.seconds == pytest.approx(100 * large.seconds_per_iteration)
    assert "iterations" in large.describe() and large.work_size == (256, 256)


def test_bad_requests_are_refused_with_one_line(small, hole):
    big = np.zeros((1024, 1024, 3), np.uint8)
    for request, message in [
        (DipRequest(small, "inpaint"), "mask is empty"),
        (DipRequest(small, "paint", mask=hole), "Unknown Deep Image Prior task"),
        (DipRequest(small, "sr", scale=3), "2 or 4"),
        (DipRequest(big, "denoise"), "Crop the photo first"),
    ]:
        with pytest.raises(JobError, match=message):
            run_sync(run_dip(request, CancelToken()))


def test_inpaint_of_a_large_area_runs_on_a_bounded_crop():
    image = np.zeros((2000, 3000, 3), np.uint8)
    mask = np.zeros((2000, 3000), np.uint8)
    mask[100:1900, 200:2800] = 255
    estimate = estimate_dip_seconds(DipRequest(image, "inpaint", mask=mask, iterations=1, device="cpu"))
    width, height = estimate.work_size
    assert width * height <= dip.CPU_INPAINT_PIXELS * 1.05


def test_divergence_guard_restores_the_last_good_weights():
    import torch

    net = torch.nn.Linear(2, 2)
    guard = dip._DivergenceGuard(net)
    assert not guard.diverged(0.1)
    good = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(5.0)
    assert guard.diverged(0.1 * dip.DIVERGENCE_RATIO * 1.5)      # a jump of ~5 dB
    assert torch.equal(net.weight, good)
    assert not guard.diverged(0.09)
