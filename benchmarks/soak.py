"""Soak: 1,000 restore jobs and 10,000 renders through the window's job thread; does memory grow?

Issue 16's Measure: "soak of 1,000 jobs and 10,000 renders: RSS growth <= 50 MB". Runs the
real :class:`artstudio.ui.job_runner.JobRunner` (offscreen Qt), one job at a time as the
window does: restore jobs cycle through Telea, the neural fill, the content-aware fill and
the median denoise on a 256 px photo with a fresh random scratch each time; renders cycle
through the DCGAN (64 px) and a CPPN (96 px) with a new latent each time, half of them
superseded by the next (latest wins), as a slider drag does. Resident memory (current, not
peak) is read every 100 jobs after a warm-up of 50; the growth is last minus first sample.

    QT_QPA_PLATFORM=offscreen python benchmarks/soak.py [--jobs 1000] [--renders 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import photo_like, print_header, table  # noqa: E402

import numpy as np  # noqa: E402

LIMIT_MB = 50.0


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from artstudio.jobs.base import readonly_copy
    from artstudio.jobs.generate import RenderRequest, get_generator, run_render
    from artstudio.jobs.operations import RestoreRequest, operation
    from artstudio.ui.job_runner import JobRunner

    app = QApplication.instance() or QApplication([])
    print_header(f"ArtStudio soak: {args.jobs:,} restore jobs and {args.renders:,} renders on the job thread")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    runner = JobRunner()
    done = {"n": 0, "failed": []}
    runner.job_finished.connect(lambda *_: done.__setitem__("n", done["n"] + 1))
    runner.job_cancelled.connect(lambda *_: done.__setitem__("n", done["n"] + 1))
    runner.job_failed.connect(lambda _id, text: (done["failed"].append(text), done.__setitem__("n", done["n"] + 1)))
    runner.start()

    def wait_all(expected: int) -> None:
        while done["n"] < expected:
            app.processEvents()
            time.sleep(0.001)

    photo = readonly_copy(photo_like(256, 256, seed=3))
    rng = np.random.default_rng(16)
    kinds = [("fill", "telea"), ("fill", "net"), ("fill", "texture"), ("denoise", "median")]
    samples, submitted, start = [], 0, time.perf_counter()
    for index in range(args.jobs):
        mask = np.zeros((256, 256), np.uint8)
        x, y = (int(v) for v in rng.integers(20, 200, 2))
        mask[y:y + 4, x:x + int(rng.integers(10, 50))] = 255
        task, method = kinds[index % len(kinds)]
        request = RestoreRequest(photo, readonly_copy(mask) if task == "fill" else None, device="cpu",
                                 previews=False)
        op = operation(task, method)
        runner.submit("restore", lambda token, op=op, r=request: op.job(r, token))
        submitted += 1
        wait_all(submitted)
        if index >= 50 and (index - 50) % 100 == 0:
            samples.append(("jobs", index, rss_mb()))
    jobs_seconds = time.perf_counter() - start
    job_samples = [s for s in samples if s[0] == "jobs"]

    models = [("dcgan-faces", None), ("cppn-ink", 96)]
    dims = {name: get_generator(name, device="cpu").latent_dim for name, _ in models}
    start = time.perf_counter()
    for index in range(args.renders):
        name, size = models[index % 2]
        latents = rng.standard_normal((1, dims[name])).astype(np.float32)
        latents.flags.writeable = False
        request = RenderRequest(name, latents, size, device="cpu")
        runner.submit("generate.render", lambda token, r=request: run_render(r, token), latest_wins=index % 4 < 2)
        submitted += 1
        if index % 4 in (1, 3):            # a pair of drag steps, then let them finish
            wait_all(submitted)
        if index >= 200 and (index - 200) % 1000 == 0:
            wait_all(submitted)
            samples.append(("renders", index, rss_mb()))
    wait_all(submitted)
    render_seconds = time.perf_counter() - start
    runner.shutdown()
    render_samples = [s for s in samples if s[0] == "renders"]

    rows = []
    for label, series, seconds, count in (("restore jobs", job_samples, jobs_seconds, args.jobs),
                                           ("renders", render_samples, render_seconds, args.renders)):
        growth = series[-1][2] - series[0][2] if len(series) > 1 else 0.0
        rows.append([label, f"{count:,}", f"{seconds:.0f}", f"{series[0][2]:.0f}" if series else "-",
                     f"{series[-1][2]:.0f}" if series else "-", f"{growth:+.1f}",
                     "yes" if growth <= LIMIT_MB else "NO"])
    print(table(["kind", "count", "s", "RSS after warm-up MB", "RSS at end MB", "growth MB", f"<= {LIMIT_MB:g} MB"],
                rows))
    print("samples (kind, index, MB): " + ", ".join(f"{k[0]}{i}:{mb:.0f}" for k, i, mb in samples))
    print(f"failed jobs: {len(done['failed'])}" + (f" (first: {done['failed'][0]})" if done["failed"] else ""))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if all(r[-1] == "yes" for r in rows) and not done["failed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
