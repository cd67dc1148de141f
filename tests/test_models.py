"""The model layer: registry, loading, rendering contracts and SeFa directions."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from artstudio.core.rect import Rect
from artstudio.models import generators as generators_module
from artstudio.models.dcgan import DCGANGenerator
from artstudio.models.generators import load_generator
from artstudio.models.registry import (ModelError, builtin_models, find_model, list_models,
                                       sha256_file)


def latents(count: int, dim: int, first_seed: int = 0) -> np.ndarray:
    return np.stack([np.random.default_rng(s).standard_normal(dim).astype(np.float32)
                     for s in range(first_seed, first_seed + count)])


def write_tiny_gan(folder, name="tiny", nz=16, ngf=8, resolution=32, kind="gan", prefix="",
                   output="tanh", seed=0, rename=None):
    """A random DCGAN with non-trivial BatchNorm statistics, saved as a user model."""
    torch.manual_seed(seed)
    net = DCGANGenerator(nz=nz, ngf=ngf, nc=3, resolution=resolution, output=output)
    for module in net.modules():
        # Eval mode must use these, not batch statistics. Small variances
        # amplify the activations so that, as in a trained GAN, z matters.
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.01, 0.05)
    state = {prefix + k: v.contiguous() for k, v in net.state_dict().items()}
    if rename:
        state[rename[1]] = state.pop(rename[0])
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    save_file(state, str(weights))
    config = {"architecture": "dcgan", "nz": nz, "ngf": ngf, "nc": 3, "output": output}
    if prefix:
        config["prefix"] = prefix
    card = {"name": name, "kind": kind, "latent_dim": nz, "resolution": resolution,
            "sha256": sha256_file(weights), "source": "trained in ArtStudio", "licence": "MIT (ArtStudio)",
            "description": "a test model", "config": config}
    (folder / f"{name}.json").write_text(json.dumps(card))
    return weights


@pytest.fixture(scope="module")
def faces():
    return load_generator(find_model("dcgan-faces"), "cpu")


# -- registry --------------------------------------------------------------------------------

def test_builtins_are_listed_with_their_licences_and_the_shipped_checksum():
    specs = {spec.name: spec for spec in builtin_models()}
    assert {"dcgan-faces", "cppn", "cppn-soft", "cppn-bands", "cppn-ink", "cppn-deep"} <= set(specs)
    faces = specs["dcgan-faces"]
    assert (faces.kind, faces.latent_dim, faces.resolution) == ("gan", 100, 64)
    assert sha256_file(faces.weights) == faces.sha256
    folder = faces.weights.parent
    assert "Permission is hereby granted" in (folder / "dcgan-faces.LICENSE").read_text()
    assert "Chien Liu" in (folder / "dcgan-faces.NOTICE").read_text()
    assert all(spec.kind == "cppn" and spec.weights is None for n, spec in specs.items() if n.startswith("cppn"))


def test_the_registry_and_request_types_import_without_torch():
    code = ("import sys, artstudio.models.registry, artstudio.models.generators, artstudio.jobs.generate; "
            "artstudio.models.registry.list_models(); sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_unknown_model_names_the_choices():
    with pytest.raises(ModelError, match=r"Unknown model 'nope'\. Available: dcgan-faces, cppn, "):
        find_model("nope")


def test_a_user_model_appears_loads_and_renders(tmp_path):
    write_tiny_gan(tmp_path / "models")
    spec = find_model("tiny", tmp_path / "models")
    assert (spec.kind, spec.latent_dim, spec.resolution, spec.source) == ("gan", 16, 32, "trained in ArtStudio")
    images = load_generator(spec, "cpu").render(latents(2, 16))
    assert images.shape == (2, 32, 32, 3) and images.dtype == np.uint8
    assert images.std() > 5 and not np.array_equal(images[0], images[1])


def test_broken_cards_are_skipped_without_hiding_the_others(tmp_path):
    folder = tmp_path / "models"
    write_tiny_gan(folder)
    (folder / "garbled.json").write_text("{not json")
    (folder / "orphan.json").write_text(json.dumps({"name": "orphan", "kind": "gan", "latent_dim": 8,
                                                    "resolution": 64, "sha256": "0" * 64}))
    (folder / "dcgan-faces.json").write_text((folder / "tiny.json").read_text().replace('"tiny"', '"dcgan-faces"'))
    (folder / "dcgan-faces.safetensors").write_bytes(b"x")
    names = [spec.name for spec in list_models(folder)]
    assert "tiny" in names and "orphan" not in names and "garbled" not in names
    assert names.count("dcgan-faces") == 1 and find_model("dcgan-faces", folder).source.startswith("gan-face")


def test_a_damaged_weights_file_is_refused_by_checksum(tmp_path):
    weights = write_tiny_gan(tmp_path / "models")
    spec = find_model("tiny", tmp_path / "models")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"damaged or not the one expected \(checksum mismatch\)") as info:
        load_generator(spec, "cpu")
    assert "\n" not in str(info.value)


def test_weights_with_wrong_keys_or_shapes_are_refused_in_one_line(tmp_path):
    write_tiny_gan(tmp_path / "a", rename=("main.3.weight", "main.3.kernel"))
    with pytest.raises(ModelError, match="missing main.3.weight; unexpected main.3.kernel") as info:
        load_generator(find_model("tiny", tmp_path / "a"), "cpu")
    assert "\n" not in str(info.value)
    write_tiny_gan(tmp_path / "b")
    card = json.loads((tmp_path / "b" / "tiny.json").read_text())
    card["config"]["ngf"] = 16
    (tmp_path / "b" / "tiny.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="wrong shape main.0.weight"):
        load_generator(find_model("tiny", tmp_path / "b"), "cpu")


def test_a_vae_decoder_saved_inside_a_whole_vae_loads_through_its_prefix(tmp_path):
    write_tiny_gan(tmp_path / "models", name="vae", kind="vae", prefix="decoder.", output="sigmoid")
    generator = load_generator(find_model("vae", tmp_path / "models"), "cpu")
    assert generator.render(latents(1, 16)).shape == (1, 32, 32, 3)


# -- GAN rendering ---------------------------------------------------------------------------

def test_dcgan_faces_gives_the_same_pixels_at_batch_1_and_batch_16(faces):
    z = latents(16, 100)
    batch = faces.render(z)
    singles = np.concatenate([faces.render(z[i:i + 1]) for i in range(16)])
    assert np.array_equal(batch, singles)
    shuffled = faces.render(z[::-1])[::-1]           # neighbours in the batch do not matter either
    assert np.array_equal(batch, shuffled)


def test_dcgan_faces_is_deterministic_and_makes_varied_images(faces):
    z = latents(4, 100, first_seed=100)
    first, again = faces.render(z), faces.render(z)
    assert np.array_equal(first, again)
    assert first.shape == (4, 64, 64, 3)
    assert np.abs(first[0].astype(int) - first[1]).mean() > 10     # different seeds, different faces


def test_the_fast_render_path_matches_the_reference_network(faces):
    z = latents(8, 100, first_seed=7)
    with torch.inference_mode():
        reference = generators_module._to_uint8(faces.net.to_unit(faces.net(torch.from_numpy(z))))
    assert np.abs(faces.render(z).astype(int) - reference).max() <= 1


def test_a_gan_renders_only_at_its_native_size_and_checks_the_latent(faces):
    with pytest.raises(ModelError, match="renders at 64 px only"):
        faces.render(latents(1, 100), 128)
    with pytest.raises(ModelError, match=r"takes latents of shape \(N, 100\); got \(1, 8\)"):
        faces.render(latents(1, 8))
    with pytest.raises(ModelError, match="tiled rendering is for CPPN"):
        faces.render_tile(latents(1, 100)[0], (64, 64), Rect(0, 0, 32, 32))


# -- CPPN ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cppn():
    return load_generator(find_model("cppn"), "cpu")


def test_cppn_tiles_stitch_into_the_untiled_render(cppn):
    z = latents(1, 8, first_seed=3)[0]
    full = cppn.render_tile(z, (256, 192), Rect(0, 0, 256, 192))
    stitched = np.zeros_like(full)
    for rect in (Rect(0, 0, 100, 70), Rect(100, 0, 256, 70), Rect(0, 70, 100, 192), Rect(100, 70, 256, 192)):
        stitched[rect.slices] = cppn.render_tile(z, (256, 192), rect)
    assert np.abs(stitched.astype(int) - full).max() <= 1
    assert np.array_equal(cppn.render(z[None], 64)[0], cppn.render_tile(z, (64, 64), Rect(0, 0, 64, 64)))


def test_cppn_is_the_same_network_in_every_process_and_batch_invariant(cppn):
    # Pinned weights: if numpy's normal stream or the drawing code ever changed,
    # saved recipes (identified by the config hash) would silently show other images.
    np.testing.assert_allclose(cppn.net.coord_weight[0].numpy(), [0.00123015, 0.29874554, -0.27413785], atol=1e-6)
    assert cppn.model_hash == "3359ff1355668bbf962fed04add956031cdfa8090297b7cb07c31dba4e3e8a46"
    z = latents(3, 8)
    assert np.array_equal(cppn.render(z, 48), load_generator(find_model("cppn"), "cpu").render(z, 48))
    assert np.array_equal(cppn.render(z, 48)[1], cppn.render(z[1:2], 48)[0])


@pytest.mark.parametrize("name", ["cppn", "cppn-soft", "cppn-bands", "cppn-ink", "cppn-deep"])
def test_every_cppn_preset_makes_a_pattern_that_moves_smoothly_with_z(name):
    generator = load_generator(find_model(name), "cpu")
    z = latents(1, 8, first_seed=1)
    step = np.random.default_rng(9).standard_normal(8).astype(np.float32)
    step /= np.linalg.norm(step)
    base = generator.render(z, 64)[0].astype(int)
    assert base.std() > 20                                                  # not a flat wash
    nudged = np.abs(generator.render(z + 0.02 * step, 64)[0] - base).mean()
    moved = np.abs(generator.render(z + 1.0 * step, 64)[0] - base).mean()
    assert nudged < 4 and moved > 10 * nudged


def test_cppn_refuses_tiny_sizes_and_tiles_outside_the_image(cppn):
    with pytest.raises(ModelError, match="at least 8 px"):
        cppn.render(latents(1, 8), 4)
    with pytest.raises(ModelError, match="outside the 64x64 image"):
        cppn.render_tile(latents(1, 8)[0], (64, 64), Rect(32, 32, 80, 64))


# -- SeFa directions -------------------------------------------------------------------------

def test_gan_directions_are_orthonormal_sorted_and_cached(faces, tmp_path, monkeypatch):
    directions = faces.directions(20, cache_dir=tmp_path)
    assert directions.vectors.shape == (20, 100) and directions.vectors.dtype == np.float32
    np.testing.assert_allclose(directions.vectors @ directions.vectors.T, np.eye(20), atol=1e-5)
    assert np.all(np.diff(directions.values) <= 0) and directions.values[-1] > 0
    assert len(list(tmp_path.glob(f"*{faces.model_hash}*.npz"))) == 1

    def recompute(*args):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(generators_module, "sefa_directions", recompute)
    cached = faces.directions(20, cache_dir=tmp_path)
    assert np.array_equal(cached.values, directions.values)
    assert np.array_equal(cached.vectors, directions.vectors)


def test_the_strongest_direction_changes_the_face_more_than_the_weakest(faces):
    vectors = faces.directions(100).vectors
    z = latents(4, 100, first_seed=20)
    base = faces.render(z).astype(int)
    strong = np.abs(faces.render(z + 3 * vectors[0]) - base).mean()
    weak = np.abs(faces.render(z + 3 * vectors[-1]) - base).mean()
    assert strong > 2 * weak


def test_cppn_directions_live_in_its_small_latent_and_a_bad_cache_is_recomputed(cppn, tmp_path):
    directions = cppn.directions(20, cache_dir=tmp_path)
    assert directions.vectors.shape == (8, 8)
    np.testing.assert_allclose(directions.vectors @ directions.vectors.T, np.eye(8), atol=1e-5)
    for path in tmp_path.glob("*.npz"):
        path.write_bytes(b"not an npz")
    again = cppn.directions(20, cache_dir=tmp_path)
    assert np.array_equal(again.vectors, directions.vectors)


def test_a_damaged_direction_cache_is_recomputed_not_fatal(tmp_path):
    from artstudio.models.generators import load_generator
    from artstudio.models.registry import find_model

    generator = load_generator(find_model("cppn"), device="cpu")
    first = generator.directions(4, cache_dir=tmp_path)
    for cached in tmp_path.glob("*.npz"):
        cached.write_bytes(cached.read_bytes()[:40])          # truncated mid-write
    again = generator.directions(4, cache_dir=tmp_path)
    assert np.allclose(again.vectors, first.vectors)
