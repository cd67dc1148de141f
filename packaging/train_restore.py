"""Train a restoration network from the shell (the background runs behind the shipped weights).

Same request as ``artstudio train inpaint|denoise|sr``; this script adds
``--threads`` so that two runs can share a small CPU, and prints every
progress event on its own line for a log file::

    python packaging/train_restore.py inpaint --data /tmp/photos/train --out /tmp/ckpt_inpaint \\
        --name restore-inpaint --steps 4000 --size 128 --batch 8 --threads 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from artstudio.jobs.base import CancelToken, JobError, Preview, Progress, run_sync  # noqa: E402
from artstudio.jobs.train_restore import TASKS, TrainRestoreRequest, run_train_restore  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--name", required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--resume", type=Path, default=None)
    parser.add_argument("--init", choices=("shipped", "scratch"), default="shipped",
                        help="start from the shipped network (default, as the CLI) or random weights")
    parser.add_argument("--damage", default="", help="inpaint: comma-separated mask kinds (default: all)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--checkpoint-every", type=int, default=250)
    parser.add_argument("--preview", type=Path, default=None, help="write the latest preview here (PNG)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    request = TrainRestoreRequest(
        task=args.task, data=args.data, out=args.out, name=args.name, steps=args.steps, size=args.size,
        batch=args.batch, seed=args.seed, lr=args.lr, resume=args.resume, init=args.init,
        damage=tuple(k for k in args.damage.split(",") if k), device=args.device,
        checkpoint_every=args.checkpoint_every, preview_every=200 if args.preview else 0)
    started = time.perf_counter()

    def show(event) -> None:
        if isinstance(event, Progress):
            print(f"[{time.perf_counter() - started:7.1f}s] {event.message}", flush=True)
        elif isinstance(event, Preview) and args.preview is not None:
            from PIL import Image

            Image.fromarray(event.image).save(args.preview)

    try:
        result = run_sync(run_train_restore(request, CancelToken()), show)
    except JobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"done: {result.weights} step {result.step} losses {result.losses} in {result.seconds:.0f}s",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
