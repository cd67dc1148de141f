"""Tell the user how long a Deep Image Prior run will take, before it starts.

The iteration time is measured once per device on a tiny warm-up and scaled
by the pixels a request optimises (:func:`estimate_dip_seconds`);
:func:`run_estimate_dip` does that on the job thread, since it loads torch.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass

from .base import CancelToken, Event, Progress
from .dip import LEARNING_RATE, DipRequest, check_request, device_setup, plan_work


@dataclass(frozen=True)
class DipEstimate:
    """The expected cost of a request: ``seconds`` at most (every iteration
    run), ``seconds_per_iteration`` measured on this machine, ``work_size``
    (width, height) of what is optimised."""

    seconds: float
    iterations: int
    seconds_per_iteration: float
    work_size: tuple[int, int]

    def describe(self) -> str:
        minutes = self.seconds / 60
        when = f"{self.seconds:.0f} s" if minutes < 1.5 else f"{minutes:.0f} min"
        return (f"up to {when} ({self.iterations} iterations of {self.seconds_per_iteration:.2f} s "
                f"on {self.work_size[0]}x{self.work_size[1]}); it usually stops earlier")


def estimate_dip_seconds(request: DipRequest) -> DipEstimate:
    """Expected run time, from iteration times measured on a tiny warm-up.

    The first call on a device times a few iterations on 64x64 and 128x128
    (about 1.5 s on a 2-core CPU: run it off the GUI thread) and scales by
    pixels; later calls reuse that measurement. Raises :class:`JobError` on a request ``run_dip``
    would refuse.
    """
    check_request(request)
    device, widths, limit = device_setup(request.device)
    plan = plan_work(request, limit, widths)
    per_pixel, least = _iteration_cost(device, widths)
    out_pixels = plan.padded[0] * plan.padded[1] * plan.scale ** 2
    per_iteration = max(least, per_pixel * out_pixels)
    return DipEstimate(per_iteration * request.max_iterations, request.max_iterations,
                       per_iteration, plan.work)


def run_estimate_dip(request: DipRequest, cancel: CancelToken) -> Generator[Event, None, DipEstimate]:
    """Time a short warm-up on the job thread (it loads torch) and extrapolate."""
    yield Progress(0.0, "Deep Image Prior: measuring this machine's speed…")
    cancel.check()
    return estimate_dip_seconds(request)


_costs: dict[tuple, tuple[float, float]] = {}
_costs_lock = threading.Lock()


def _iteration_cost(device, widths) -> tuple[float, float]:
    """(seconds per output pixel, least seconds) of one iteration, measured once.

    Proportional to pixels from a 128x128 run, never below a 64x64 run: an
    affine fit through the two swings wildly when another process shares
    the CPU, a proportional one errs on the long side (+20 % at 256x256).
    """
    key = (str(device), tuple(widths))
    with _costs_lock:
        if key not in _costs:
            small, large = _time_iterations(device, widths, 64), _time_iterations(device, widths, 128)
            _costs[key] = (large / (128 * 128), small)
        return _costs[key]


def _time_iterations(device, widths, side: int, runs: int = 3) -> float:
    import torch

    from ..models.dip_net import DipNet, dip_input

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = DipNet(widths=widths).to(device).train()
    noise = dip_input(net.in_channels, side, side, 0).to(device)
    optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    best = math.inf
    with torch.enable_grad():
        for run in range(runs + 1):      # the first is a warm-up
            begin = time.perf_counter()
            optimiser.zero_grad(set_to_none=True)
            net(noise).square().mean().backward()
            optimiser.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            if run:
                best = min(best, time.perf_counter() - begin)
    return best
