"""Kill -9 a save at random instants: is the photo on disk ever torn, and what is left behind?

Issue 16's Measure: "kill -9 during 30 saves ... 0 leftover temp files after the next start".
Each round starts a child that saves two different 12 MP photos in turn to ``out.png``
(PNG) and ``out.jpg`` with the app's ``save_image`` (atomic: a temporary beside the target,
fsync, rename), waits for its first completed save, then sends SIGKILL after a random
0-600 ms. It then checks that each target opens with the app's loader and holds exactly
one of the two photos (PNG) or decodes whole (JPEG), and counts the temporaries the kill
left. The next save removes temporaries of killed saves once they are older than
``core.atomic.STALE_AFTER_S`` (a live save's temporary is never touched): the benchmark ages
the leftovers past that, saves once more, and counts again.

    python benchmarks/save_kill.py [--kills 30] [--seed 0]
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import photo_like, print_header, table  # noqa: E402

import numpy as np  # noqa: E402

CHILD = r"""
import sys
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[2])
from _common import photo_like
from artstudio.core.imagesave import save_image
folder = Path(sys.argv[1])
photos = [photo_like(4000, 3000, seed=1), photo_like(4000, 3000, seed=2)]
i = 0
while True:
    for name in ("out.png", "out.jpg"):
        save_image(folder / name, photos[i % 2])
        print("saved", name, i % 2, flush=True)
    i += 1
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from artstudio.core import atomic
    from artstudio.core.imageio import ImageError, load_image
    from artstudio.core.imagesave import save_image

    print_header(f"ArtStudio atomic saves: SIGKILL during {args.kills} saves of a 12 MP photo (PNG and JPEG)")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rng = random.Random(args.seed)
    versions = [photo_like(4000, 3000, seed=1), photo_like(4000, 3000, seed=2)]
    torn, left, left_after, opened, rounds = 0, 0, 0, 0, []
    for round_ in range(args.kills):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(HERE)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            assert child.stdout.readline().startswith("saved")
            delay = rng.uniform(0.0, 0.6)
            time.sleep(delay)
            child.send_signal(signal.SIGKILL)
            child.wait()
            temps = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
            left += len(temps)
            bad = []
            for name in ("out.png", "out.jpg"):
                path = folder / name
                if not path.exists():
                    continue
                try:
                    pixels = load_image(path).pixels
                except ImageError as error:
                    bad.append(f"{name}: {error}")
                    continue
                if name.endswith(".png") and not any(np.array_equal(pixels, v) for v in versions):
                    bad.append(f"{name}: neither photo")
                opened += 1
            torn += bool(bad)
            old = time.time() - atomic.STALE_AFTER_S - 5
            for path in temps:
                os.utime(path, (old, old))
            for name in ("out.png", "out.jpg"):
                save_image(folder / name, versions[0])     # the next save
            left_after += sum(p.name.endswith(".tmp") for p in folder.iterdir())
            rounds.append([round_ + 1, f"{delay * 1000:.0f}", len(temps), "; ".join(bad) or "sound"])
    print(table(["round", "kill after ms", "temporaries left", "targets"], rounds[:10] + ([["…", "", "", ""]]
                                                                                         if len(rounds) > 10 else [])))
    print()
    print(table(["kills", "targets opened after a kill", "torn or wrong", "temporaries left by kills",
                 "left after the next save"],
                [[args.kills, opened, torn, left, left_after]]))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if torn == 0 and left_after == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
