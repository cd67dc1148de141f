"""Cancel latency of every restore operation, and of export and training (issue 16 item 6).

Run from the repository root:

    python benchmarks/cancel_latency.py

Every operation of the restore registry (jobs/operations.py) runs on a
2400 x 1600 photo (scikit-image's astronaut, resized; for fills a mask of
30 scratches, 40 specks and one 700 x 700 box, so one region is huge; for
biharmonic one 400 x 400 box; Deep Image Prior on a 256 x 256 crop with a
64 x 64 box, within its CPU limits), and so
do a 4096 px CPPN export and a GAN training run on 64 tiny images. The job's
generator is driven on a worker thread, as the app's job thread does; the
token is cancelled 1.0 s after the first event, and the latency is the time
from that instant to the job raising Cancelled (a job that finished first
says so). Target: at most 0.5 s for every kind.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_header, table  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from artstudio.core.damage import scratch_mask  # noqa: E402
from artstudio.jobs.base import CancelToken, Cancelled  # noqa: E402
from artstudio.jobs.operations import RestoreRequest, operations, tasks  # noqa: E402

CANCEL_AFTER_S = 1.0


def measure(factory) -> tuple[str, float | None]:
    """Drive ``factory(token)`` on a thread; cancel 1 s after its first event."""
    token, first, ended, outcome = CancelToken(), threading.Event(), threading.Event(), {}

    def drive():
        try:
            for _ in factory(token):
                first.set()
            outcome["how"] = "finished first"
        except Cancelled:
            outcome["how"] = "cancelled"
        except Exception as error:   # noqa: BLE001 - a benchmark reports, it does not crash
            outcome["how"] = f"failed: {str(error)[:60]}"
        finally:
            first.set()
            outcome["at"] = time.perf_counter()
            ended.set()

    worker = threading.Thread(target=drive, daemon=True)
    worker.start()
    first.wait()
    time.sleep(CANCEL_AFTER_S)
    asked = time.perf_counter()
    token.cancel()
    ended.wait()
    how = outcome["how"]
    return how, (outcome["at"] - asked) if how == "cancelled" else None


def restore_cases():
    from skimage import data

    photo = cv2.resize(data.astronaut(), (2400, 1600), interpolation=cv2.INTER_AREA)
    mask = scratch_mask((2400, 1600), count=30, seed=7, dust=40)
    # One huge hole: 700 x 700; biharmonic (limit 250,000 px per region) gets a 400 x 400
    # box on its own; Deep Image Prior a 256 x 256 crop with a 64 x 64 box.
    big = mask.copy()
    big[400:1100, 800:1500] = 255
    bounded = np.zeros_like(mask)
    bounded[400:800, 800:1200] = 255
    small = np.ascontiguousarray(photo[:256, :256])
    small_hole = np.zeros((256, 256), np.uint8)
    small_hole[96:160, 96:160] = 255
    for task in tasks():
        for op in operations(task):
            image, hole = (small, small_hole) if op.dip else (photo, bounded if op.key == "biharmonic"
                                                                         else big)
            extra = {"style": np.ascontiguousarray(image[::-1]), "steps": 3000} if op.task == "stylize" else {}
            request = RestoreRequest(image, hole if op.needs_mask else None, previews=False, iterations=5000,
                                     **extra)
            yield f"{task}: {op.key}", (lambda token, op=op, request=request: op.job(request, token))


def other_cases(folder: Path):
    from artstudio.core.imageio import save_image
    from artstudio.jobs.generate import ExportRequest, run_export
    from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen

    yield "generate: export 4096 px", lambda token: run_export(ExportRequest("cppn", np.zeros(8, np.float32),
                                                                             size=4096), token)
    rng = np.random.default_rng(0)
    for i in range(64):
        save_image(folder / f"{i}.png", rng.integers(0, 255, (64, 64, 3), np.uint8))
    (folder / "out").mkdir()
    request = TrainGenRequest(kind="gan", data=folder, out=folder / "out", name="bench", steps=100_000, batch=16)
    yield "train: gan", lambda token: run_train_gen(request, token)


def main() -> int:
    print_header("cancel latency per job kind")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = list(restore_cases())
        try:
            cases += list(other_cases(Path(tmp)))
        except Exception as error:  # noqa: BLE001 - their request types may change; say so
            rows.append(["export / train", "not measured", f"({error})"])
        for name, factory in cases:
            how, latency = measure(factory)
            shown = f"{latency:.3f}" if latency is not None else "-"
            rows.append([name, how, shown])
    print(table(["job", "outcome", "cancel latency s"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
