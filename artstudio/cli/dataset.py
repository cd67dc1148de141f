"""``artstudio dataset shapes OUT``: write the demonstration dataset of captioned scenes.

The scenes (:mod:`artstudio.core.caption_scenes`) are drawn from their
attributes, so every caption is exact; ``--held-out`` writes scenes of the
attribute combinations that the training folder never contains, for testing
whether a model follows captions it was not trained on.
"""

from __future__ import annotations

from pathlib import Path

from .common import CliError, _seed

MAX_COUNT = 100_000


def add_dataset(sub) -> None:
    command = sub.add_parser(
        "dataset", help="write the demonstration dataset of captioned scenes",
        description="Write COUNT 32x32 scenes (shapes of one colour on a background) as NNNNN.png with "
                    "their exact caption in NNNNN.txt, the folder format 'artstudio train cgan' reads.")
    command.add_argument("which", choices=("shapes",), help="the dataset (shapes: coloured shapes, counted)")
    command.add_argument("output", type=Path, metavar="OUT", help="folder to write (created; must be empty)")
    command.add_argument("--count", type=int, default=4000, metavar="N", help="scenes to write (default 4000)")
    command.add_argument("--seed", type=_seed, default=0, metavar="S", help="random seed (default 0)")
    command.add_argument("--held-out", action="store_true",
                         help="scenes of the held-out combinations (never in a training folder)")
    command.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def cmd_dataset(args) -> int:
    from ..core.caption_scenes import split_scenes, write_scenes

    if not 1 <= args.count <= MAX_COUNT:
        raise CliError(f"--count must be from 1 to {MAX_COUNT}, not {args.count}.")
    out: Path = args.output
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CliError(f"'{out}' exists and is not an empty folder; choose a new one.")
    try:
        write_scenes(out, args.count, args.seed, args.held_out)
    except OSError as error:
        raise CliError(f"Cannot write to '{out}': {error.strerror or error}.") from None
    if not args.quiet:
        train, held = split_scenes()
        pool = held if args.held_out else train
        print(f"Wrote {args.count} captioned scenes ({len(pool)} "
              f"{'held-out' if args.held_out else 'training'} combinations of colour, shape, count and "
              f"background) to {out}")
    return 0
