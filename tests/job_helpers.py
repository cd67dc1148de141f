"""A job that holds the job runner until the test lets it go (to act while a job is running)."""

from __future__ import annotations

import threading

from artstudio.jobs.base import Progress


def gated_job():
    """``(gate, factory)``: the job the factory makes reports progress until ``gate.set()``,
    and stops at once when cancelled."""
    gate = threading.Event()

    def waiting(token):
        while not gate.wait(0.02):
            token.check()
            yield Progress(0.1, "Waiting")
        return None

    return gate, waiting
