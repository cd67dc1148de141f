"""Shared helpers for the CLI tests."""

from artstudio.__main__ import main


def run_cli(*args) -> int:
    """Run ``artstudio ARGS`` in-process; argparse's exits become return codes."""
    try:
        return main([str(a) for a in args])
    except SystemExit as exit_:  # argparse usage errors
        return exit_.code


def one_error_line(capsys) -> str:
    """The single line the CLI printed to stderr (fails if there were more)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]
