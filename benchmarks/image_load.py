"""Cost of the checks load_image makes before decoding (issue 16 D6).

Run from the repository root:

    python benchmarks/image_load.py

Input: scikit-image's ``coffee`` photo (600 x 400) upscaled to 6000 x 4000
with ``cv2.resize(..., INTER_CUBIC)`` plus seeded gaussian grain (sigma 4),
saved once as an 8-bit RGB PNG (compress level 3, as ArtStudio saves) and as
a 16-bit RGB PNG. Each is loaded 5 times with the checks (the PNG data is
inflated once more to count its rows; the memory budget is read from
/proc/meminfo) and 5 times with them switched off, interleaved in one run;
the table gives medians and the ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_header, table  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from artstudio.core import decode, imageio  # noqa: E402

REPEATS = 5


def _photo() -> np.ndarray:
    from skimage import data

    big = cv2.resize(data.coffee(), (6000, 4000), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    big += np.random.default_rng(0).normal(0, 4, big.shape).astype(np.float32)
    return np.clip(big, 0, 255).astype(np.uint8)


def _time_load(path: Path, checked: bool) -> float:
    saved = decode.png_is_truncated, decode.available_memory
    if not checked:
        decode.png_is_truncated, decode.available_memory = (lambda p: False), (lambda: None)
    try:
        start = time.perf_counter()
        imageio.load_image(path)
        return time.perf_counter() - start
    finally:
        decode.png_is_truncated, decode.available_memory = saved


def main() -> int:
    print_header("load_image: pre-decode checks on a 24 MP PNG")
    photo = _photo()
    rows = [["file", "size MB", "checked s", "unchecked s", "ratio"]]
    with tempfile.TemporaryDirectory() as tmp:
        eight = Path(tmp) / "photo8.png"
        imageio.save_image(eight, photo)
        sixteen = Path(tmp) / "photo16.png"
        cv2.imwrite(str(sixteen), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257,
                    [cv2.IMWRITE_PNG_COMPRESSION, 3])
        for path in (eight, sixteen):
            times = {True: [], False: []}
            for _ in range(REPEATS):
                for checked in (True, False):
                    times[checked].append(_time_load(path, checked))
            on, off = median(times[True]), median(times[False])
            rows.append([path.name, f"{path.stat().st_size / 1e6:.0f}", f"{on:.2f}", f"{off:.2f}",
                         f"{on / off:.2f}"])
    print(table(rows[0], rows[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
