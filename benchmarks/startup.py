"""Start-up benchmark: process launch -> ArtStudio main window shown and painted.

Run from the repository root:

    python benchmarks/startup.py [--runs 7]

Every run is a fresh ``python benchmarks/_startup_child.py`` process with
QT_QPA_PLATFORM=offscreen and ARTSTUDIO_HOME set to an empty temporary
directory. The parent takes ``time.time()`` just before ``Popen``; the child
prints ``time.time()`` once the main window's first paint pass has completed
(a zero-timer queued from the window's first Paint event), and whether torch
is in ``sys.modules`` at that moment ("importing" = the import has started on
another thread but not finished; "imported" = finished).

Side by side in the same run: a bare ``python -c "import PySide6.QtWidgets"``
(the floor) and ``python -c "import torch"`` (what start-up must avoid), both
timed from Popen to process exit; plus a diagnostic variant of the window with
the device probe (the job that imports torch, which ``MainWindow.showEvent``
submits 300 ms after show) replaced by a no-op. After reporting, each child
closes its window normally; that teardown is reported but not part of the
launch -> first paint figure.

Target (issue): under 2 s to first paint, with torch not yet imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, median, print_header, table  # noqa: E402

CHILD = Path(__file__).resolve().parent / "_startup_child.py"
TARGET_S = 2.0


def _env(home: str) -> dict:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["ARTSTUDIO_HOME"] = home
    env.pop("ARTSTUDIO_DEVICE", None)
    return env


def run_window(extra_args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="artstudio-bench-") as home:
        t0 = time.time()
        proc = subprocess.run([sys.executable, str(CHILD), *extra_args], cwd=REPO, env=_env(home),
                              capture_output=True, text=True, timeout=120)
        t_exit = time.time()
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(lines[-1])
    if "error" in data:
        raise RuntimeError(data["error"])
    data["launch"] = t0
    data["exit"] = t_exit
    return data


def run_bare(code: str) -> float:
    with tempfile.TemporaryDirectory(prefix="artstudio-bench-") as home:
        t0 = time.time()
        subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_env(home), check=True,
                       capture_output=True, timeout=120)
        return time.time() - t0


def main() -> int:
    runs = 7
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    print_header("ArtStudio start-up: launch -> main window first paint")
    print(f"runs per row: {runs}; QT_QPA_PLATFORM=offscreen; fresh ARTSTUDIO_HOME per run\n")

    # One untimed warm-up of each kind so that every row sees a warm file cache.
    run_window([])
    run_bare("import torch")

    app_runs, noprobe_runs, floor, torch_times = [], [], [], []
    for _ in range(runs):   # interleaved, so drifting machine load hits every row alike
        app_runs.append(run_window([]))
        noprobe_runs.append(run_window(["--no-device-probe"]))
        floor.append(run_bare("import PySide6.QtWidgets"))
        torch_times.append(run_bare("import torch"))
    probe = run_window(["--wait-device"])

    def to_paint(r):
        return r["stamps"]["first_paint"] - r["launch"]

    app_t = [to_paint(r) for r in app_runs]
    nop_t = [to_paint(r) for r in noprobe_runs]
    floor_med = median(floor)

    rows = []
    for name, values in (("ArtStudio window, as shipped (launch -> first paint)", app_t),
                         ("  diagnostic: device probe disabled (no torch import)", nop_t),
                         ('floor: python -c "import PySide6.QtWidgets" (launch -> exit)', floor),
                         ('avoided: python -c "import torch" (launch -> exit)', torch_times)):
        rows.append([name, f"{median(values):.3f}", f"{min(values):.3f}", f"{max(values):.3f}",
                     f"{median(values) / floor_med:.1f}x"])
    print(table(["what", "median s", "min s", "max s", "vs floor"], rows, "lrrrr"))
    print()

    # Where the time goes (medians of the shipped window's runs).
    def phase(a, b, runs_):
        return median([r["stamps"][b] - (r["launch"] if a == "launch" else r["stamps"][a]) for r in runs_])

    phases = [("launch -> child's first statement (interpreter start)", "launch", "start"),
              ("imports (PySide6, artstudio.ui.app: superqt, numpy, ...)", "start", "imports"),
              ("QApplication + icon + dark theme", "imports", "qapplication"),
              ("create_window() (MainWindow.__init__)", "qapplication", "window_built"),
              ("show()", "window_built", "shown"),
              ("show() returned -> first paint pass done", "shown", "first_paint")]
    print(table(["phase (median)", "shipped ms", "probe disabled ms"],
                [[n, f"{phase(a, b, app_runs) * 1000:.0f}", f"{phase(a, b, noprobe_runs) * 1000:.0f}"]
                 for n, a, b in phases], "lrr"))
    print()

    states = [r["torch_at_first_paint"] for r in app_runs]
    in_modules = sum(r["torch_in_sys_modules"] for r in app_runs)
    print("torch at first paint (shipped window): "
          + ", ".join(f"{s} x{states.count(s)}" for s in sorted(set(states)))
          + f"; 'torch' in sys.modules in {in_modules}/{len(app_runs)} runs")
    print("torch at window built (before show):  "
          + ", ".join(sorted({r['torch_at_window_built'] for r in app_runs})))
    nstates = [r["torch_at_first_paint"] for r in noprobe_runs]
    print("torch at first paint (probe disabled): "
          + ", ".join(f"{s} x{nstates.count(s)}" for s in sorted(set(nstates))))
    print(f"canvas painted in the first pass: {all(r['canvas_painted'] for r in app_runs)}")
    print(f"first paint -> process exit (normal window close, not timed above): median "
          f"{median([r['exit'] - r['stamps']['first_paint'] for r in app_runs]) * 1000:.0f} ms")
    s = probe["stamps"]
    print(f"device probe (one run): label {probe.get('device', probe.get('device_error'))!r}; "
          f"submitted {(s['device_probe_submitted'] - s['shown']) * 1000:.0f} ms after show() returned "
          f"({(s['device_probe_submitted'] - s['first_paint']) * 1000:.0f} ms after first paint), "
          f"done {s['device_probe_done'] - s['first_paint']:.2f} s after first paint "
          f"({s['device_probe_done'] - probe['launch']:.2f} s after launch)")
    print()

    fast = median(app_t) < TARGET_S
    torch_free = all(not r["torch_in_sys_modules"] for r in app_runs)
    not_finished = all(r["torch_at_first_paint"] != "imported" for r in app_runs)
    print(f"target: first paint < {TARGET_S:.1f} s -> {'MET' if fast else 'MISSED'} "
          f"(median {median(app_t):.3f} s, min {min(app_t):.3f} s)")
    print(f"target: torch not imported at first paint -> "
          + ("MET ('torch' not in sys.modules)" if torch_free else
             "FLAG: 'torch' IS in sys.modules at first paint"
             + (" (its import has started on the job thread but has not finished)"
                if not_finished else " (import finished before the paint)")))
    return 0 if fast and torch_free else 1


if __name__ == "__main__":
    sys.exit(main())
