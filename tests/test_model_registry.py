"""The one registry, resolver, architecture table and model cache, for every kind of model."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from artstudio.core.paths import AppPaths
from artstudio.models import inpaint_net, loading, sr_net
from artstudio.models.architectures import ARCHITECTURES, build
from artstudio.models.denoise_net import MULTIPLE as DENOISE_MULTIPLE
from artstudio.models.generators import LatentGenerator
from artstudio.models.registry import (GENERATOR_KINDS, ModelError, list_specs, resolve, sha256_file,
                                       skipped_cards)
from artstudio.models.specs import restore_spec
from test_models import latents, write_tiny_gan

TINY_CONFIGS = {
    "inpaint": {"architecture": "gated-unet-v4", "width": 8, "guess": "push-pull"},
    "denoise": {"architecture": "unshuffle-resunet-v1", "width": 8},
    "sr": {"architecture": "espcn-residual-v1", "width": 8, "depth": 1},
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    loading.clear_models()
    yield
    loading.clear_models()


def save_tiny_restore(folder, task, name=None, seed=0):
    """A random tiny restoration network saved as training saves it; returns (net, weights)."""
    name = name or f"my-{task}"
    torch.manual_seed(seed)
    net = build(restore_spec(name, task, folder / "unused", "0" * 64, None, TINY_CONFIGS[task])).eval()
    for parameter in net.parameters():        # the inpainting net starts as its first fill: move it
        parameter.data.normal_(0, 0.1)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    card = {"name": name, "kind": "restore", "task": task, "architecture": TINY_CONFIGS[task]["architecture"],
            "config": TINY_CONFIGS[task], "sha256": sha256_file(weights)}
    weights.with_suffix(".json").write_text(json.dumps(card))
    return net, weights


def run(net, task, image):
    with torch.inference_mode():
        if task == "inpaint":
            mask = torch.zeros(1, 1, *image.shape[-2:])
            mask[..., 8:20, 10:24] = 1
            return net(image, mask)
        return net(image, 2) if task == "sr" else net(image)


# -- listing ---------------------------------------------------------------------------------

def test_every_kind_is_listed_with_its_contract_without_importing_torch(tmp_path):
    folder = tmp_path / "models"
    save_tiny_restore(folder, "denoise")
    code = ("import sys; from artstudio.models.registry import list_specs, skipped_cards; "
            f"specs = list_specs({str(folder)!r}); "
            "print(sorted({(s.kind, s.task) for s in specs})); "
            "print([s.contract.multiple for s in specs if s.task == 'denoise']); "
            f"skipped_cards({str(folder)!r}); sys.exit('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "('restore', 'sr')" in out.stdout and "('cppn', 'generate')" in out.stdout
    assert "[16, 16]" in out.stdout        # the shipped denoiser and the user's


def test_user_models_of_every_kind_are_listed_by_kind_and_task(tmp_path):
    folder = tmp_path / "models"
    write_tiny_gan(folder)
    for task in TINY_CONFIGS:
        save_tiny_restore(folder, task)
    assert [s.name for s in list_specs(folder, "denoise")] == ["restore-denoise", "my-denoise"]
    assert [s.name for s in list_specs(folder, "restore")][-3:] == ["my-denoise", "my-inpaint", "my-sr"]
    assert "tiny" in [s.name for s in list_specs(folder, GENERATOR_KINDS)]
    assert "my-sr" not in [s.name for s in list_specs(folder, GENERATOR_KINDS)]


def test_a_user_card_cannot_take_a_shipped_name(tmp_path):
    _, weights = save_tiny_restore(tmp_path, "sr", name="restore-sr")
    assert skipped_cards(tmp_path) == ["restore-sr.json: skipped: the name 'restore-sr' is already used"]
    assert resolve("restore-sr", user_dir=tmp_path).weights != weights


# -- resolving -------------------------------------------------------------------------------

def test_the_resolver_knows_the_app_models_folder_by_default():
    folder = AppPaths.from_environment().models
    write_tiny_gan(folder)
    assert resolve("tiny").weights == folder / "tiny.safetensors"
    with pytest.raises(ModelError, match="Unknown model 'tiny'"):
        resolve("tiny", user_dir=None)


def test_names_tasks_paths_and_renamed_cards_resolve(tmp_path):
    _, weights = save_tiny_restore(tmp_path, "denoise")
    assert resolve("sr").name == "restore-sr"
    assert resolve(weights).name == resolve(weights.with_suffix(".json")).name == "my-denoise"
    assert resolve(str(weights), kind="denoise").weights == weights
    card = json.loads(weights.with_suffix(".json").read_text())
    weights.with_suffix(".json").write_text(json.dumps({**card, "name": "renamed"}))
    assert resolve("renamed", user_dir=tmp_path).weights == weights
    weights.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="has no card 'my-denoise.json' beside it"):
        resolve(weights)


def test_a_pickled_checkpoint_is_refused_in_one_line_without_being_opened(tmp_path, monkeypatch):
    import torch

    pt = tmp_path / "net.pt"
    pt.write_bytes(b"PK\x03\x04 a pickle would run code here")
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was called"))
    with pytest.raises(ModelError, match=r"'net.pt' is not a .safetensors model") as error:
        resolve(str(pt))
    assert "\n" not in str(error.value)


def test_unknown_names_list_the_choices_of_the_kind_asked_for(tmp_path):
    save_tiny_restore(tmp_path, "denoise")
    with pytest.raises(ModelError) as info:
        resolve("nope", kind="denoise", user_dir=tmp_path)
    assert str(info.value) == ("Unknown restoration model 'nope'. Available: restore-denoise, my-denoise, "
                               "or a .safetensors path.")
    with pytest.raises(ModelError, match=r"Unknown model 'nope'\. Available: dcgan-faces, cppn, .*-deep, "
                                         r"shapes-captions, shapes-captions-sentence, or"):
        resolve("nope", kind=GENERATOR_KINDS, user_dir=tmp_path)


def test_a_model_of_another_kind_says_what_it_is(tmp_path):
    _, weights = save_tiny_restore(tmp_path, "denoise")
    with pytest.raises(ModelError, match=r"^Model 'restore-sr' is a super-resolution network, not a generator\.$"):
        resolve("restore-sr", kind=GENERATOR_KINDS)
    with pytest.raises(ModelError, match=r"^Model 'dcgan-faces' is a GAN generator, not an inpainting network\.$"):
        resolve("dcgan-faces", kind="inpaint")
    with pytest.raises(ModelError, match="'my-denoise' is a denoising network, not a super-resolution network"):
        resolve(weights, kind="sr")


def test_an_unusable_card_is_named_with_its_reason_when_asked_for_by_name(tmp_path):
    write_tiny_gan(tmp_path)
    card = json.loads((tmp_path / "tiny.json").read_text())
    (tmp_path / "tiny.json").write_text(json.dumps({**card, "resolution": 10 ** 9}))
    with pytest.raises(ModelError, match=r"^Model card 'tiny.json' is not usable: resolution must be from 8 to 1024"):
        resolve("tiny", user_dir=tmp_path)


# -- the architecture registry and its contracts --------------------------------------------------

def test_the_network_modules_agree_with_their_contract_records():
    assert ARCHITECTURES[inpaint_net.ARCHITECTURE].contract.multiple == inpaint_net.MULTIPLE
    assert ARCHITECTURES["unshuffle-resunet-v1"].contract.multiple == DENOISE_MULTIPLE
    assert ARCHITECTURES[sr_net.ARCHITECTURE].contract.scales == sr_net.SCALES
    assert resolve("restore-denoise").contract.padded(33, 16) == (48, 16)
    assert resolve("cppn").contract.tile is not None and resolve("dcgan-faces").contract.fixed_size


@pytest.mark.parametrize("task", list(TINY_CONFIGS))
def test_every_restoration_network_keeps_its_contract(tmp_path, task):
    _, weights = save_tiny_restore(tmp_path, task)
    spec = resolve(weights)
    contract, net = spec.contract, loading.get_model(spec, "cpu")
    low, high = contract.value_range
    for height, width in ((contract.min_size + 1, 37), (32, 32)):   # odd sizes: padded inside, cropped back
        image = torch.rand(1, contract.in_channels, height, width)
        with torch.inference_mode():
            for scale in contract.scales:
                out = net(image, scale) if "scale" in contract.inputs else run(net, task, image)
                assert out.shape == (1, contract.out_channels, height * scale, width * scale)
                assert low <= float(out.min()) and float(out.max()) <= high


def test_an_architecture_of_another_task_is_refused_in_one_line(tmp_path):
    _, weights = save_tiny_restore(tmp_path, "sr")
    card = json.loads(weights.with_suffix(".json").read_text())
    card["task"] = "denoise"
    weights.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="'espcn-residual-v1', which is for a super-resolution network, "
                                         "not a denoising network"):
        resolve(weights)


# -- loading and the cache -------------------------------------------------------------------

@pytest.mark.parametrize("task", list(TINY_CONFIGS))
def test_tiny_models_load_back_through_the_registry_and_run_on_32x32(tmp_path, task):
    net, _ = save_tiny_restore(tmp_path / "models", task)
    spec = resolve(f"my-{task}", kind=task, user_dir=tmp_path / "models")
    loaded = loading.get_model(spec, "cpu")
    image = torch.rand(1, 3, 32, 32)
    assert not loaded.training and loaded.spec == spec
    assert torch.equal(run(net, task, image), run(loaded, task, image))


def test_a_generator_comes_from_the_same_cache(tmp_path):
    write_tiny_gan(tmp_path)
    generator = loading.get_model(resolve("tiny", user_dir=tmp_path), "cpu")
    assert isinstance(generator, LatentGenerator)
    assert generator.render(latents(1, 16)).shape == (1, 32, 32, 3)
    assert loading.get_model(resolve("tiny", user_dir=tmp_path), "auto") is generator   # auto is the CPU here


def test_the_cache_reloads_a_retrained_file_and_forgets_the_old_one(tmp_path):
    _, weights = save_tiny_restore(tmp_path, "denoise")
    first = loading.get_model(resolve(weights), "cpu")
    assert loading.get_model(resolve(weights), "cpu") is first
    save_tiny_restore(tmp_path, "denoise", seed=1)                  # retrained under the same name
    second = loading.get_model(resolve(weights), "cpu")
    assert second is not first and len(loading._models) == 1
    loading.clear_models()
    assert loading.get_model(resolve(weights), "cpu") is not second


def test_threads_asking_at_once_share_one_load(tmp_path, monkeypatch):
    _, weights = save_tiny_restore(tmp_path, "sr")
    spec, calls, real = resolve(weights), [], loading.load_model

    def slow_load(*args):
        calls.append(args)
        time.sleep(0.2)            # long enough for every thread to be waiting
        return real(*args)

    monkeypatch.setattr(loading, "load_model", slow_load)
    got = []
    threads = [threading.Thread(target=lambda: got.append(loading.get_model(spec, "cpu"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(got) == 4 and all(model is got[0] for model in got)


def test_without_the_shipped_weights_the_loader_says_the_file_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("ARTSTUDIO_SHIPPED_MODELS", str(tmp_path))
    spec = resolve("restore-sr")
    assert spec.weights == tmp_path / "restore-sr.safetensors"
    with pytest.raises(ModelError, match=r"Model file '.*restore-sr.safetensors' for 'restore-sr' is missing\."):
        loading.get_model(spec, "cpu")


def test_the_checksum_is_checked_on_the_bytes_that_are_parsed(tmp_path, monkeypatch):
    _, weights = save_tiny_restore(tmp_path, "denoise")
    spec = resolve(weights)
    seen = []
    real = loading._parse
    monkeypatch.setattr(loading, "_parse", lambda data, path: seen.append(data) or real(data, path))
    loading.load_net(spec)
    assert seen == [weights.read_bytes()]
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    seen.clear()
    with pytest.raises(ModelError, match="checksum mismatch"):
        loading.load_net(spec)
    assert seen == []                      # refused before it was parsed
    np.testing.assert_equal(len(loading._models), 0)
