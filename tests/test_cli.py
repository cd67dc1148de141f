import subprocess
import sys

import numpy as np
import pytest

from artstudio import __version__
from artstudio.__main__ import main
from artstudio.core.imageio import load_image, save_image, save_mask


@pytest.fixture
def files(tmp_path, photo, scratch):
    damaged = photo.copy()
    damaged[scratch > 0] = 250
    src, mask = tmp_path / "old.png", tmp_path / "mask.png"
    save_image(src, damaged)
    save_mask(mask, scratch)
    return src, mask, damaged, scratch


@pytest.mark.parametrize("method", ["telea", "ns", "biharmonic"])
def test_restore_round_trip(files, tmp_path, capsys, method):
    src, mask, damaged, scratch = files
    out = tmp_path / f"out_{method}.png"
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(out), "--method", method]) == 0
    restored = load_image(out).pixels
    assert np.array_equal(restored[scratch == 0], damaged[scratch == 0])
    assert np.abs(restored[scratch > 0].astype(int) - 250).mean() > 30
    assert "wrote" in capsys.readouterr().out


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("case, expected", [
    ("missing", "not found"),
    ("unreadable", "damaged or not an image"),
    ("mask_size", "but the image is"),
    ("method", "invalid choice: 'magic'"),
])
def test_bad_input_prints_one_line_and_writes_nothing(files, tmp_path, capsys, case, expected):
    src, mask, _, _ = files
    out = tmp_path / "out.png"
    if case == "missing":
        src = tmp_path / "nope.png"
    elif case == "unreadable":
        src = tmp_path / "junk.png"
        src.write_bytes(b"this is not a picture at all" * 20)
    elif case == "mask_size":
        save_mask(mask, np.zeros((10, 10), np.uint8))
    method = "magic" if case == "method" else "telea"
    code = None
    try:
        code = main(["restore", str(src), "--mask", str(mask), "-o", str(out), "--method", method])
    except SystemExit as exit_:
        code = exit_.code
    assert code not in (0, None)
    assert expected in one_error_line(capsys)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_refuses_to_overwrite_the_input(files, capsys):
    src, mask, damaged, _ = files
    before = src.read_bytes()
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(src)]) != 0
    assert "overwrite" in one_error_line(capsys)
    assert src.read_bytes() == before


def test_empty_mask_is_a_clear_error(files, tmp_path, capsys):
    src, mask, _, scratch = files
    save_mask(mask, np.zeros_like(scratch))
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(tmp_path / "o.png")]) != 0
    assert "mask is empty" in one_error_line(capsys)


def test_version_and_help_run_without_qt(tmp_path):
    code = ("import sys\nfrom artstudio.__main__ import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('QT' if 'PySide6' in sys.modules else 'NOQT', 'TORCH' if 'torch' in sys.modules else 'NOTORCH')")
    version = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True)
    assert f"ArtStudio {__version__}" in version.stdout
    assert "NOQT NOTORCH" in version.stdout
    helptext = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    assert "restore" in helptext.stdout and "NOQT" in helptext.stdout


def test_console_script_restores_without_importing_qt(files, tmp_path):
    src, mask, _, _ = files
    out = tmp_path / "cli.png"
    code = ("import sys\nfrom artstudio.__main__ import main\nrc = main(sys.argv[1:])\n"
            "assert 'PySide6' not in sys.modules, 'Qt was imported'\nsys.exit(rc)")
    run = subprocess.run([sys.executable, "-c", code, "restore", str(src), "--mask", str(mask),
                          "-o", str(out), "--method", "ns"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.exists()


def test_gui_launcher_rejects_a_missing_photo(capsys):
    assert main(["/no/such/photo.jpg"]) != 0
    assert "file not found" in one_error_line(capsys)
