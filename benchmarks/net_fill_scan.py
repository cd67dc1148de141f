"""Neural fill of a 24-megapixel scan: time, peak memory, untouched pixels.

Run from the repository root::

    python benchmarks/net_fill_scan.py [--model restore-inpaint]

Input: the same frame as ``fill_speed.py``: scikit-image's ``coffee`` upscaled
to 6000 x 4000 (``cv2.INTER_CUBIC``) with
``scratch_mask((6000, 4000), count=30, seed=7, dust=40)``. The neural fill
runs as the CLI runs it (``run_net_fill(..., previews=False)``): one crop
per hole region with context, cut into tiles along long scratches.

Prints the wall time of the fill, the number of crops, the process's peak
RSS before the fill (inputs built, network loaded) and after it, the PSNR
inside the mask against the clean frame (the mask is not painted in, so
the clean pixels are the truth), and checks that every pixel outside the
mask is bit-identical to the input. To compare two versions side by side,
run this script alternately against each checkout (``PYTHONPATH=OLD``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_header, table  # noqa: E402

W, H = 6000, 4000


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="restore-inpaint", help="network name or weights path")
    parser.add_argument("--cancel", action="store_true",
                        help="also cancel the fill at 0.1-1.2 s and print each cancel's latency")
    parser.add_argument("--threads", type=int,
                        help="torch threads (the window uses one fewer than the cores; default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    import cv2
    import numpy as np
    import skimage.data

    from artstudio.core.damage import scratch_mask
    from artstudio.jobs.base import CancelToken, run_sync
    from artstudio.jobs.fill_net import NetFillRequest, run_net_fill
    from artstudio.jobs.nets import get_restore_net

    print_header("ArtStudio neural fill of a 24 MP scan with 30 scratches and 40 dust specks")
    image = cv2.resize(skimage.data.coffee(), (W, H), interpolation=cv2.INTER_CUBIC)
    mask = scratch_mask((W, H), count=30, seed=7, dust=40)
    get_restore_net(args.model, "inpaint")
    before = peak_rss_mib()
    start = time.perf_counter()
    result = run_sync(run_net_fill(NetFillRequest(image, mask, model=args.model, previews=False),
                                   CancelToken()))
    seconds = time.perf_counter() - start
    after = peak_rss_mib()
    outside = mask == 0
    untouched = bool(np.array_equal(result.image[outside], image[outside]))
    # The frame is clean under the mask, so the fill can be scored against it.
    error = result.image[~outside].astype(np.float64) - image[~outside]
    psnr = 10 * np.log10(255.0 ** 2 / np.mean(error ** 2))
    print(table(["model", "masked px", "crops", "s", "peak RSS before MiB", "peak RSS after MiB",
                 "fill adds MiB", "hole PSNR dB", "outside mask bit-identical"],
                [[args.model, f"{int((mask > 0).sum()):,}", str(result.regions), f"{seconds:.1f}",
                  f"{before:.0f}", f"{after:.0f}", f"{after - before:.0f}", f"{psnr:.3f}",
                  "yes" if untouched else "NO"]]))
    if args.cancel:
        cancel_latencies(image, mask, args.model)
    return 0 if untouched else 1


def cancel_latencies(image, mask, model: str) -> None:
    """Cancel the fill from another thread after a delay; latency = cancel to Cancelled raised."""
    import threading

    from artstudio.jobs.base import CancelToken, Cancelled, run_sync
    from artstudio.jobs.fill_net import NetFillRequest, run_net_fill

    rows = []
    for delay in (0.1, 0.3, 0.5, 0.7, 0.9, 1.2, 3.0):
        token, ended = CancelToken(), {}

        def work():
            try:
                run_sync(run_net_fill(NetFillRequest(image, mask, model=model, previews=False), token))
                ended["how"] = "finished first"
            except Cancelled:
                ended["how"], ended["at"] = "cancelled", time.perf_counter()

        thread = threading.Thread(target=work)
        thread.start()
        time.sleep(delay)
        asked = time.perf_counter()
        token.cancel()
        thread.join()
        latency = f"{ended['at'] - asked:.3f}" if "at" in ended else "-"
        rows.append([f"{delay:.1f}", ended["how"], latency])
    print()
    print(table(["cancel after s", "outcome", "latency s"], rows))


if __name__ == "__main__":
    sys.exit(main())
