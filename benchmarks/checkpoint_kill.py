"""Kill -9 a training run at random instants: is the model it leaves always usable?

Run from the repository root::

    python benchmarks/checkpoint_kill.py [--kills 30] [--seed 0]

Each round starts ``artstudio train denoise`` in a child process (a tiny
network, 32 px crops, a checkpoint every step, so that most of its time is
spent saving) on a few synthetic photos, waits until its first checkpoint
exists, then sends SIGKILL after a random delay of 0-400 ms. It then counts:

- *unusable before recovery*: the app's own loader refuses the model as the
  kill left it (the renames of one checkpoint are microseconds apart, but a
  kill between the weights' and the card's rename is possible);
- *unusable after recovery*: the same after
  :func:`artstudio.jobs.train_checkpoint.recover_folder`, which the Train
  workspace and ``artstudio train`` run when they start; must be 0;
- *inconsistent*: the card's step differs from the training state's step,
  or ``--resume`` fails; must be 0.

The figure is recorded in docs/TRAINING.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO

STEPS = 100000


def child_command(data: Path, steps: int, resume: bool) -> list[str]:
    command = [sys.executable, "-m", "artstudio", "train", "denoise", "--data", str(data), "--out", "run",
               "--steps", str(steps), "--size", "32", "--batch", "2", "--width", "8", "--init", "scratch",
               "--checkpoint-every", "1", "-q"]
    return command + (["--resume", "run"] if resume else ["--overwrite"])


def write_photos(folder: Path) -> None:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(folder / f"p{index}.png")


def usable(models: Path) -> bool:
    from artstudio.models.registry import ModelError
    from artstudio.models.restore_models import load_restore_net

    try:
        load_restore_net(models / "run.safetensors")
        return True
    except (ModelError, OSError, ValueError):
        return False


def steps_agree(models: Path) -> bool:
    from artstudio.jobs.train_checkpoint import read_train_info

    card = json.loads((models / "run.json").read_text())
    return card["step"] == read_train_info(models / "run.train.safetensors")["step"]


def one_round(data: Path, home: Path, env: dict, rng: random.Random) -> tuple[bool, bool, bool]:
    """(usable before recovery, usable after, consistent and resumable)."""
    from artstudio.core.checkpoint_files import recover_folder

    models = home / "models"
    child = subprocess.Popen(child_command(data, STEPS, False), env=env, cwd=REPO)
    while not (models / "run.json").exists() and child.poll() is None:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.4))
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = usable(models)
    recover_folder(models)
    after = usable(models)
    consistent = steps_agree(models)
    step = json.loads((models / "run.json").read_text())["step"]
    resumed = subprocess.run(child_command(data, step + 1, True), env=env, cwd=REPO, capture_output=True,
                             text=True)
    return before, after, consistent and resumed.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        data, home = Path(tmp) / "photos", Path(tmp) / "home"
        write_photos(data)
        env = {**os.environ, "ARTSTUDIO_HOME": str(home), "ARTSTUDIO_DEVICE": "cpu",
               "PYTHONPATH": str(REPO)}
        results = [one_round(data, home, env, rng) for _ in range(args.kills)]
    before = sum(not b for b, _, _ in results)
    after = sum(not a for _, a, _ in results)
    inconsistent = sum(not c for _, _, c in results)
    print(f"{args.kills} kills: unusable before recovery {before}, after recovery {after}, "
          f"inconsistent or not resumable {inconsistent}")
    return 0 if after == 0 and inconsistent == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
