"""The CLI prints one line per failure, whatever the libraries underneath say."""

import os
import sys
import types
import warnings

import pytest

from artstudio import __main__ as entry


def fake_cli(body):
    module = types.SimpleNamespace(EXIT_FAILURE=1, COMMANDS=("restore",))
    module.main = body
    return module


def test_native_and_python_warnings_are_logged_not_printed(capfd, caplog):
    def body(argv):
        os.write(2, b"libpng warning: iCCP: known incorrect sRGB profile\n")   # C library, fd 2
        warnings.warn("DecompressionBombWarning: Image size exceeds limit")   # Python warning
        print("artstudio restore: error: the mask is empty.", file=sys.stderr)
        return 1

    with caplog.at_level("DEBUG"):
        assert entry._run_cli(fake_cli(body), ["restore"]) == 1
    err = capfd.readouterr().err
    assert err == "artstudio restore: error: the mask is empty.\n"
    logged = caplog.text
    assert "libpng warning" in logged and "DecompressionBombWarning" in logged


@pytest.mark.parametrize("error, words", [
    (MemoryError(), "not enough memory"),
    (RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
                  "you tried to allocate 23000000000 bytes.\nmore"), "not enough memory"),
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB\nsecond line"), "not enough memory"),
    (ValueError("something no command foresaw\nwith details"), "unexpected error (ValueError)"),
])
def test_any_exception_becomes_one_line(capfd, error, words):
    def body(argv):
        raise error

    assert entry._run_cli(fake_cli(body), ["restore"]) == 1
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and words in err and err.startswith("artstudio restore:"), err


def test_debug_variable_shows_everything(capfd, monkeypatch):
    monkeypatch.setenv("ARTSTUDIO_DEBUG", "1")

    def body(argv):
        os.write(2, b"native chatter\n")
        raise ValueError("boom")

    with pytest.raises(ValueError):
        entry._run_cli(fake_cli(body), ["restore"])
    assert "native chatter" in capfd.readouterr().err


def test_stderr_is_restored_after_the_command(capfd):
    entry._run_cli(fake_cli(lambda argv: 0), ["restore"])
    os.write(2, b"after\n")
    print("python after", file=sys.stderr)
    err = capfd.readouterr().err
    assert "after\n" in err and "python after" in err


def test_in_a_real_process_only_the_message_reaches_the_terminal():
    import subprocess

    probe = (
        "import os, sys, types, warnings\n"
        "from artstudio.__main__ import _run_cli\n"
        "def body(argv):\n"
        "    os.write(2, b'TIFFReadDirectory: Warning, unknown field with tag 50341\\n')\n"
        "    warnings.warn('Possible precision loss')\n"
        "    print('artstudio restore: error: the mask is empty.', file=sys.stderr)\n"
        "    return 1\n"
        "cli = types.SimpleNamespace(EXIT_FAILURE=1, main=body)\n"
        "sys.exit(_run_cli(cli, ['restore']))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == "artstudio restore: error: the mask is empty.\n"
