"""Hostile files in the user's models folder (issue 16 D2/D3/D9): listing goes on, loading says why in one line."""

from __future__ import annotations

import json
import os

import pytest
import torch
from safetensors.torch import save_file

from artstudio.models.denoise_net import DenoiseNet
from artstudio.models import loading
from artstudio.models.loading import load_net
from artstudio.models.registry import ModelError, list_specs, resolve, sha256_file, skipped_cards
from test_models import write_tiny_gan

GOOD_GAN = {"kind": "gan", "latent_dim": 16, "resolution": 32, "sha256": "0" * 64,
            "config": {"architecture": "dcgan", "nz": 16, "ngf": 8}}

HOSTILE_CARDS = {
    "list": "[]",
    "string": '"a card"',
    "inf-latent": json.dumps(GOOD_GAN).replace('"latent_dim": 16', '"latent_dim": 1e400'),
    "nan-latent": json.dumps(GOOD_GAN).replace('"latent_dim": 16', '"latent_dim": NaN'),
    "huge-latent": json.dumps(GOOD_GAN).replace('"latent_dim": 16', '"latent_dim": ' + "9" * 5000),
    "bool-latent": json.dumps({**GOOD_GAN, "latent_dim": True}),
    "nested": "[" * 100_000 + "]" * 100_000,
    "nested-config": json.dumps(GOOD_GAN).replace('"ngf": 8', '"ngf": ' + "[" * 5000 + "]" * 5000),
    "huge-width": json.dumps({**GOOD_GAN, "config": {"ngf": 10 ** 30}}),
    "fractional": json.dumps({**GOOD_GAN, "resolution": 32.5}),
    "no-kind": json.dumps({"name": "x"}),
    "bad-sha": json.dumps({**GOOD_GAN, "sha256": "not hex"}),
    "config-list": json.dumps({**GOOD_GAN, "config": [1, 2]}),
    "alien": json.dumps({**GOOD_GAN, "config": {"architecture": "stylegan9"}}),
    "not-utf8": b'{"kind": "gan", "name": "\xff\xfe"}',
}


def write_good_gan(folder):
    write_tiny_gan(folder, name="good")


def write_hostile_corpus(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in HOSTILE_CARDS.items():
        path = folder / f"{name}.json"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        path.with_suffix(".safetensors").write_bytes(b"weights")   # present: the card is what is wrong
    (folder / "dir.json").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "f.json")           # opened for a blocking read, this would hang the listing


def test_a_hostile_corpus_never_stops_the_listing_and_gives_one_line_each(tmp_path):
    folder = tmp_path / "models"
    write_hostile_corpus(folder)
    write_good_gan(folder)
    assert [s.name for s in list_specs(folder) if s.source == "trained in ArtStudio"] == ["good"]
    skipped = skipped_cards(folder)
    expected = len(HOSTILE_CARDS) + 1 + hasattr(os, "mkfifo")
    assert len(skipped) == expected
    assert all("\n" not in line and ": skipped: " in line and len(line) < 200 for line in skipped)
    reasons = dict(line.split(": skipped: ") for line in skipped)
    assert reasons["list.json"] == "not a JSON object (a list)"
    assert reasons["nested.json"] == "nested too deeply"
    assert reasons["dir.json"] == "not a regular file"
    assert "latent_dim must be a whole number" in reasons["inf-latent.json"]
    assert "latent_dim must be a whole number" in reasons["bool-latent.json"]
    assert "ngf must be from 1 to 256" in reasons["huge-width.json"]
    assert "'stylegan9' architecture" in reasons["alien.json"]
    if hasattr(os, "mkfifo"):
        assert reasons["f.json"] == "not a regular file"
        with pytest.raises(ModelError, match="f.json' is not usable: not a regular file"):
            resolve(folder / "f.json")


def test_an_oversized_card_is_refused_without_being_parsed(tmp_path, monkeypatch):
    from artstudio.models import cards

    monkeypatch.setattr(cards, "MAX_CARD_BYTES", 1 << 20)
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "big.json").write_text(json.dumps({**GOOD_GAN, "description": "x" * (2 << 20)}))
    assert skipped_cards(folder) == ["big.json: skipped: larger than 1 MB"]


