"""``artstudio evaluate``: how close a generator's samples come to a folder of real images.

Prints one ``name: value`` line per figure on stdout (FD and KID on
ArtStudio's features, SWD per level, precision / recall / density /
coverage, diversity; FID and KID on Inception with ``--inception``),
writes them as JSON with ``--json``, and leaves a report (text + PNG plot)
in the evaluations folder beside the models folder, or in ``--report DIR``.
Notes (where the report went, what the figures can be compared with) go to
stderr, so stdout stays one figure per line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..core.metrics import MIN_IMAGES
from ..jobs.base import run_sync
from .common import CliError, _app_paths, _NeverCancel, _progress_printer, _seed, _user_errors


def add_evaluate(sub) -> None:
    """The ``evaluate`` subcommand."""
    cmd = sub.add_parser(
        "evaluate", help="measure a generator against a folder of real images (FD, KID, SWD, precision/recall)",
        description="Render N samples from MODEL and compare them with N real images from DIR (centred "
                    "squares at the model's resolution): FD and KID on ArtStudio's own features, ProGAN's "
                    "sliced Wasserstein distance per pyramid level, precision/recall/density/coverage, and "
                    "sample diversity. Lower FD, KID and SWD and higher precision/recall are better. These are "
                    "not FID: for FID and KID comparable with papers, pass --inception with a local copy of "
                    "pt_inception-2015-12-05-6726825d.pth.")
    cmd.add_argument("--model", required=True, metavar="NAME", help="generator name, as listed by 'artstudio models'")
    cmd.add_argument("--data", required=True, type=Path, metavar="DIR",
                     help=f"folder of real images (searched recursively; at least {MIN_IMAGES}, best 1,000 or more)")
    cmd.add_argument("--samples", type=int, default=1000, metavar="N",
                     help=f"samples to render and real images to compare with (default 1000, at least {MIN_IMAGES})")
    cmd.add_argument("--seed", type=_seed, default=0, metavar="S",
                     help="first latent seed; samples use seeds S .. S+N-1 (default 0)")
    cmd.add_argument("--json", type=Path, metavar="OUT", help="also write the figures to OUT as JSON")
    cmd.add_argument("--report", type=Path, metavar="DIR",
                     help="folder for the report (text + PNG); default: 'evaluations' beside your models folder")
    cmd.add_argument("--no-report", action="store_true", help="write no report")
    cmd.add_argument("--inception", type=Path, metavar="FILE",
                     help="pt_inception-2015-12-05-6726825d.pth, obtained by you; its sha256 is checked. Adds "
                          "FID and KID as papers compute them (slow on a CPU: 0.2-0.5 s per image on 2 cores, "
                          "so 7-15 min for 1,000 samples and 1,000 real images)")
    cmd.add_argument("--device", choices=("auto", "cuda", "mps", "cpu"), default="auto",
                     help="compute device (default: the best there is)")
    cmd.add_argument("-q", "--quiet", action="store_true", help="print the figures only")


def cmd_evaluate(args) -> int:
    from ..core.eval_report import figure_lines
    from ..jobs.evaluate import EvaluateRequest, run_evaluate

    if args.json is not None and (args.json.is_dir() or not args.json.parent.is_dir()):
        raise CliError(f"Cannot write --json '{args.json}': its folder does not exist or it is a folder.")
    paths = _app_paths()
    report = None if args.no_report else (args.report or paths.models.parent / "evaluations")
    request = EvaluateRequest(model=args.model, data=args.data, samples=args.samples, seed=args.seed,
                              device=args.device, user_dir=paths.models, cache=paths.cache, report=report,
                              inception=args.inception)
    show, interactive = _progress_printer(args.quiet)
    with _user_errors(interactive):
        result = run_sync(run_evaluate(request, _NeverCancel()), show)
    print("\n".join(figure_lines(result.figures)))
    if args.json is not None:
        _write_json(args.json, result, request)
    if not args.quiet:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        if result.report_text is not None:
            print(f"Report: {result.report_text} and {result.report_plot.name} ({result.seconds:.0f} s)",
                  file=sys.stderr)
    return 0


def _write_json(path: Path, result, request) -> None:
    from ..core.atomic import atomic_write
    from ..core.decode import ImageError

    data = {"model": result.model, "data": str(request.data), "samples": result.samples, "real": result.real,
            "resolution": result.resolution, "seed": request.seed, "features": "ArtStudio features v1",
            "comparable_with_papers": result.comparable_with_papers, "figures": result.figures,
            "notes": list(result.notes), "seconds": round(result.seconds, 2),
            "report": None if result.report_text is None else str(result.report_text)}
    text = json.dumps(data, indent=2, allow_nan=True) + "\n"
    try:
        atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
    except ImageError as error:
        raise CliError(str(error).replace("Cannot save", "Cannot write --json")) from None
