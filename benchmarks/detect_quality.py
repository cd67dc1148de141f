"""Damage finder quality and speed: classical, network and combined, side by side in one run.

On held-out photos of strong texture (never used to train the network; listed
in resources/models/restore-detect.md), damage is drawn by the benchmark's own
generator (``benchmarks/detect_damage.py``, not the training one). For each
method it reports:

- pixel F1 of the dust set and of the scratch set (hairs and scratches),
  strict and with a 1 px tolerance (a found pixel within 1 px of a damaged
  one is not a false alarm; a damaged pixel within 1 px of a found one is
  found); don't-care pixels (see detect_damage) are counted neither way;
- false alarms on the same photos undamaged: percentage of pixels marked;
- time to run ``artstudio detect`` (the job) on a 12 MP photo.

Run::

    python benchmarks/detect_quality.py --photos DIR [--model detect] [--sensitivity 0.5]

DIR holds the held-out photos (see the model card for how they were made).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import numpy as np

import detect_damage

METHODS = ("classical", "net", "combined")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="folder of held-out photos")
    parser.add_argument("--model", default="detect", help="network: shipped name or .safetensors path")
    parser.add_argument("--sensitivity", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    _common.print_header("Damage finder quality (issue 12 item 3)")
    photos = _photos(args.photos)
    print(f"photos    : {len(photos)} held out ({', '.join(p.stem for p, _ in photos)})")
    print(f"model     : {args.model}, sensitivity {args.sensitivity}\n")
    counts = {(m, k): np.zeros(6, np.int64) for m in METHODS for k in ("dust", "scratches")}
    alarms = {m: [0, 0] for m in METHODS}
    for index, (path, image) in enumerate(photos):
        for kind, seed in (("dust", index), ("scratches", 1000 + index)):
            damaged, truth = detect_damage.damage(image, kind, seed)
            for method, mask in _masks(damaged, args).items():
                counts[method, kind] += _confusion(mask > 0, truth)
        for method, mask in _masks(image, args).items():
            alarms[method][0] += int((mask > 0).sum())
            alarms[method][1] += mask.size
        print(f"  {path.stem}: done", flush=True)
    _report(counts, alarms)
    if not args.skip_timing:
        _timing(photos, args)
    return 0


def _photos(folder: Path):
    from artstudio.core.imageio import load_image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
    if not files:
        sys.exit(f"No photos in {folder}")
    return [(p, np.ascontiguousarray(load_image(p).pixels[..., :3])) for p in files]


def _masks(image: np.ndarray, args) -> dict[str, np.ndarray]:
    """The three methods' masks, the network run once."""
    from artstudio.jobs.base import CancelToken, run_sync
    from artstudio.jobs.detect import combine, net_probability

    vote = run_sync(net_probability(image, args.model, "cpu", CancelToken()))
    return {m: combine(image, None if m == "classical" else vote, args.sensitivity, m).mask for m in METHODS}


def _confusion(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """[tp, fp, fn] strict, then [tp, fp, fn] with the 1 px tolerance."""
    import cv2

    damage = truth == 1
    valid = truth != detect_damage.DONT_CARE
    kernel = np.ones((3, 3), np.uint8)
    near_damage = cv2.dilate(damage.astype(np.uint8), kernel) > 0
    near_found = cv2.dilate(found.astype(np.uint8), kernel) > 0
    strict = [(found & damage).sum(), (found & valid & ~damage).sum(), (damage & ~found).sum()]
    tolerant = [(damage & near_found).sum(), (found & valid & ~near_damage).sum(), (damage & ~near_found).sum()]
    return np.array(strict + tolerant, np.int64)


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def _report(counts, alarms) -> None:
    print("\n| method | dust F1 (P / R) | dust F1, 1 px tol. | scratch F1 (P / R) | scratch F1, 1 px tol. "
          "| false alarms, undamaged |")
    print("|---|---|---|---|---|---|")
    for m in METHODS:
        cells = []
        for kind in ("dust", "scratches"):
            c = counts[m, kind]
            p, r, f = _f1(*c[:3])
            cells.append(f"{f:.3f} ({p:.2f} / {r:.2f})")
            cells.append(f"{_f1(*c[3:])[2]:.3f}")
        fa = 100.0 * alarms[m][0] / max(alarms[m][1], 1)
        print(f"| {m} | " + " | ".join(cells) + f" | {fa:.4f} % |")
    print("\nTargets: F1 >= 0.85 for dust and for scratches; false alarms <= 0.05 % of pixels.")


def _timing(photos, args) -> None:
    import cv2

    from artstudio.jobs.base import CancelToken, run_sync
    from artstudio.jobs.detect import DetectRequest, run_detect

    source = next((img for p, img in photos if p.stem == "kde_Path"), photos[0][1])
    big = cv2.resize(source, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    big, _ = detect_damage.damage(big, "dust", 7)
    print("\n12 MP photo (4000 x 3000, kde_Path enlarged, with dust):")
    for method in METHODS:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            result = run_sync(run_detect(DetectRequest(big, args.sensitivity, method, args.model, "cpu"),
                                         CancelToken()))
            times.append(time.perf_counter() - start)
        print(f"  {method:9s}: median {statistics.median(times):.2f} s, best {min(times):.2f} s "
              f"({result.summary}); target <= 3 s")


if __name__ == "__main__":
    sys.exit(main())
