"""``artstudio restore --method net|dip``, ``denoise``, ``upscale`` and ``train`` (issue 3)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from artstudio.__main__ import main
from artstudio.core.damage import add_gaussian_noise, add_salt_and_pepper
from artstudio.core.imageio import load_image, save_image, save_mask

from cli_helpers import one_error_line, run_cli


@pytest.fixture
def no_shipped_weights(tmp_path, monkeypatch):
    """An installation without the shipped network weights: the registry looks in an empty folder."""
    from artstudio.models.builtins import SHIPPED_ENV

    empty = tmp_path / "no-weights"
    empty.mkdir()
    monkeypatch.setenv(SHIPPED_ENV, str(empty))
    return empty


def _psnr(a, b) -> float:
    return 10 * np.log10(255.0 ** 2 / np.mean((a.astype(np.float64) - b) ** 2))


@pytest.fixture
def noisy(tmp_path, photo):
    path = tmp_path / "noisy.png"
    save_image(path, add_gaussian_noise(photo, 20, seed=4))
    return path


@pytest.mark.parametrize("method", ["nlmeans", "median"])
def test_denoise_round_trip(noisy, tmp_path, photo, capsys, method):
    out = tmp_path / f"clean_{method}.png"
    assert run_cli("denoise", noisy, "-o", out, "--method", method) == 0
    assert "Found gaussian noise of about" in capsys.readouterr().out
    before, after = load_image(noisy).pixels, load_image(out).pixels
    assert after.shape == before.shape
    assert _psnr(after, photo) > _psnr(before, photo) + 1.5


def test_denoise_detects_salt_and_pepper(tmp_path, photo, capsys):
    src, out = tmp_path / "sp.png", tmp_path / "out.png"
    save_image(src, add_salt_and_pepper(photo, 0.05, seed=1))
    assert run_cli("denoise", src, "-o", out, "--method", "median") == 0
    assert "Found salt-and-pepper noise" in capsys.readouterr().out


@pytest.mark.parametrize("scale", [2, 4])
def test_upscale_lanczos_round_trip(tmp_path, photo, capsys, scale):
    src, out = tmp_path / "small.png", tmp_path / "big.png"
    save_image(src, photo)
    assert run_cli("upscale", src, "-o", out, "--scale", scale, "--method", "lanczos") == 0
    assert load_image(out).pixels.shape == (96 * scale, 128 * scale, 3)
    assert f"to {128 * scale}x{96 * scale}" in capsys.readouterr().out


def test_restore_with_deep_image_prior(tmp_path, photo, scratch, capsys):
    src, mask, out = tmp_path / "in.png", tmp_path / "mask.png", tmp_path / "out.png"
    save_image(src, photo)
    save_mask(mask, scratch)
    assert run_cli("restore", src, "--mask", mask, "-o", out, "--method", "dip", "--iterations", 3) == 0
    captured = capsys.readouterr()
    assert "Deep Image Prior: up to" in captured.err          # the expected time, told first
    assert "in 3 iterations" in captured.out
    assert np.array_equal(load_image(out).pixels[scratch == 0], photo[scratch == 0])


def test_train_then_upscale_with_the_trained_checkpoint(tmp_path, photo, capsys, _isolated_home):
    data = tmp_path / "photos"
    data.mkdir()
    for i in range(2):
        save_image(data / f"p{i}.png", np.roll(photo, 17 * i, axis=1))
    assert run_cli("train", "sr", "--data", data, "--out", "tiny-sr", "--steps", 2, "--size", 32,
                   "--batch", 2, "--seed", 1) == 0
    assert "Trained sr network 'tiny-sr' for 2 steps" in capsys.readouterr().out
    weights = _isolated_home / "models" / "tiny-sr.safetensors"
    assert weights.is_file() and weights.with_suffix(".json").is_file()
    src, out = tmp_path / "small.png", tmp_path / "big.png"
    save_image(src, photo[:40, :40])
    assert run_cli("upscale", src, "-o", out, "--scale", 2, "--model", weights) == 0
    assert load_image(out).pixels.shape == (80, 80, 3)
    capsys.readouterr()
    assert run_cli("train", "sr", "--data", data, "--out", "tiny-sr", "--steps", 3, "--size", 32,
                   "--batch", 2, "--seed", 1, "--resume", "tiny-sr", "-q") == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("command", [
    ["restore", "{src}", "--mask", "{mask}", "-o", "{out}"],
    ["denoise", "{src}", "-o", "{out}", "--noise", "gaussian"],
    ["upscale", "{src}", "-o", "{out}", "--scale", "2"],
])
def test_net_method_without_weights_is_one_clear_line(tmp_path, photo, scratch, capsys, command,
                                                      no_shipped_weights):
    src, mask, out = tmp_path / "in.png", tmp_path / "mask.png", tmp_path / "out.png"
    save_image(src, photo)
    save_mask(mask, scratch)
    args = [a.format(src=src, mask=mask, out=out) for a in command]
    assert run_cli(*args) == 1
    line = one_error_line(capsys)
    assert "network is not installed" in line and "instead" in line
    assert not out.exists()


def test_restore_net_round_trip_with_the_shipped_weights(tmp_path, photo, scratch, capsys):
    src, mask, out = tmp_path / "in.png", tmp_path / "mask.png", tmp_path / "r.png"
    damaged = photo.copy()
    damaged[scratch > 0] = 250
    save_image(src, damaged)
    save_mask(mask, scratch)
    assert run_cli("restore", src, "--mask", mask, "-o", out) == 0       # auto is the default
    assert "with the automatic fill" in capsys.readouterr().out
    restored = load_image(out).pixels
    # a scratch and a 10 px blotch are thin damage: Auto fills them exactly as the network does
    assert run_cli("restore", src, "--mask", mask, "-o", tmp_path / "n.png", "--method", "net") == 0
    assert "with the neural fill" in capsys.readouterr().out
    assert np.array_equal(load_image(tmp_path / "n.png").pixels, restored)
    assert np.array_equal(restored[scratch == 0], damaged[scratch == 0])
    assert np.abs(restored[scratch > 0].astype(int) - photo[scratch > 0]).mean() < 20


def test_denoise_net_round_trip_with_the_shipped_weights(noisy, tmp_path, photo):
    out = tmp_path / "d.png"
    assert run_cli("denoise", noisy, "-o", out, "-q") == 0
    assert _psnr(load_image(out).pixels, photo) > _psnr(load_image(noisy).pixels, photo) + 3


def test_upscale_net_round_trip_with_the_shipped_weights(tmp_path, photo):
    src, out = tmp_path / "in.png", tmp_path / "u.png"
    save_image(src, photo)
    assert run_cli("upscale", src, "-o", out, "--scale", 4, "-q") == 0
    assert load_image(out).pixels.shape == (96 * 4, 128 * 4, 3)


@pytest.mark.parametrize("args, expected", [
    (["denoise", "{missing}", "-o", "{out}", "--method", "median"], "not found"),
    (["denoise", "{src}", "-o", "{out}", "--noise", "pink"], "invalid choice: 'pink'"),
    (["denoise", "{src}", "-o", "{src}", "--method", "median"], "overwrite"),
    (["denoise", "{src}", "-o", "{tmp}/out.gif", "--method", "median"], "must end in one of"),
    (["denoise", "{src}", "-o", "{tmp}/nowhere/out.png", "--method", "median"], "does not exist"),
    (["upscale", "{src}", "-o", "{out}", "--scale", "3"], "invalid choice: 3"),
    (["upscale", "{src}", "-o", "{out}"], "--scale"),
    (["upscale", "{src}", "-o", "{out}", "--scale", "2", "--method", "dip", "--iterations", "0"],
     "--iterations must be at least 1"),
    (["upscale", "{big}", "-o", "{out}", "--scale", "4", "--method", "dip"], "Crop the photo first"),
    (["restore", "{src}", "--mask", "{mask}", "-o", "{out}", "--method", "net", "--model", "nope"],
     "Unknown restoration model 'nope'"),
    (["train", "gun", "--data", "{tmp}", "--out", "x"], "invalid choice: 'gun'"),
    (["train", "gan", "--data", "{tmp}", "--out", "x", "--size", "96"], "--size must be 32, 64 or 128"),
    (["train", "vae", "--data", "{empty}", "--out", "x"], "No images in"),
    (["train", "sr", "--data", "{tmp}/none", "--out", "x"], "does not exist"),
    (["train", "sr", "--data", "{tmp}", "--out", "../x"], "not a usable model name"),
    (["train", "sr", "--data", "{tmp}", "--out", "x", "--steps", "0"], "at least 1"),
    (["train", "sr", "--data", "{tmp}", "--out", "x", "--resume", "nothing"], "Checkpoint 'nothing' not found"),
    (["train", "sr", "--data", "{empty}", "--out", "x"], "No images"),
])
def test_bad_input_prints_one_line_and_writes_nothing(tmp_path, photo, capsys, _isolated_home, args, expected):
    src, out, big = tmp_path / "in.png", tmp_path / "out.png", tmp_path / "big.png"
    save_image(src, photo)
    save_image(big, np.zeros((600, 600, 3), np.uint8))
    hole = np.zeros(photo.shape[:2], np.uint8)
    hole[40:50, 40:60] = 255
    save_mask(tmp_path / "mask.png", hole)
    (tmp_path / "empty").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    values = {"src": src, "out": out, "big": big, "tmp": tmp_path, "missing": tmp_path / "nope.png",
              "mask": tmp_path / "mask.png",
              "empty": tmp_path / "empty"}
    code = run_cli(*[a.format(**values) for a in args])
    assert code not in (0, None)
    assert expected in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    models = _isolated_home / "models"
    assert not models.exists() or not any(models.iterdir())


def test_new_commands_do_not_import_qt_or_torch_for_help():
    code = ("import sys\nfrom artstudio.__main__ import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('QT' if 'PySide6' in sys.modules else 'NOQT', 'TORCH' if 'torch' in sys.modules else 'NOTORCH')")
    for command in ("denoise", "upscale", "train"):
        run = subprocess.run([sys.executable, "-c", code, command, "--help"], capture_output=True, text=True)
        assert "usage: artstudio " + command in run.stdout
        assert "NOQT NOTORCH" in run.stdout
