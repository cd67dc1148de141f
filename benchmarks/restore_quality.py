"""Restoration quality on held-out photos: every method, seeded damage, PSNR and SSIM.

Run from the repository root::

    python benchmarks/restore_quality.py --data HELDOUT_DIR [--dip-photos 2]

HELDOUT_DIR holds photos the networks never saw in training (the list used
for docs/BENCHMARKS.md is in the model cards). Each photo is centre-cropped
to 512x512. Cases, all seeded:

- fill: thin scratches, dust specks, free-form strokes, a centred 96x96 box
  (core.damage); PSNR over the whole image and inside the hole, SSIM.
- denoise: gaussian sigma 25, salt-and-pepper 5 %.
- super-resolution: bicubic downscale x2 and x4, then upscale back.

Also times the neural fill of a 512x512 crop and a x2 upscale of a 1 MP
image on this machine. Deep Image Prior is slow on CPU, so it runs on the
first ``--dip-photos`` photos only (its rows say on how many).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_header, table  # noqa: E402

from artstudio.core.damage import (add_gaussian_noise, add_salt_and_pepper, bicubic_downscale,  # noqa: E402
                                   centred_box_mask, damage_mask)
from artstudio.core.imageio import load_image  # noqa: E402
from artstudio.jobs.base import CancelToken, run_sync  # noqa: E402
from artstudio.jobs.operations import RestoreRequest, operation, operations  # noqa: E402

SIDE = 512
FILL_CASES = ("scratches", "dust", "strokes", "box96")
DENOISE_CASES = {"gaussian25": ("gaussian", 25.0), "saltpepper5": ("saltpepper", 0.05)}
SR_CASES = (2, 4)
# Every method of the registry is measured, in the panel's order.
FILL_METHODS, DENOISE_METHODS, SR_METHODS = ([op.key for op in operations(task)]
                                             for task in ("fill", "denoise", "upscale"))


def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    diff = a.astype(np.float64) - b.astype(np.float64)
    if where is not None:
        diff = diff[where]
    mse = float(np.mean(diff ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=-1, data_range=255))


def centre_crop(image: np.ndarray, side: int = SIDE) -> np.ndarray:
    h, w = image.shape[:2]
    if min(h, w) < side:
        import cv2

        scale = side / min(h, w)
        image = cv2.resize(image, (int(np.ceil(w * scale)), int(np.ceil(h * scale))),
                           interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
    y, x = (h - side) // 2, (w - side) // 2
    return np.ascontiguousarray(image[y:y + side, x:x + side, :3])


def fill_mask(case: str, seed: int) -> np.ndarray:
    if case == "box96":
        return centred_box_mask((SIDE, SIDE), 96)
    return damage_mask(case, (SIDE, SIDE), seed)


def run_method(task: str, method: str, image: np.ndarray, **options) -> np.ndarray:
    """The image the registry's operation ``(task, method)`` makes of ``image``."""
    request = RestoreRequest(image, previews=False, **options)
    return run_sync(operation(task, method).job(request, CancelToken())).image


