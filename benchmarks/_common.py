"""Helpers shared by the benchmark scripts (not a benchmark itself).

Only the standard library is imported at module level so that importing this
file never changes what a start-up measurement sees.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
# Child processes (the interruptible fills' forkserver) import artstudio too.
if str(REPO) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def core_count() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{usable} usable ({os.cpu_count()} logical)"


def versions() -> dict[str, str]:
    import cv2
    import numpy
    import PySide6

    return {"Python": platform.python_version(), "numpy": numpy.__version__,
            "PySide6": PySide6.__version__, "OpenCV": cv2.__version__}


def print_header(title: str) -> None:
    print(f"== {title} ==")
    print(f"date      : {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"platform  : {platform.platform()}")
    print(f"cpu       : {cpu_model()}")
    print(f"cores     : {core_count()}")
    print("versions  : " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print()


def percentile(values, q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    data = sorted(values)
    if not data:
        return float("nan")
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(values) -> float:
    return statistics.median(values)


def ms(values, digits: int = 2) -> str:
    """The median of ``values`` (seconds) in milliseconds."""
    return f"{median(values) * 1000:.{digits}f}"


def load_line(when: str = "before") -> str:
    return f"load average {when}: {os.getloadavg()[0]:.2f}" + (
        " (other processes share these cores)" if when == "before" else "")


def photo_like(width: int, height: int, seed: int = 1234):
    """A stand-in photo: smooth, seeded multi-octave colour noise with a little grain (``uint8 (H, W, 3)``)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    acc = np.zeros((height, width, 3), np.float32)
    for cells, weight in ((6, 0.45), (24, 0.25), (96, 0.18), (384, 0.12)):
        small = rng.random((max(2, cells * height // width), cells, 3), dtype=np.float32)
        acc += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    acc += rng.normal(0.0, 0.015, (height, width, 1)).astype(np.float32)
    return np.clip(acc * 255.0, 0, 255).astype(np.uint8)


def table(headers: list[str], rows: list[list], align: str | None = None) -> str:
    """A GitHub-markdown table (also readable as plain text)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    align = align or ("l" + "r" * (len(headers) - 1))

    def fmt(row):
        out = []
        for i, c in enumerate(row):
            out.append(c.ljust(widths[i]) if align[i] == "l" else c.rjust(widths[i]))
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
                         for w, a in zip(widths, align)) + "|"
    return "\n".join([fmt(cells[0]), sep] + [fmt(r) for r in cells[1:]])
