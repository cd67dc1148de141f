"""The neural fill's fast paths: one first-guess solve per hole, bf16 on the CPU, dense gates.

Each path must leave what the user sees unchanged: the pixels outside the
mask bit-identical, the fill inside it within rounding of the slow path.
"""

from __future__ import annotations

import numpy as np
import pytest

from artstudio.core import inpaint
from artstudio.core.damage import scratch_mask
from artstudio.core.inpaint import FrameGuess, biharmonic_guess
from artstudio.core.rect import Rect
from artstudio.jobs import fill_net
from artstudio.jobs.base import CancelToken, run_sync
from artstudio.jobs.fill_net import NetFillRequest, run_net_fill

from tiny_nets import save_tiny, smaller_tiles


@pytest.fixture(scope="module")
def frame():
    """A 600x400 textured photo with seeded scratches and dust (long scratches cross tiles)."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:400, 0:600].astype(np.float32)
    base = np.stack([x / 3, y / 2, 128 + 60 * np.sin(x / 17) * np.cos(y / 23)], axis=-1)
    image = np.clip(base + rng.normal(0, 8, (400, 600, 3)), 0, 255).astype(np.uint8)
    return image, scratch_mask((600, 400), count=6, seed=2, dust=12)


@pytest.fixture(scope="module")
def guessing_net(tmp_path_factory):
    """A tiny inpainting network that starts from the biharmonic guess, saved as training saves it."""
    import torch

    net, weights = save_tiny(tmp_path_factory.mktemp("nets"), "inpaint", seed=5, guess="biharmonic", flips=2)
    with torch.no_grad():
        torch.nn.init.normal_(net.out.weight, std=0.05)
    return net, weights


def test_the_frame_guess_equals_a_crop_solve_where_the_crop_holds_whole_holes(frame):
    image, mask = frame
    shared = FrameGuess(image, mask)
    crop = Rect(0, 0, 600, 400)      # every hole whole: the per-crop solve has nothing cut off
    pixels = image.astype(np.float32) / np.float32(255.0)
    hole = mask > 0
    alone = biharmonic_guess(np.where(hole[..., None], np.float32(0.0), pixels), hole, 10 ** 7)
    got = shared.crop(crop)
    assert np.array_equal(got[~hole], pixels[~hole])
    levels = np.abs(got[hole] - alone[hole]) * 255
    # scikit-image clips a solve to its crop's value range: a smaller crop can clip an overshoot.
    assert (levels > 0.1).mean() < 0.001 and levels.max() < 2


def test_each_hole_pixel_is_solved_about_once_where_crops_solved_it_twice(frame, monkeypatch, guessing_net):
    """The point of the shared guess: the solve's work follows the damage, not the crops."""
    image, mask = frame
    solved = []
    real = inpaint.biharmonic_guess
    monkeypatch.setattr(inpaint, "biharmonic_guess", lambda image, hole, *a: (
        solved.append(int(np.count_nonzero(hole))), real(image, hole, *a))[1])
    smaller_tiles(monkeypatch, "gated-unet-v4", 256)
    run_sync(run_net_fill(NetFillRequest(image, mask, model=str(guessing_net[1]), previews=False), CancelToken()))
    holes = int(np.count_nonzero(mask))
    assert holes <= sum(solved) <= 1.25 * holes

    per_crop = []
    monkeypatch.setattr(fill_net, "FrameGuess", lambda *a, **k: None)
    monkeypatch.setattr(fill_net, "biharmonic_guess", lambda image, hole, *a: (
        per_crop.append(int(np.count_nonzero(hole))), real(image, hole, *a))[1])
    run_sync(run_net_fill(NetFillRequest(image, mask, model=str(guessing_net[1]), previews=False), CancelToken()))
    assert sum(per_crop) > 1.4 * holes


def test_the_shared_guess_fills_like_per_crop_guesses(frame, monkeypatch, guessing_net):
    image, mask = frame
    smaller_tiles(monkeypatch, "gated-unet-v4", 256)
    monkeypatch.setattr(fill_net, "CPU_BF16", False)
    request = NetFillRequest(image, mask, model=str(guessing_net[1]), previews=False)
    shared = run_sync(run_net_fill(request, CancelToken())).image
    monkeypatch.setattr(fill_net, "FrameGuess", lambda *a, **k: None)
    alone = run_sync(run_net_fill(request, CancelToken())).image
    hole = mask > 0
    assert np.array_equal(shared[~hole], image[~hole])
    difference = np.abs(shared[hole].astype(int) - alone[hole])
    assert difference.mean() < 0.05 and difference.max() <= 2      # where a crop cut a hole


def test_a_hole_too_large_for_the_solve_has_no_shared_guess():
    image = np.full((200, 200, 3), 120, np.uint8)
    mask = np.zeros((200, 200), np.uint8)
    mask[20:180, 20:180] = 255
    mask[5, 5] = 255
    shared = FrameGuess(image, mask, max_hole=1000)
    assert shared.crop(Rect(0, 0, 200, 200)) is None
    assert shared.crop(Rect(0, 0, 12, 12)) is not None      # the lone speck is still solved


