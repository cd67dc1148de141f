"""``artstudio train gan|vae|inpaint``: what a user sees in the shell."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cli_helpers import one_error_line, run_cli
from test_train_gen import write_folder


def models_dir() -> Path:
    return Path(os.environ["ARTSTUDIO_HOME"]) / "models"


def test_train_vae_saves_a_model_the_explorer_lists(tmp_path, capsys):
    data = write_folder(tmp_path / "data", count=4)
    code = run_cli("train", "vae", "--data", data, "--out", "my-vae", "--steps", "3", "--batch", "2",
                   "--width", "8", "--latent", "16")
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Trained VAE 'my-vae' for 3 steps on 4 image(s)" in out.out
    assert f"Saved {models_dir() / 'my-vae.safetensors'}" in out.out
    assert "Data: 4 of 4 images" in out.err          # the log goes to stderr, results to stdout
    assert run_cli("models") == 0
    listed = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["my-vae", "vae", "16", "64"] in [row[:4] for row in listed]


def test_an_existing_name_needs_resume_or_overwrite(tmp_path, capsys):
    data = write_folder(tmp_path / "data", count=4)
    args = ["train", "gan", "--data", data, "--out", "mine", "--batch", "2", "--width", "8"]
    assert run_cli(*args, "--steps", "2") == 0
    capsys.readouterr()
    assert run_cli(*args, "--steps", "4") == 1
    line = one_error_line(capsys)
    assert "already exists" in line and "--resume mine" in line and "--overwrite" in line
    assert run_cli(*args, "--steps", "4", "--resume", "mine") == 0
    card = json.loads((models_dir() / "mine.json").read_text())
    assert card["step"] == 4 and card["recipe"]["preset"] == "stable"
    assert run_cli(*args, "--steps", "1", "--overwrite", "--preset", "classic") == 0
    assert json.loads((models_dir() / "mine.json").read_text())["recipe"]["preset"] == "classic"


def test_fine_tuning_a_restoration_network_starts_from_the_shipped_one(tmp_path, capsys):
    data = write_folder(tmp_path / "data", count=3, side=64)
    code = run_cli("train", "denoise", "--data", data, "--out", "my-denoise", "--steps", "2", "--size", "32",
                   "--batch", "2")
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Starting from the shipped network restore-denoise" in err
    card = json.loads((models_dir() / "my-denoise.json").read_text())
    assert card["recipe"]["init"] == "shipped" and card["step"] == 2


def test_learning_rate_is_used_and_recorded_in_the_card_command(tmp_path, capsys):
    data = write_folder(tmp_path / "data", count=3, side=64)
    code = run_cli("train", "inpaint", "--data", data, "--out", "my-fill", "--steps", "1", "--size", "32",
                   "--batch", "2", "--lr", "3e-4")
    assert code == 0, capsys.readouterr().err
    card = json.loads((models_dir() / "my-fill.json").read_text())
    assert card["recipe"]["lr"] == 3e-4 and card["config"]["guess"] == "biharmonic" and card["config"]["flips"] == 2
    assert card["command"].endswith("--steps 1 --size 32 --batch 2 --lr 0.0003")
    assert run_cli("train", "inpaint", "--data", data, "--out", "other", "--lr", "fast") == 2
    assert "invalid learning rate 'fast'" in capsys.readouterr().err


def test_a_fine_tuned_network_is_listed_and_usable_by_name(tmp_path, capsys):
    data = write_folder(tmp_path / "data", count=3, side=64)
    assert run_cli("train", "denoise", "--data", data, "--out", "my-denoise", "--steps", "1", "--size", "32",
                   "--batch", "2", "-q") == 0
    assert run_cli("models") == 0
    out = capsys.readouterr().out
    assert "restore-denoise  denoise  shipped" in out and "my-denoise" in out
    photo = next(data.glob("*.png"))
    assert run_cli("denoise", photo, "-o", tmp_path / "clean.png", "--model", "my-denoise") == 0
    assert (tmp_path / "clean.png").exists()
