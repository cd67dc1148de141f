"""``artstudio detect IN -o MASK.png``: the damage finder, headless; and the mask of ``restore --auto``."""

from __future__ import annotations

from pathlib import Path

from ..jobs.base import run_sync
from ..jobs.detect import METHODS, DetectRequest, fill_mask, run_detect
from .common import CliError, _NeverCancel, _progress_printer, _user_errors
from .files import _check_output, _load


def add_detect(sub) -> None:
    """The ``detect`` subcommand."""
    detect = sub.add_parser("detect", help="find dust and scratches and write them as a mask",
                            description="Find dust specks, hairs and scratches on IN and write a mask "
                                        "(white = damage) that `artstudio restore --mask` can fill.")
    detect.add_argument("input", metavar="IN", type=Path, help="the photo to look at")
    detect.add_argument("-o", "--output", required=True, type=Path, metavar="MASK",
                        help="where to write the mask (.png)")
    add_detect_options(detect)
    detect.add_argument("--method", default=METHODS[0], choices=METHODS,
                        help="combined: the network and the classical detector (default); net; classical")
    detect.add_argument("--model", metavar="NAME|PATH", default="detect",
                        help="the damage-finder network: the shipped one (default), a trained name or .safetensors")
    detect.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def add_detect_options(command) -> None:
    """``--sensitivity``, shared with ``restore --auto``."""
    command.add_argument("--sensitivity", type=_sensitivity, default=0.5, metavar="S",
                         help="0 (only obvious marks) to 1 (faint ones too, more false alarms); default 0.5")


def cmd_detect(args) -> int:
    from ..core.imageio import save_mask

    _check_output(args.output, (".png",), "masks are saved as PNG")
    if args.output.resolve() == args.input.resolve():
        raise CliError(f"Refusing to overwrite the input photo '{args.input}' with a mask.")
    show, interactive = _progress_printer(args.quiet)
    with _user_errors(interactive):
        image = _load(args.input)
        result = run_sync(run_detect(DetectRequest(image.pixels, args.sensitivity, args.method, args.model),
                                     _NeverCancel()), show)
        save_mask(args.output, result.mask)
    if not args.quiet:
        found = f"Found {result.summary}" if result.mask.any() else "No dust or scratches found"
        print(f"{found} in {result.seconds:.2f} s; wrote {args.output}")
    return 0


def auto_mask(pixels, sensitivity: float, quiet: bool):
    """The mask ``restore --auto`` fills: the damage finder's (its rims included), or a CliError when it
    found nothing."""
    result = run_sync(run_detect(DetectRequest(pixels, sensitivity), _NeverCancel()))
    if not result.mask.any():
        raise CliError("No dust or scratches found; nothing to fill (try a higher --sensitivity).")
    if not quiet:
        print(f"Found {result.summary} in {result.seconds:.2f} s.")
    return fill_mask(result.mask)


def _sensitivity(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"invalid sensitivity '{text}': use a number from 0 to 1")
    return value
