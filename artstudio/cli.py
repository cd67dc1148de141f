"""The headless command line: ``artstudio restore ...`` and friends. No Qt here.

Every failure prints one line to stderr and exits non-zero without writing
any output file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .core.inpaint import METHODS
from .jobs.base import Progress, run_sync

COMMANDS = ("restore",)
EXIT_USAGE, EXIT_FAILURE = 2, 1


class CliError(Exception):
    """A user-facing failure; the message is printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line instead of usage + error
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="artstudio",
        description="ArtStudio: restore photos and explore generative models. "
                    "Run without arguments to open the window on the demo photo, "
                    "or with a PHOTO to open it.",
        epilog="GUI: artstudio [PHOTO]")
    parser.add_argument("--version", action="version", version=f"ArtStudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    restore = sub.add_parser("restore", help="fill the masked areas of a photo",
                             description="Fill the areas of IN marked in MASK and write OUT.")
    restore.add_argument("input", metavar="IN", type=Path, help="the photo to restore")
    restore.add_argument("--mask", required=True, type=Path,
                         help="mask image of the same size: white = fill, black = keep")
    restore.add_argument("-o", "--output", required=True, type=Path, metavar="OUT",
                         help="where to write the result (.png, .jpg, .tif, .webp)")
    restore.add_argument("--method", default="telea", choices=list(METHODS),
                         help="fill algorithm (default: telea)")
    restore.add_argument("--radius", type=int, default=5,
                         help="neighbourhood radius in pixels for telea and ns (default: 5)")
    restore.add_argument("--overwrite", action="store_true",
                         help="allow OUT to be the input photo itself")
    restore.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    return parser


def _progress_printer(quiet: bool):
    stream = sys.stderr
    interactive = stream.isatty() and not quiet

    def show(event) -> None:
        if interactive and isinstance(event, Progress):
            filled = int(event.fraction * 30)
            stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {event.fraction:4.0%} {event.message[:40]:40}")
            stream.flush()
    return show, interactive


def cmd_restore(args) -> int:
    from .core.imageio import ImageError, load_image, load_mask, save_image
    from .jobs.base import JobError
    from .jobs.restore import FillRequest, run_fill

    if args.radius < 1:
        raise CliError("--radius must be at least 1.")
    if args.output.resolve() == args.input.resolve() and not args.overwrite:
        raise CliError(f"Refusing to overwrite the input photo '{args.input}'; "
                       "choose another -o or pass --overwrite.")
    try:
        image = load_image(args.input)
        mask = load_mask(args.mask, image.size)
        request = FillRequest(image.pixels, mask, method=args.method, radius=args.radius, previews=False)
        show, interactive = _progress_printer(args.quiet)
        result = run_sync(run_fill(request, _NeverCancel()), show)
        if interactive:
            sys.stderr.write("\n")
        save_image(args.output, result.image)
    except (ImageError, JobError) as exc:
        raise CliError(str(exc)) from None
    if not args.quiet:
        print(f"Filled {result.regions} region(s) with {METHODS[args.method]} "
              f"in {result.seconds:.2f} s; wrote {args.output}")
    return 0


class _NeverCancel:
    """The CLI is cancelled by Ctrl+C (KeyboardInterrupt), not by a token."""

    cancelled = False

    def check(self) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handlers = {"restore": cmd_restore}
    try:
        return handlers[args.command](args)
    except CliError as exc:
        print(f"artstudio {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"artstudio {args.command}: cancelled; nothing was written.", file=sys.stderr)
        return 130
