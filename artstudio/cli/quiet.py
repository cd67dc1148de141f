"""Keep the CLI's promise of one line per failure.

Libraries talk on their own: Python warnings (Pillow's DecompressionBomb,
torch's UserWarnings) and C libraries writing straight to file descriptor 2
(libpng, libtiff, OpenCV). :func:`quiet_libraries` sends both to the log at
debug level while the command's own messages still reach the terminal, and
:func:`one_line` turns an unexpected exception (above all, running out of
memory) into one line instead of a 30-line traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import warnings

from ..jobs.base import is_out_of_memory

log = logging.getLogger("artstudio.cli")
DEBUG_ENV = "ARTSTUDIO_DEBUG"


@contextlib.contextmanager
def quiet_libraries():
    """Route warnings and native writes to stderr into the debug log for the block.

    ``sys.stderr`` is re-pointed at a duplicate of the real descriptor 2, so
    what the CLI prints (errors, the progress bar) is unchanged, isatty()
    included. Set ``ARTSTUDIO_DEBUG=1`` to see everything as it happens.
    """
    if os.environ.get(DEBUG_ENV):
        yield
        return
    with warnings.catch_warnings():        # restores the filters and showwarning after
        warnings.simplefilter("default")
        warnings.showwarning = _log_warning
        with _native_stderr_to_log():
            yield


def _log_warning(message, category, filename, lineno, file=None, line=None) -> None:
    log.debug("%s: %s (%s:%s)", category.__name__, message, filename, lineno)


@contextlib.contextmanager
def _native_stderr_to_log():
    try:
        sys.stderr.flush()
        real = os.dup(2)
    except (OSError, AttributeError, ValueError):   # no descriptor 2 (embedded, pythonw)
        yield
        return
    sink = tempfile.TemporaryFile()
    previous = sys.stderr
    try:
        rebind = previous.fileno() == 2
    except (OSError, AttributeError, ValueError):   # already captured elsewhere (tests, IDEs)
        rebind = False
    try:
        os.dup2(sink.fileno(), 2)
        if rebind:
            sys.stderr = os.fdopen(os.dup(real), "w", buffering=1, errors="backslashreplace",
                                   encoding=getattr(previous, "encoding", None))
        yield
    finally:
        if rebind:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
                sys.stderr.close()
        sys.stderr = previous
        os.dup2(real, 2)
        os.close(real)
        sink.seek(0)
        said = sink.read().decode("utf-8", "replace").strip()
        sink.close()
        if said:
            log.debug("libraries wrote to stderr:\n%s", said)


def one_line(command: str, exc: BaseException) -> str:
    """The line printed for an exception no command turned into a message."""
    if is_out_of_memory(exc):
        return (f"artstudio {command}: error: not enough memory for this job; "
                "try a smaller image or region, or --device cpu.")
    text = str(exc).strip().splitlines()
    detail = text[0] if text else "no details"
    return (f"artstudio {command}: unexpected error ({type(exc).__name__}): {detail[:300]} "
            f"(run with {DEBUG_ENV}=1 for the full report)")
