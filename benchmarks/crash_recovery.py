"""Work lost when the GUI is killed with SIGKILL at a random moment (issue 16 D5).

Run from the repository root:

    python benchmarks/crash_recovery.py [--runs 10]

Each run starts the real app (offscreen) on a 2000 x 1500 photo and paints
one new 40 x 40 block of mask every 0.5 s through the Restore workspace, as
a brush stroke would (one undo step each), printing when each block landed.
At a random moment 3-25 s in, the process gets SIGKILL. The journal it left
is read back as the next start would; the work lost is the time from the
kill back to the newest block the recovered mask holds (blocks painted
later are lost). Every recovered journal must also be consistent: its undo
steps undo exactly the blocks it holds.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_header, table  # noqa: E402

import numpy as np  # noqa: E402

from artstudio.core.document import Document  # noqa: E402
from artstudio.core.imageio import save_image  # noqa: E402
from artstudio.core.recovery import find_crashed, read_journal  # noqa: E402

BLOCK, PER_ROW = 40, 40

DRIVER = """
import sys, time
import numpy as np
from PySide6.QtCore import QTimer
from artstudio.ui import app as app_module
BLOCK, PER_ROW = %d, %d
orig = app_module._first_open
def first_open(window, photo):
    orig(window, photo)
    count = [0]
    def paint():
        i = count[0]
        mask = window.restore.document.mask.copy()
        y, x = divmod(i, PER_ROW)
        mask[y * BLOCK:(y + 1) * BLOCK, x * BLOCK:(x + 1) * BLOCK] = 255
        window.restore.replace_mask(mask, "Paint")
        print(f"BLOCK {i} {time.time():.3f}", flush=True)
        count[0] += 1
    window._painter = QTimer(window, interval=500)
    window._painter.timeout.connect(paint)
    # The photo is decoded off the GUI thread: paint once it is shown.
    window.photo_loader.opened.connect(lambda *_: window._painter.start())
app_module._first_open = first_open
sys.exit(app_module.main(sys.argv[1]))
""" % (BLOCK, PER_ROW)


def one_run(photo: Path, home: Path, rng: random.Random) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ARTSTUDIO_HOME": str(home)}
    child = subprocess.Popen([sys.executable, "-c", DRIVER, str(photo)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    painted: dict[int, float] = {}
    first = child.stdout.readline().split()
    painted[int(first[1])] = float(first[2])
    deadline = time.time() + rng.uniform(3, 25)
    os.set_blocking(child.stdout.fileno(), False)
    while time.time() < deadline:
        time.sleep(0.05)
        for line in child.stdout.readlines():
            parts = line.split()
            painted[int(parts[1])] = float(parts[2])
    killed = time.time()
    child.send_signal(signal.SIGKILL)
    child.wait()
    for line in child.stdout.readlines() or []:
        parts = line.split()
        painted[int(parts[1])] = float(parts[2])
    crashed = find_crashed(home / "autosave")
    if not crashed:
        return {"killed_after": killed - painted[0], "lost": killed - painted[0], "blocks": 0,
                "painted": len(painted), "consistent": True}
    back = read_journal(crashed[0])
    held = [i for i in painted if _has_block(back.mask, i)] if back.mask is not None else []
    newest = max(held) if held else None
    lost = killed - (painted[newest] if newest is not None else painted[0])
    return {"killed_after": killed - painted[0], "lost": lost, "blocks": len(held), "painted": len(painted),
            "consistent": _consistent(back, held)}


def _has_block(mask: np.ndarray, i: int) -> bool:
    y, x = divmod(i, PER_ROW)
    return bool(mask[y * BLOCK:(y + 1) * BLOCK, x * BLOCK:(x + 1) * BLOCK].min() == 255)


def _consistent(back, held: list[int]) -> bool:
    doc = Document(np.zeros((*back.mask.shape, 3), np.uint8), back.mask.copy(), None, back.history)
    steps = len(back.history.steps[0])
    for _ in range(steps):
        doc.undo()
    return steps == len(held) and not doc.mask.any()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print_header("crash recovery: SIGKILL of the GUI at random moments")
    rng = random.Random(args.seed)
    rows, losses = [], []
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "scan.png"
        pixels = np.random.default_rng(0).integers(0, 255, (1500, 2000, 3), np.uint8)
        save_image(photo, pixels)
        for run in range(args.runs):
            result = one_run(photo, Path(tmp) / f"home{run}", rng)
            losses.append(result["lost"])
            rows.append([run + 1, f"{result['killed_after']:.1f}", result["painted"], result["blocks"],
                         f"{result['lost']:.1f}", "yes" if result["consistent"] else "NO"])
    print(table(["run", "killed after s", "blocks painted", "blocks recovered", "work lost s", "consistent"],
                rows))
    print(f"\nwork lost: median {median(losses):.1f} s, worst {max(losses):.1f} s (target: <= 30 s); "
          f"consistent journals: {sum(r[-1] == 'yes' for r in rows)}/{len(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
