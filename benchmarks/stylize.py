"""Style transfer (issue 13): speed on this machine, and quality figures that can fail.

    python benchmarks/stylize.py speed      # colour at 12/24 MP, paint/texture at 512², 24 MP, cancel
    python benchmarks/stylize.py quality    # 4 photos x 4 styles: statistics, content bound, MKL
                                            # covariance; writes the contact sheets to docs/stylize/
    python benchmarks/stylize.py            # both

Photos: scikit-image's astronaut and chelsea, and two photos from Debian's
plasma-workspace-wallpapers; styles: three digital paintings and a moss photo
from the same package (docs/stylize/README.md has the sources and licences).
Everything runs on the CPU through the registry's jobs, as the window does.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
from _common import REPO, load_line, median, print_header

import cv2
import numpy as np

SOURCES = REPO / "docs" / "stylize" / "sources"
CONTENTS = ("astronaut", "chelsea", "boats", "forest-path")
STYLES = ("autumn", "safe-landing", "honeywave", "moss")
REDUCTION_NEEDED = 0.80        # style statistics distance, fraction removed from the photo's
CONTENT_BOUND = 0.12           # RMS (0-1) of the 1/4-size blur, result vs colour-matched photo
COVARIANCE_BOUND = 1e-3
SHEET_TILE = 160


def picture(name: str) -> np.ndarray:
    from artstudio.core.imageio import load_image

    if name in ("astronaut", "chelsea"):
        from skimage import data

        return getattr(data, name)()
    return load_image(SOURCES / f"{name}.jpg").pixels


def fit(image: np.ndarray, long_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = long_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def run(mode: str, image, style, **options):
    """``(result, seconds to the first preview or None, seconds in all)``."""
    from artstudio.jobs.base import CancelToken, Preview
    from artstudio.jobs.operations import RestoreRequest, operation

    request = RestoreRequest(image, style=style, device="cpu", **options)
    job = operation("stylize", mode).job(request, CancelToken())
    start, first = time.perf_counter(), None
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value, first, time.perf_counter() - start
        if first is None and isinstance(event, Preview):
            first = time.perf_counter() - start


# -- speed -------------------------------------------------------------------------------------------

def speed() -> None:
    from artstudio.core.colour_transfer import METHODS, match_colours

    print_header("Stylize: speed")
    print(load_line())
    astronaut, autumn = picture("astronaut"), picture("autumn")
    for label, size in (("12 MP", (4000, 3000)), ("24 MP", (6000, 4000))):
        big = cv2.resize(astronaut, size, interpolation=cv2.INTER_CUBIC)
        for method in METHODS if label == "12 MP" else ("mkl",):
            times = []
            for _ in range(7):
                t = time.perf_counter()
                match_colours(big, autumn, method)
                times.append(time.perf_counter() - t)
            print(f"colour match {method:9s} at {label}: median {median(times) * 1000:7.1f} ms "
                  f"(min {min(times) * 1000:.1f})")
    run("paint", fit(astronaut, 64), autumn, steps=2)          # torch and its optimiser loaded once
    for mode in ("paint", "texture"):
        result, first, total = run(mode, astronaut, autumn)
        print(f"{mode:7s} at 512x512, {result.recipe['steps']} steps: first preview {first:.2f} s, "
              f"finished {total:.1f} s")
    big = cv2.resize(astronaut, (6000, 4000), interpolation=cv2.INTER_CUBIC)
    for mode in ("paint", "texture"):
        result, first, total = run(mode, big, autumn, previews=False)
        print(f"{mode:7s} at 24 MP (6000x4000, worked at {result.recipe['size']} px): finished {total:.1f} s")
    print(f"cancel latency, paint at 512x512: {cancel_latency(astronaut, autumn) * 1000:.0f} ms")
    print(load_line("after"))


def cancel_latency(image, style) -> float:
    from artstudio.jobs.base import CancelToken, Cancelled
    from artstudio.jobs.operations import RestoreRequest, operation

    token = CancelToken()
    job = operation("stylize", "paint").job(RestoreRequest(image, style=style, steps=3000, device="cpu"), token)
    asked = {}

    def cancel() -> None:
        asked["at"] = time.perf_counter()
        token.cancel()

    timer = threading.Timer(3.0, cancel)
    timer.start()
    try:
        for _ in job:
            pass
    except Cancelled:
        return time.perf_counter() - asked["at"]
    finally:
        timer.cancel()
    raise RuntimeError("the job finished before it was cancelled")


# -- quality and the contact sheets -------------------------------------------------------------------

def quality() -> int:
    from artstudio.core.colour_transfer import covariance_error, match_colours
    from artstudio.models.style_features import content_distance, statistics_distance

    print_header("Stylize: quality (4 photos x 4 styles)")
    print(load_line())
    f32 = lambda a: a.astype(np.float32) / 255  # noqa: E731
    contents = {n: fit(picture(n), 256) for n in CONTENTS}
    styles = {n: fit(picture(n), 256) for n in STYLES}
    sheets = {mode: {} for mode in ("colour", "paint", "texture")}
    failures, cov_errors, rows = 0, [], []
    for cn, content in contents.items():
        for sn, style in styles.items():
            matched = match_colours(fit(picture(cn), 512), fit(picture(sn), 512))
            cov_errors.append(covariance_error(matched, fit(picture(sn), 512)))
            colour = match_colours(content, style)
            sheets["colour"][cn, sn] = colour
            before = statistics_distance(f32(content), f32(style), seed=7, levels=5)
            colour_d = statistics_distance(f32(colour), f32(style), seed=7, levels=5)
            for mode in ("paint", "texture"):
                result, _, seconds = run(mode, content, style, previews=False)
                sheets[mode][cn, sn] = result.image
                after = statistics_distance(f32(result.image), f32(style), seed=7, levels=5)
                moved = content_distance(f32(result.image), f32(colour))
                ok = after <= (1 - REDUCTION_NEEDED) * before and moved <= CONTENT_BOUND
                failures += not ok
                rows.append((cn, sn, mode, 1 - after / before, 1 - after / colour_d, moved, seconds, ok))
    print(f"{'photo':12s} {'style':13s} {'mode':8s} {'from photo':>10s} {'beyond colour':>13s} "
          f"{'content':>8s} {'s':>5s}  pass")
    for cn, sn, mode, red, beyond, moved, seconds, ok in rows:
        print(f"{cn:12s} {sn:13s} {mode:8s} {red:10.1%} {beyond:13.1%} {moved:8.3f} {seconds:5.1f}  {'yes' if ok else 'NO'}")
    for mode in ("paint", "texture"):
        picked = [r for r in rows if r[2] == mode]
        print(f"{mode}: reduction from the photo median {median([r[3] for r in picked]):.1%} "
              f"(min {min(r[3] for r in picked):.1%}); beyond colour matching median "
              f"{median([r[4] for r in picked]):.1%}; content distance median {median([r[5] for r in picked]):.3f} "
              f"(max {max(r[5] for r in picked):.3f}, bound {CONTENT_BOUND})")
    cov_fail = sum(e > COVARIANCE_BOUND for e in cov_errors)
    print(f"MKL covariance error at 512 px (after clipping and rounding), 16 pairs: median {median(cov_errors):.2e}, "
          f"max {max(cov_errors):.2e}; {cov_fail} over {COVARIANCE_BOUND:g}")
    print(f"{failures} of {len(rows)} stylisations fail (>= {REDUCTION_NEEDED:.0%} closer and content <= "
          f"{CONTENT_BOUND})")
    write_sheets(sheets, contents, styles)
    print(load_line("after"))
    return 1 if failures or cov_fail else 0


def write_sheets(sheets: dict, contents: dict, styles: dict) -> None:
    from artstudio.core.imageio import save_image

    tile = SHEET_TILE
    for mode, results in sheets.items():
        sheet = np.full(((len(contents) + 1) * tile, (len(styles) + 1) * tile, 3), 255, np.uint8)
        for j, style in enumerate(styles.values()):
            _paste(sheet, style, 0, j + 1)
        for i, (cn, content) in enumerate(contents.items()):
            _paste(sheet, content, i + 1, 0)
            for j, sn in enumerate(styles):
                _paste(sheet, results[cn, sn], i + 1, j + 1)
        path = REPO / "docs" / "stylize" / f"sheet-{mode}.jpg"
        save_image(path, sheet, quality=85)
        print(f"wrote {path.relative_to(REPO)}")


def _paste(sheet: np.ndarray, image: np.ndarray, row: int, col: int) -> None:
    tile = SHEET_TILE
    small = fit(image[..., :3], tile - 6)
    h, w = small.shape[:2]
    y, x = row * tile + (tile - h) // 2, col * tile + (tile - w) // 2
    sheet[y:y + h, x:x + w] = small


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "all"
    if what in ("speed", "all"):
        speed()
    return quality() if what in ("quality", "all") else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
