"""What every command shares: the error type, exit codes, progress printing, paths."""

from __future__ import annotations

import argparse
import contextlib
import sys

from ..jobs.base import Progress

EXIT_USAGE, EXIT_FAILURE = 2, 1


class CliError(Exception):
    """A user-facing failure; the message is printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line instead of usage + error
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seed '{text}': use a whole number >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid seed '{text}': use a whole number >= 0")
    return value


def _progress_printer(quiet: bool):
    stream = sys.stderr
    interactive = stream.isatty() and not quiet

    def show(event) -> None:
        if interactive and isinstance(event, Progress):
            filled = int(event.fraction * 30)
            stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {event.fraction:4.0%} {event.message[:40]:40}")
            stream.flush()
    return show, interactive


def _app_paths():
    from ..core.paths import AppPaths

    return AppPaths.from_environment()


@contextlib.contextmanager
def _user_errors(interactive: bool):
    """Turn every failure a user can cause into one CliError line."""
    from ..core.imageio import ImageError
    from ..core.latent_state import LatentFileError
    from ..jobs.base import JobError
    from ..models.registry import ModelError

    try:
        yield
    except (ImageError, JobError, LatentFileError, ModelError) as exc:
        raise CliError(str(exc)) from None
    finally:
        if interactive:
            sys.stderr.write("\n")


class _NeverCancel:
    """The CLI is cancelled by Ctrl+C (KeyboardInterrupt), not by a token."""

    cancelled = False

    def check(self) -> None:
        pass
