"""Tell the user how long a Deep Image Prior run will take, before it starts."""

from __future__ import annotations

from collections.abc import Generator

from .base import CancelToken, Event, Progress
from .dip import DipEstimate, DipRequest, estimate_dip_seconds


def run_estimate_dip(request: DipRequest, cancel: CancelToken) -> Generator[Event, None, DipEstimate]:
    """Time a short warm-up on the job thread (it loads torch) and extrapolate."""
    yield Progress(0.0, "Deep Image Prior: measuring this machine's speed…")
    cancel.check()
    return estimate_dip_seconds(request)
