"""Entry point: ``artstudio`` opens the window, ``artstudio COMMAND ...`` runs headless.

This dispatcher sits outside the layers so that the CLI never imports Qt and
the GUI is only imported when a window is wanted.
"""

from __future__ import annotations

import sys
from pathlib import Path


SMOKE_TEST = "--smoke-test"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from . import cli

    if argv == [SMOKE_TEST]:
        return _run_gui(cli, None, smoke_test=True)
    if argv and (argv[0] in cli.COMMANDS or argv[0].startswith("-")):
        return _run_cli(cli, argv)
    if len(argv) > 1:
        print("artstudio: error: give one PHOTO to open, or a command (see artstudio --help).",
              file=sys.stderr)
        return cli.EXIT_USAGE
    if argv and not Path(argv[0]).is_file():
        print(f"artstudio: error: file not found: '{argv[0]}'", file=sys.stderr)
        return cli.EXIT_FAILURE
    return _run_gui(cli, argv[0] if argv else None)


def _run_gui(cli, photo: str | None, smoke_test: bool = False) -> int:
    """Open the window, unless a missing system library would make Qt abort: then say so in one line."""
    from .ui.startup_checks import gui_start_problem

    problem = gui_start_problem()
    if problem:
        print(f"artstudio: error: {problem}", file=sys.stderr)
        return cli.EXIT_FAILURE
    from .ui import app

    return app.smoke_test() if smoke_test else app.main(photo)


def _run_cli(cli, argv: list[str]) -> int:
    """``cli.main`` with library chatter logged, not printed, and one line for any failure."""
    import os

    from .cli.quiet import DEBUG_ENV, one_line, quiet_libraries

    try:
        with quiet_libraries():
            return cli.main(argv)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a bug or an exhausted machine: still one line
        if os.environ.get(DEBUG_ENV):
            raise
        print(one_line(argv[0], exc), file=sys.stderr)
        return cli.EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
