"""The headless command line: ``artstudio restore ...`` and friends. No Qt here.

``restore``, ``denoise`` and ``upscale`` (in :mod:`.restore`) run the restore
operations of :mod:`artstudio.jobs.operations`; ``generate``, ``interpolate``
and ``models`` (in :mod:`.generate`) render from the generative models;
``train`` (in :mod:`.train`) trains GANs, VAEs, caption-conditioned GANs and
restoration networks into the user's models folder; ``dataset`` (in
:mod:`.dataset`) writes the captioned demonstration scenes.

Every failure prints one line to stderr and exits non-zero without writing
any output file. torch is imported only inside the commands that render, so
``--help``, ``restore`` and ``models`` start fast.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from .common import EXIT_FAILURE, EXIT_USAGE, CliError, _Parser  # noqa: F401  (EXIT_USAGE: __main__)
from .dataset import add_dataset, cmd_dataset
from .detect import add_detect, cmd_detect
from .evaluate import add_evaluate, cmd_evaluate
from .generate import add_generate_commands, cmd_generate, cmd_interpolate, cmd_models
from .restore import add_restore_commands, cmd_denoise, cmd_restore, cmd_upscale
from .stylize import add_stylize, cmd_stylize
from .train import add_train, cmd_train

COMMANDS = ("restore", "denoise", "upscale", "stylize", "detect", "train", "evaluate", "generate",
            "interpolate", "models", "dataset")
_HANDLERS = {"restore": cmd_restore, "denoise": cmd_denoise, "upscale": cmd_upscale, "stylize": cmd_stylize,
             "detect": cmd_detect,
             "train": cmd_train, "evaluate": cmd_evaluate,
             "generate": cmd_generate, "interpolate": cmd_interpolate, "models": cmd_models,
             "dataset": cmd_dataset}


def build_parser() -> argparse.ArgumentParser:
    """The ``artstudio`` argument parser with every subcommand."""
    parser = _Parser(
        prog="artstudio",
        description="ArtStudio: restore photos and explore generative models. "
                    "Run without arguments to open the window on the demo photo, "
                    "or with a PHOTO to open it.",
        epilog="GUI: artstudio [PHOTO]")
    parser.add_argument("--version", action="version", version=f"ArtStudio {__version__}")
    parser.add_argument("--smoke-test", action="store_true",
                        help="open the window on the demo photo, print what it opened and exit "
                             "(checks an install or a bundle; QT_QPA_PLATFORM=offscreen needs no display)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    add_restore_commands(sub)
    add_stylize(sub)
    add_detect(sub)
    add_train(sub)
    add_evaluate(sub)
    add_generate_commands(sub)
    add_dataset(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (0, 1 on a one-line error, 130 on Ctrl+C)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:            # said by the command's own parser: "artstudio restore: error: ..."
        _command_parser(parser, getattr(args, "command", None)).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.smoke_test:             # ``artstudio --smoke-test`` alone never gets here (__main__)
        parser.error("--smoke-test takes no other arguments")
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _HANDLERS[args.command](args)
    except CliError as exc:
        print(f"artstudio {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"artstudio {args.command}: cancelled; nothing was written.", file=sys.stderr)
        return 130


def _command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The sub-command's parser (for its error prefix), or ``parser`` itself."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser
