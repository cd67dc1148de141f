"""Cancel stops even one huge hole promptly, and the child-process path fills identically."""

import threading
import time

import numpy as np
import pytest

from artstudio.jobs.base import CancelToken, Cancelled, run_sync
from artstudio.jobs.restore import INTERRUPTIBLE_HOLE, FillRequest, run_fill


def photo_with_hole(side, hole):
    rng = np.random.default_rng(2)
    image = rng.integers(0, 255, (side, side, 3), np.uint8)
    mask = np.zeros((side, side), np.uint8)
    start = (side - hole) // 2
    mask[start:start + hole, start:start + hole] = 255
    return image, mask


@pytest.mark.parametrize("method, side, hole", [("telea", 1000, 800), ("biharmonic", 700, 460)])
def test_cancel_ends_a_single_huge_region_within_half_a_second(method, side, hole):
    image, mask = photo_with_hole(side, hole)
    assert hole * hole > INTERRUPTIBLE_HOLE[method]
    token = CancelToken()
    job = run_fill(FillRequest(image, mask, method=method, previews=False), token)
    timer = threading.Timer(0.6, token.cancel)       # mid-solve: the solve alone takes seconds
    timer.start()
    start = time.perf_counter()
    with pytest.raises(Cancelled):
        for _ in job:
            pass
    ended = time.perf_counter() - start
    timer.join()
    assert ended < 0.6 + 0.5, f"cancel took {ended - 0.6:.2f} s"


def test_a_hole_solved_in_a_child_process_fills_exactly_as_in_process(monkeypatch):
    import artstudio.jobs.restore as restore

    image, mask = photo_with_hole(200, 120)
    request = FillRequest(image, mask, method="telea", previews=False)
    monkeypatch.setattr(restore, "INTERRUPTIBLE_HOLE", {"telea": 10**9})
    direct = run_sync(run_fill(request, CancelToken())).image
    monkeypatch.setattr(restore, "INTERRUPTIBLE_HOLE", {"telea": 0})
    via_child = run_sync(run_fill(request, CancelToken())).image
    assert np.array_equal(direct, via_child)
    assert np.array_equal(via_child[mask == 0], image[mask == 0])