def run_fill_method(method: str, damaged: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return run_method("fill", method, damaged, mask=mask)


def run_denoise_method(method: str, noise: str, noisy: np.ndarray) -> np.ndarray:
    return run_method("denoise", method, noisy, noise=noise)


def run_sr_method(method: str, scale: int, small: np.ndarray) -> np.ndarray:
    return run_method("upscale", method, small, scale=scale)


class Scores:
    """Per (case, method): lists of PSNR (whole / hole) and SSIM, and seconds."""

    def __init__(self):
        self.rows: dict[tuple[str, str], dict[str, list[float]]] = {}

    def add(self, case: str, method: str, **values: float) -> None:
        row = self.rows.setdefault((case, method), {})
        for key, value in values.items():
            row.setdefault(key, []).append(value)

    def mean(self, case: str, method: str, key: str) -> float:
        values = self.rows.get((case, method), {}).get(key, [])
        return float(np.mean(values)) if values else float("nan")

    def count(self, case: str, method: str) -> int:
        return len(self.rows.get((case, method), {}).get("ssim", []))


def measure(photos: list[np.ndarray], dip_photos: int, scores: Scores) -> None:
    for index, clean in enumerate(photos):
        methods_here = lambda methods: [m for m in methods if m != "dip" or index < dip_photos]  # noqa: E731
        for case in FILL_CASES:
            mask = fill_mask(case, seed=100 + index)
            hole = mask > 0
            damaged = clean.copy()
            damaged[hole] = 255 - clean[hole] // 4        # bright, structured damage
            for method in methods_here(FILL_METHODS):
                start = time.perf_counter()
                out = run_fill_method(method, damaged, mask)
                seconds = time.perf_counter() - start
                assert np.array_equal(out[~hole], damaged[~hole]), f"{method} touched pixels outside the mask"
                scores.add(case, method, psnr=psnr(out, clean), hole=psnr(out, clean, hole),
                           ssim=ssim(out, clean), seconds=seconds)
        for case, (noise, level) in DENOISE_CASES.items():
            noisy = (add_gaussian_noise(clean, level, 200 + index) if noise == "gaussian"
                     else add_salt_and_pepper(clean, level, 200 + index))
            for method in methods_here(DENOISE_METHODS):
                start = time.perf_counter()
                out = run_denoise_method(method, noise, noisy)
                scores.add(case, method, psnr=psnr(out, clean), ssim=ssim(out, clean),
                           seconds=time.perf_counter() - start)
        for scale in SR_CASES:
            small = bicubic_downscale(clean, scale)
            for method in methods_here(SR_METHODS):
                start = time.perf_counter()
                out = run_sr_method(method, scale, small)
                scores.add(f"sr_x{scale}", method, psnr=psnr(out, clean), ssim=ssim(out, clean),
                           seconds=time.perf_counter() - start)
        print(f"  photo {index + 1}/{len(photos)} done", file=sys.stderr, flush=True)


def speed(photo: np.ndarray) -> list[list[str]]:
    """Neural fill of a 512x512 crop and x2 upscale of a 1 MP image (median of 3)."""
    import cv2

    mask = damage_mask("strokes", (SIDE, SIDE), 7)
    megapixel = cv2.resize(photo, (1152, 864), interpolation=cv2.INTER_CUBIC)
    rows = []
    for label, fn, target in (
            ("neural fill, 512x512 crop (strokes)", lambda: run_fill_method("net", photo, mask), 0.5),
            ("x2 neural upscale, 1 MP (1152x864) input", lambda: run_sr_method("net", 2, megapixel), 2.0),
            ("denoise, 1 MP (1152x864)", lambda: run_denoise_method("net", "gaussian", megapixel), None)):
        fn()  # warm-up: loads the network
        times = []
        for _ in range(3):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        median = float(np.median(times))
        verdict = "" if target is None else ("MET" if median < target else "NOT MET")
        rows.append([label, f"{median:.3f}", f"{min(times):.3f}", "-" if target is None else f"< {target}",
                     verdict])
    return rows


def report(scores: Scores) -> list[str]:
    lines, verdicts = [], []
    print("\n### Fill (512x512, PSNR dB / SSIM)\n")
    rows = []
    for case in FILL_CASES:
        for method in FILL_METHODS:
            if scores.count(case, method):
                rows.append([case, method, str(scores.count(case, method)),
                             f"{scores.mean(case, method, 'psnr'):.2f}", f"{scores.mean(case, method, 'hole'):.2f}",
                             f"{scores.mean(case, method, 'ssim'):.4f}", f"{scores.mean(case, method, 'seconds'):.2f}"])
    print(table(["case", "method", "photos", "PSNR", "PSNR in hole", "SSIM", "s"], rows))
    for case in ("scratches", "dust", "strokes"):
        best = max(scores.mean(case, m, "hole") for m in ("ns", "biharmonic"))
        gain = scores.mean(case, "net", "hole") - best
        verdicts.append(f"fill {case}: net - best(ns, biharmonic) in hole = {gain:+.2f} dB "
                        f"(target >= +1.00) -> {'MET' if gain >= 1.0 else 'NOT MET'}")
    print("\n### Denoise (512x512)\n")
    rows = [[case, m, str(scores.count(case, m)), f"{scores.mean(case, m, 'psnr'):.2f}",
             f"{scores.mean(case, m, 'ssim'):.4f}", f"{scores.mean(case, m, 'seconds'):.2f}"]
            for case in DENOISE_CASES for m in DENOISE_METHODS if scores.count(case, m)]
    print(table(["case", "method", "photos", "PSNR", "SSIM", "s"], rows))
    gain = scores.mean("gaussian25", "net", "psnr") - scores.mean("gaussian25", "nlmeans", "psnr")
    verdicts.append(f"denoise sigma 25: net - nlmeans = {gain:+.2f} dB (target >= +1.00) -> "
                    f"{'MET' if gain >= 1.0 else 'NOT MET'}")
    gain = scores.mean("saltpepper5", "net", "psnr") - scores.mean("saltpepper5", "median", "psnr")
    verdicts.append(f"salt-and-pepper 5%: net - median3 = {gain:+.2f} dB (target > 0) -> "
                    f"{'MET' if gain > 0 else 'NOT MET'}")
    print("\n### Super-resolution (512x512 target)\n")
    rows = [[f"sr_x{s}", m, str(scores.count(f"sr_x{s}", m)), f"{scores.mean(f'sr_x{s}', m, 'psnr'):.2f}",
             f"{scores.mean(f'sr_x{s}', m, 'ssim'):.4f}", f"{scores.mean(f'sr_x{s}', m, 'seconds'):.2f}"]
            for s in SR_CASES for m in SR_METHODS if scores.count(f"sr_x{s}", m)]
    print(table(["case", "method", "photos", "PSNR", "SSIM", "s"], rows))
    for s in SR_CASES:
        gain = scores.mean(f"sr_x{s}", "net", "psnr") - scores.mean(f"sr_x{s}", "lanczos", "psnr")
        verdicts.append(f"sr x{s}: net - lanczos = {gain:+.2f} dB (target >= +0.50) -> "
                        f"{'MET' if gain >= 0.5 else 'NOT MET'}")
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of held-out photos")
    parser.add_argument("--dip-photos", type=int, default=1, help="photos to run Deep Image Prior on")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N photos")
    args = parser.parse_args()
    print_header("Restoration quality on held-out photos")
    files = sorted(p for p in args.data.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
    if args.limit:
        files = files[:args.limit]
    photos = [centre_crop(load_image(p).pixels) for p in files]
    print(f"photos ({len(photos)}): {', '.join(p.name for p in files)}")
    scores = Scores()
    measure(photos, args.dip_photos, scores)
    verdicts = report(scores)
    print("\n### Speed on this machine\n")
    print(table(["what", "median s", "min s", "target", "verdict"], speed(photos[0])))
    print("\n### Targets\n")
    for line in verdicts:
        print("- " + line)
    return 0 if all(line.endswith("-> MET") for line in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