def tiny_denoiser(folder, name="tiny-denoise", width=8, edit=None, card_width=None):
    """A tiny denoiser saved as training saves it; ``edit`` changes the tensors before saving."""
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in DenoiseNet(width=width).state_dict().items()}
    if edit is not None:
        edit(state)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    save_file(state, str(weights))
    config = {"architecture": "unshuffle-resunet-v1", "width": card_width or width}
    card = {"name": name, "kind": "restore", "task": "denoise", "config": config, "sha256": sha256_file(weights)}
    weights.with_suffix(".json").write_text(json.dumps(card))
    return weights


def test_an_absurd_width_on_valid_weights_is_refused_before_anything_is_allocated(tmp_path, monkeypatch):
    weights = tiny_denoiser(tmp_path, card_width=3000)

    def no_build(*args, **kwargs):
        raise AssertionError("a network was built from an unchecked card")

    monkeypatch.setattr(DenoiseNet, "__init__", no_build)
    with pytest.raises(ModelError, match=r"tiny-denoise\.json' is not usable: width must be from 1 to 128") as info:
        resolve(weights)
    assert "\n" not in str(info.value)
    assert skipped_cards(tmp_path) == ["tiny-denoise.json: skipped: width must be from 1 to 128, not 3000"]


def _first_float(state):
    return next(k for k, v in state.items() if v.is_floating_point() and v.numel() > 1)


@pytest.mark.parametrize("damage, why", [
    (lambda t: t.view(-1).__setitem__(0, float("nan")), "NaN or infinite"),
    (lambda t: t.view(-1).__setitem__(1, float("inf")), "NaN or infinite"),
    (lambda t: t.fill_(3e38), "beyond"),
], ids=["nan", "inf", "3e38"])
def test_weights_with_impossible_values_are_damaged_not_black_pictures(tmp_path, damage, why):
    weights = tiny_denoiser(tmp_path, edit=lambda state: damage(state[_first_float(state)]))
    spec = resolve(weights)
    with pytest.raises(ModelError, match=f"tiny-denoise.safetensors' is damaged: .*{why}") as info:
        load_net(spec)
    assert "\n" not in str(info.value)


def _retype(dtype):
    def retype(state):
        key = _first_float(state)
        state[key] = state[key].to(dtype)
    return retype


@pytest.mark.parametrize("dtype", [torch.int32, torch.bool])
def test_weights_that_are_not_floating_point_are_damaged(tmp_path, dtype):
    weights = tiny_denoiser(tmp_path, edit=_retype(dtype))
    with pytest.raises(ModelError, match="is damaged: .* holds torch.(int32|bool), not floating-point"):
        load_net(resolve(weights))


def test_half_precision_weights_load_as_float32(tmp_path):
    weights = tiny_denoiser(tmp_path, edit=_retype(torch.float16))
    assert load_net(resolve(weights)).head.weight.dtype == torch.float32


def test_a_weights_file_that_is_not_safetensors_is_one_line(tmp_path):
    folder = tmp_path / "models"
    write_tiny_gan(folder)
    (folder / "tiny.safetensors").write_bytes(b"\x80\x04pickle!")
    card = json.loads((folder / "tiny.json").read_text())
    card["sha256"] = sha256_file(folder / "tiny.safetensors")
    (folder / "tiny.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="not a readable safetensors file") as info:
        load_net(resolve("tiny", user_dir=folder))
    assert "\n" not in str(info.value)


def test_card_numbers_that_describe_a_giant_network_are_refused_before_it_is_allocated(tmp_path, monkeypatch):
    from artstudio.models import architectures

    write_tiny_gan(tmp_path)              # 32 px, ngf 8: a few hundred kB of weights
    card = json.loads((tmp_path / "tiny.json").read_text())
    card["resolution"], card["config"]["ngf"] = 1024, 256      # each in range; together ~40 GB
    (tmp_path / "tiny.json").write_text(json.dumps(card))
    builds, real = [], architectures.build
    monkeypatch.setattr(architectures, "build",
                        lambda *args, **kwargs: builds.append(kwargs.get("meta", False)) or real(*args, **kwargs))
    monkeypatch.setattr(loading, "build", architectures.build)
    with pytest.raises(ModelError, match=r"tiny.safetensors' does not match the 'dcgan' architecture: ") as info:
        loading.load_net(resolve("tiny", user_dir=tmp_path))
    assert builds == [True] and "\n" not in str(info.value)