def test_bf16_changes_nothing_outside_the_hole_and_little_inside(photo, scratch, guessing_net, monkeypatch):
    net = guessing_net[0]
    hole = (scratch > 0).astype(np.uint8)
    monkeypatch.setattr(fill_net, "CPU_BF16", False)
    fp32 = fill_net._infer_fill(net, "cpu", photo, hole)
    monkeypatch.setattr(fill_net, "CPU_BF16", True)       # forced: emulated where the CPU has no bf16
    bf16 = fill_net._infer_fill(net, "cpu", photo, hole)
    assert np.array_equal(bf16[hole == 0], photo[hole == 0])
    inside = np.abs(bf16[hole > 0].astype(int) - fp32[hole > 0])
    assert 0 < inside.max() <= 3 and inside.mean() < 0.5


@pytest.mark.parametrize("channels_last", [False, True])
def test_gated_convolution_inference_path_computes_what_training_computes(channels_last):
    import torch

    from artstudio.models.inpaint_net import GatedConv

    torch.manual_seed(0)
    layer = GatedConv(4, 8, 3)
    x = torch.rand(2, 4, 33, 40)
    if channels_last:
        layer, x = layer.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    with torch.enable_grad():
        trained = layer(x).detach()
    with torch.inference_mode():
        inferred = layer(x)
    assert torch.allclose(inferred, trained, atol=1e-6)


def test_cancel_while_the_first_guesses_are_solved_stops_the_job(frame, guessing_net):
    import threading

    from artstudio.jobs.base import Cancelled, Progress

    image, mask = frame
    token = CancelToken()
    messages = []
    with pytest.raises(Cancelled):
        for event in run_net_fill(NetFillRequest(image, mask, model=str(guessing_net[1]), previews=False), token):
            if isinstance(event, Progress):
                messages.append(event.message)
                if "first guess" in event.message:
                    token.cancel()
    assert len(messages) == 2 and "first guess, 1 of" in messages[-1]   # loading the network, one solve
    for thread in threading.enumerate():
        if thread.name.startswith("first-guess"):
            thread.join(timeout=10)
            assert not thread.is_alive()


def test_planning_a_whole_scan_checks_for_a_cancel_between_its_steps(frame):
    from artstudio.core.inpaint import find_regions
    from artstudio.jobs.base import Cancelled

    _, mask = frame
    token = CancelToken()
    checks = []
    find_regions(mask, 48, check=lambda: checks.append(1))
    assert len(checks) >= 3
    token.cancel()
    with pytest.raises(Cancelled):
        find_regions(mask, 48, check=token.check)
    with pytest.raises(Cancelled):
        FrameGuess(frame[0], mask, check=token.check)


def test_the_networks_own_first_guess_stays_in_fp32_under_bf16(photo, scratch, monkeypatch, tmp_path):
    """A crop with too many hole pixels for the biharmonic solve starts from push-pull,
    computed by the network: bf16 must not reach it (it was up to 10 levels off)."""
    import torch

    import artstudio.models.inpaint_net as inpaint_net

    net, _ = save_tiny(tmp_path, "inpaint", seed=3, guess="biharmonic")
    with torch.no_grad():
        torch.nn.init.zeros_(net.out.weight)                   # no correction: the output is the guess
    monkeypatch.setattr(inpaint_net, "MAX_BIHARMONIC_HOLE", 50)
    hole = (scratch > 0).astype(np.uint8)
    monkeypatch.setattr(fill_net, "CPU_BF16", False)
    fp32 = fill_net._infer_fill(net, "cpu", photo, hole)
    monkeypatch.setattr(fill_net, "CPU_BF16", True)
    assert np.array_equal(fill_net._infer_fill(net, "cpu", photo, hole), fp32)


_MEMORY_PROBE = """
import numpy as np
from artstudio.jobs.tiled import large_blocks_on_heap

def resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2 ** 20

base = resident_mib()
with large_blocks_on_heap():                        # a fill's activations: 4 x 46 MiB
    blocks = [np.ones((3000, 4000, 4), np.uint8) for _ in range(4)]
    del blocks
after_fill = resident_mib()
big = np.ones((400, 2 ** 20), np.uint8)             # later work: larger than any free heap chunk
during = resident_mib()
del big
print(base, after_fill, during, resident_mib())
"""


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="glibc's allocator settings")
def test_freed_memory_goes_back_to_the_system_after_a_fill_as_before_it():
    """Leaving the fill's allocator block hands its freed pages back, and a large
    block allocated later is returned on free (glibc's thresholds are restored).

    Runs in a fresh interpreter: in a long test session an earlier test's free
    heap chunks can serve (and keep) a later block, whatever the thresholds."""
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", _MEMORY_PROBE], capture_output=True, text=True, timeout=50)
    assert probe.returncode == 0, probe.stderr
    base, after_fill, during, after = map(float, probe.stdout.split())
    assert after_fill < base + 30
    assert during > after_fill + 350
    assert after < after_fill + 30
