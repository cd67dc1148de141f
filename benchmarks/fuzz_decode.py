"""Fuzz the image loader: 10,000 hostile inputs, each with a deadline, peak memory watched (issue 16).

The corpus is tests/fuzz_inputs.py's (every reproduction of the issue, then seeded mutants
of small sound PNG, JPEG, TIFF, WebP and BMP files, some under another format's name).
A worker process opens them one by one with the app's own ``load_image`` (default limits)
and reports each outcome with its resident-memory high-water mark; the parent kills a
worker that takes longer than ``--timeout`` on one file (a hang) and starts a new one, and
counts a worker that dies (a crash). Every refusal must be one line that names the file.

    python benchmarks/fuzz_decode.py [--count 10000] [--timeout 10] [--budget-mb 1024]

Exit status 0 when there are no crashes, no hangs, every refusal is one line and the peak
stays within the budget.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import print_header, table  # noqa: E402
from fuzz_inputs import corpus  # noqa: E402

WORKER = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from artstudio.core.imageio import ImageError, load_image
print("ready", flush=True)
for line in sys.stdin:
    path = line.strip()
    start = time.perf_counter()
    try:
        result = load_image(path)
        outcome, message = "opened", "%dx%d" % result.pixels.shape[1::-1]
    except ImageError as error:
        outcome, message = "refused", str(error)
    except Exception as error:                      # anything else is a defect
        outcome, message = "error", "%s: %s" % (type(error).__name__, error)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps([outcome, message, round(rss, 1), round((time.perf_counter() - start) * 1000, 2)]),
          flush=True)
"""


class Worker:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        assert self.proc.stdout.readline().strip() == "ready"

    def run(self, path: Path, timeout: float):
        """``(outcome, message, peak_rss_mb, ms)``, or ``("hang"|"crash", ...)``."""
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.kill()
            return "hang", f"no answer after {timeout:g} s", 0.0, timeout * 1000
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            return "crash", f"worker died (exit {code})", 0.0, 0.0
        return tuple(json.loads(line))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--budget-mb", type=float, default=1024.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print_header(f"ArtStudio image loader fuzz: {args.count:,} hostile inputs")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    counts: collections.Counter = collections.Counter()
    by_ext: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    defects, slowest, peak, peak_case, multi_line = [], [], 0.0, "", []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        worker = Worker()
        for index, (name, data) in enumerate(corpus(args.count, seed=args.seed)):
            path = Path(tmp) / name
            path.write_bytes(data)
            outcome, message, rss, ms = worker.run(path, args.timeout)
            if outcome in ("hang", "crash"):
                worker = Worker()
            path.unlink()
            counts[outcome] += 1
            by_ext[path.suffix][outcome] += 1
            if outcome in ("hang", "crash", "error"):
                defects.append(f"{name}: {outcome}: {message}")
            if outcome == "refused" and ("\n" in message or name not in message):
                multi_line.append(f"{name}: {message!r}")
            if rss > peak:
                peak, peak_case = rss, name
            slowest.append((ms, name, outcome))
            if (index + 1) % 2000 == 0:
                print(f"  {index + 1:,} files, {time.perf_counter() - start:.0f} s", flush=True)
        worker.kill()
    seconds = time.perf_counter() - start
    slowest.sort(reverse=True)
    rows = [[ext, c["opened"], c["refused"], c["error"], c["hang"], c["crash"]] for ext, c in sorted(by_ext.items())]
    rows.append(["all", counts["opened"], counts["refused"], counts["error"], counts["hang"], counts["crash"]])
    print()
    print(table(["name ends", "opened", "refused (one line)", "other exception", "hang", "crash"], rows))
    print(f"\n{sum(counts.values()):,} files in {seconds:.0f} s; slowest: "
          + ", ".join(f"{n} {ms:.0f} ms ({o})" for ms, n, o in slowest[:3]))
    print(f"peak resident memory of the worker: {peak:.0f} MB (first reached on {peak_case}); "
          f"budget {args.budget_mb:.0f} MB")
    print(f"refusals that were not one line naming the file: {len(multi_line)}")
    for line in (defects + multi_line)[:20]:
        print("  " + line)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    ok = not defects and not multi_line and peak <= args.budget_mb
    print("result:", "0 crashes, 0 hangs, every refusal one line, peak within budget" if ok else "DEFECTS FOUND")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
