"""Every card's ``command`` re-runs its recipe: parsed by the real CLI parser, and re-run for the same weights."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from artstudio.cli import build_parser
from artstudio.cli.train import build_request
from artstudio.jobs import train_defaults as D
from artstudio.jobs.base import CancelToken, run_sync
from artstudio.jobs.train_gen import TrainGenRequest, recipe as gen_recipe, run_train_gen
from artstudio.jobs.train_restore import TrainRestoreRequest, recipe as restore_recipe, run_train_restore
from cli_helpers import run_cli
from test_train_gen import write_folder

DOCS = Path(__file__).resolve().parents[1] / "docs" / "training"


def parsed_recipe(command: str, models: Path) -> tuple[dict, int, str]:
    """``(recipe, steps, data folder)`` of the request the CLI builds from ``command``."""
    words = shlex.split(command)
    assert words[:2] == ["artstudio", "train"], command
    args = build_parser().parse_args(words[1:])
    request, _ = build_request(args, models)
    found = gen_recipe(request) if isinstance(request, TrainGenRequest) else restore_recipe(request)
    return json.loads(json.dumps(found)), request.steps, str(request.data)


def assert_command_is_the_recipe(card: dict, models: Path) -> None:
    recipe, steps, folder = parsed_recipe(card["command"], models)
    assert recipe == card["recipe"]
    assert (steps, folder) == (card["steps"], card["data"]["folder"])


@pytest.mark.parametrize("card_path", sorted(DOCS.glob("*.card.json")), ids=lambda p: p.name)
def test_the_documented_cards_commands_are_their_recipes(card_path, tmp_path):
    assert_command_is_the_recipe(json.loads(card_path.read_text()), tmp_path)


def test_a_command_that_drops_an_option_is_caught(tmp_path):
    card = json.loads((DOCS / "faces-stable.card.json").read_text())
    card["command"] = card["command"].replace(" --width 32", "")      # what the old _command() wrote
    with pytest.raises(AssertionError):
        assert_command_is_the_recipe(card, tmp_path)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("photos"), count=3, side=64)


GEN_RUNS = {
    "gan-classic": dict(kind="gan", preset="classic", width=8, latent=16, lr=1e-3, crop="random", seed=4),
    "vae": dict(kind="vae", width=8, latent=8, batch=3, seed=2),
}
RESTORE_RUNS = {
    "inpaint": dict(task="inpaint", config={"width": 8}, damage=("strokes", "box"), init="scratch"),
    "denoise": dict(task="denoise", config={"width": 8}, lr=3e-3, init="scratch", seed=9),
    "sr": dict(task="sr", config={"width": 8, "depth": 1}, scale=(2,), init="scratch"),
}


@pytest.mark.parametrize("name", GEN_RUNS)
def test_generator_cards_commands_are_their_recipes(name, photos, tmp_path):
    request = TrainGenRequest(data=photos, out=tmp_path, name=name, steps=2, sample_every=0,
                              **{"batch": 2, **GEN_RUNS[name]})
    result = run_sync(run_train_gen(request, CancelToken()))
    assert_command_is_the_recipe(json.loads(result.card.read_text()), tmp_path)


@pytest.mark.parametrize("name", RESTORE_RUNS)
def test_restoration_cards_commands_are_their_recipes(name, photos, tmp_path):
    request = TrainRestoreRequest(data=photos, out=tmp_path, name=name, steps=2, size=32, batch=2,
                                  preview_every=0, **RESTORE_RUNS[name])
    card = json.loads(run_sync(run_train_restore(request, CancelToken())).card.read_text())
    assert_command_is_the_recipe(card, tmp_path)
    assert card["kind"] == "restore" and card["task"] == name and card["card_version"] == 2


def test_one_card_schema_for_every_kind(photos, tmp_path):
    gen = run_sync(run_train_gen(TrainGenRequest(data=photos, out=tmp_path, name="g", steps=1,
                                                 sample_every=0, **GEN_RUNS["vae"]), CancelToken()))
    restore = run_sync(run_train_restore(TrainRestoreRequest(
        data=photos, out=tmp_path, name="r", steps=1, size=32, batch=2, preview_every=0,
        **RESTORE_RUNS["denoise"]), CancelToken()))
    common = {"name", "kind", "sha256", "step", "steps", "seconds", "seed", "losses", "data", "recipe",
              "command", "train_state", "hardware", "time", "source", "licence", "card_version"}
    for result in (gen, restore):
        card = json.loads(result.card.read_text())
        assert common <= set(card), common - set(card)
        assert card["train_state"] == f"{result.name}.train.safetensors"


def models_dir() -> Path:
    return Path(os.environ["ARTSTUDIO_HOME"]) / "models"


@pytest.mark.parametrize("args", [
    ("gan", "--width", "8", "--latent", "16", "--crop", "random"),
    ("sr", "--width", "8", "--depth", "1", "--size", "32", "--init", "scratch", "--scale", "2"),
], ids=["gan", "sr"])
def test_re_running_a_cards_command_gives_the_same_weights(photos, args, capsys):
    assert run_cli("train", *args, "--data", photos, "--out", "first", "--steps", "2", "--batch", "2",
                   "-q") == 0, capsys.readouterr().err
    card = json.loads((models_dir() / "first.json").read_text())
    first = load_file(str(models_dir() / "first.safetensors"))
    command = shlex.split(card["command"])
    assert run_cli(*command[1:], "--overwrite", "-q") == 0, capsys.readouterr().err
    again = load_file(str(models_dir() / "first.safetensors"))
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)
    assert json.loads((models_dir() / "first.json").read_text())["sha256"] == card["sha256"]


def test_the_cli_the_panel_and_the_requests_share_one_table_of_defaults(tmp_path):
    from artstudio.ui import train_panel

    for kind in D.GEN_KINDS + D.RESTORE_TASKS:
        args = build_parser().parse_args(["train", kind, "--data", str(tmp_path), "--out", "x"])
        request, _ = build_request(args, tmp_path)
        group = "generator" if kind in D.GEN_KINDS else "restore"
        assert request.batch == D.batch_for(kind) == train_panel.DEFAULT_BATCH[group]
        assert (request.size, request.steps, request.seed, request.device) == \
            (D.size_for(kind), D.STEPS, D.SEED, D.DEVICE)
    assert TrainGenRequest("gan", tmp_path, tmp_path, "x").batch == D.GEN["batch"] == 32
    restore = TrainRestoreRequest("sr", tmp_path, tmp_path, "x")
    assert (restore.init, restore.device, restore.batch) == ("shipped", "auto", 8)
