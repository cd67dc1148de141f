"""Restoration networks: contracts, safe loading, the shipped weights; damage and impulse noise."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from artstudio.core.damage import (MASK_KINDS, add_gaussian_noise, add_salt_and_pepper, bicubic_downscale,
                                   damage_mask)
from artstudio.core.noise import detect_impulses, looks_like_salt_and_pepper, remove_impulses
from artstudio.models.denoise_net import DenoiseNet
from artstudio.models.inpaint_net import InpaintNet
from artstudio.models.registry import ModelError, sha256_file
from artstudio.models.restore_models import load_restore_net, shipped_restore_models
from artstudio.models.sr_net import SRNet

TINY = {
    "inpaint": (lambda: InpaintNet(width=8), {"architecture": "gated-unet-v4", "width": 8}),
    "denoise": (lambda: DenoiseNet(width=8), {"architecture": "unshuffle-resunet-v1", "width": 8}),
    "sr": (lambda: SRNet(width=8, depth=1), {"architecture": "espcn-residual-v1", "width": 8, "depth": 1}),
}


def save_tiny(folder, task, seed=0):
    """A random tiny network saved as checkpoint + card, as training writes them."""
    torch.manual_seed(seed)
    make, config = TINY[task]
    net = make()
    weights = folder / f"tiny-{task}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    card = {"name": f"tiny-{task}", "task": task, "config": config, "sha256": sha256_file(weights)}
    weights.with_suffix(".json").write_text(json.dumps(card))
    return net.eval(), weights


def to_tensor(image):
    return torch.from_numpy(image.astype(np.float32) / 255).permute(2, 0, 1)[None]


def to_uint8(tensor):
    return (tensor[0].permute(1, 2, 0).numpy() * 255 + 0.5).clip(0, 255).astype(np.uint8)


@pytest.mark.parametrize("task", ["inpaint", "denoise", "sr"])
def test_tiny_models_round_trip_through_safetensors(tmp_path, task):
    net, weights = save_tiny(tmp_path, task)
    loaded = load_restore_net(weights, "cpu")
    assert not loaded.training and loaded.spec.task == task
    x = torch.rand(1, 3, 32, 32)
    with torch.inference_mode():
        if task == "inpaint":
            mask = (torch.rand(1, 1, 32, 32) > 0.8).float()
            assert torch.equal(net(x, mask), loaded(x, mask))
        elif task == "denoise":
            assert torch.equal(net(x), loaded(x))
        else:
            assert torch.equal(net(x, 4), loaded(x, 4))


def test_tampered_file_gives_a_one_line_error_naming_it(tmp_path):
    _, weights = save_tiny(tmp_path, "denoise")
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="tiny-denoise.safetensors.*checksum") as info:
        load_restore_net(weights)
    assert "\n" not in str(info.value)


def test_wrong_architecture_and_missing_card_are_clear_errors(tmp_path):
    _, weights = save_tiny(tmp_path, "sr")
    card = json.loads(weights.with_suffix(".json").read_text())
    card["config"]["width"] = 16             # checksum fine, shapes wrong
    weights.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="tiny-sr.safetensors.*does not match.*wrong shape"):
        load_restore_net(weights)
    weights.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="no card"):
        load_restore_net(weights)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file")
    garbage.with_suffix(".json").write_text(json.dumps(
        {"task": "denoise", "config": TINY["denoise"][1], "sha256": sha256_file(garbage)}))
    with pytest.raises(ModelError, match="garbage.safetensors.*not a readable safetensors"):
        load_restore_net(garbage)


def test_inpaint_keeps_outside_pixels_bit_identical(photo, scratch):
    torch.manual_seed(1)
    net = InpaintNet(width=8).eval()
    image = photo[:45, :61]                   # odd size: padded inside and cropped back
    hole = scratch[:45, :61] > 0
    damaged = image.copy()
    damaged[hole] = 0
    with torch.inference_mode():
        out = net(to_tensor(damaged), torch.from_numpy(hole[None, None].astype(np.float32)))
    assert out.shape == (1, 3, 45, 61) and 0 <= out.min() and out.max() <= 1
    result = to_uint8(out)
    assert np.array_equal(result[~hole], image[~hole])
    assert not np.array_equal(result[hole], damaged[hole])



def test_biharmonic_guess_starts_from_scikit_image_biharmonic(photo, scratch):
    """A fresh network (zero correction) with ``guess="biharmonic"`` is exactly the
    classical fill it is measured against (how the two guesses compare on real
    photos is measured in benchmarks/restore_quality.py, not here)."""
    from skimage.restoration import inpaint_biharmonic

    from artstudio.models.inpaint_net import build

    image, hole = photo[:64, :64], scratch[:64, :64] > 0
    damaged = image.copy()
    damaged[hole] = 255
    x, m = to_tensor(damaged), torch.from_numpy(hole[None, None].astype(np.float32))
    with torch.inference_mode():
        ours = to_uint8(build({"width": 8, "guess": "biharmonic"}).eval()(x, m))
    reference = inpaint_biharmonic(damaged.astype(np.float32) / 255, hole, channel_axis=-1)
    reference = (reference.clip(0, 1) * 255 + 0.5).astype(np.uint8)
    assert np.abs(ours.astype(int) - reference.astype(int))[hole].max() <= 1
    assert np.array_equal(ours[~hole], image[~hole])
    with pytest.raises(ValueError, match="push-pull, biharmonic"):
        build({"width": 8, "guess": "telepathy"})


def test_flip_ensemble_fills_a_mirrored_photo_as_the_mirror_of_its_fill(photo, scratch):
    """With ``flips=2`` (eval mode) the fill does not depend on which way the photo faces;
    in training mode the network runs once, as trained."""
    from artstudio.models.inpaint_net import build

    torch.manual_seed(3)
    net = build({"width": 8, "flips": 2})
    torch.nn.init.normal_(net.out.weight, std=0.05)    # a non-zero correction to average
    x = to_tensor(photo[:64, :64])
    m = torch.from_numpy((scratch[:64, :64] > 0)[None, None].astype(np.float32))
    with torch.inference_mode():
        net.eval()
        mirrored = net(x.flip(-1), m.flip(-1)).flip(-1)
        plain = net(x, m)
        assert torch.allclose(mirrored, plain, atol=1e-5)
        net.train()
        single = net(x, m)
    assert not torch.allclose(single, plain, atol=1e-4)
    with pytest.raises(ValueError, match="flips must be 1 or 2"):
        build({"width": 8, "flips": 4})


def test_biharmonic_guess_falls_back_to_push_pull_for_huge_holes(monkeypatch):
    import artstudio.models.inpaint_net as inpaint_net

    image = torch.rand(1, 3, 32, 32)
    known = torch.ones(1, 1, 32, 32)
    known[..., 8:24, 8:24] = 0
    monkeypatch.setattr(inpaint_net, "MAX_BIHARMONIC_HOLE", 100)     # 256 unknown pixels > 100
    filled = inpaint_net.biharmonic_fill(image * known, known)
    assert torch.equal(filled, inpaint_net.push_pull_fill(image * known, known))

def test_denoise_and_sr_shapes_and_ranges():
    torch.manual_seed(2)
    x = torch.rand(2, 3, 23, 37)
    with torch.inference_mode():
        assert DenoiseNet(width=8).eval()(x).shape == x.shape
        sr = SRNet(width=8, depth=1).eval()
        for scale in (2, 4):
            y = sr(x, scale)
            assert y.shape == (2, 3, 23 * scale, 37 * scale) and 0 <= y.min() and y.max() <= 1
    with pytest.raises(ValueError, match="Scale"):
        sr(x, 3)


def test_shipped_list_needs_no_torch():
    code = ("import sys; from artstudio.models.restore_models import shipped_restore_models as s; "
            "names = [m.task for m in s()]; assert 'torch' not in sys.modules, 'torch'; print(names)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "inpaint" in out.stdout and "denoise" in out.stdout and "sr" in out.stdout


@pytest.mark.parametrize("spec", shipped_restore_models(), ids=lambda s: s.name)
def test_shipped_weights_load_and_restore(spec, photo):
    assert spec.sha256 and spec.weights.is_file(), f"{spec.name}: shipped weights missing or unpinned"
    net = load_restore_net(spec.name)
    clean = photo[:64, :64]
    with torch.inference_mode():
        if spec.task == "sr":
            assert net(to_tensor(clean[::2, ::2]), 2).shape == (1, 3, 64, 64)
        elif spec.task == "denoise":
            noisy = add_gaussian_noise(clean, 25, 0)
            error = np.abs(to_uint8(net(to_tensor(noisy))).astype(float) - clean).mean()
            assert error < np.abs(noisy.astype(float) - clean).mean()
        elif spec.task == "detect":       # the damage finder: a probability per pixel
            specked = clean.copy()
            specked[30:33, 30:33] = 255               # one white dust speck
            probability = net(to_tensor(specked))[0, 0].numpy()
            assert probability.shape == (64, 64)
            assert probability[30:33, 30:33].max() > 0.5 > float(np.median(probability))
        else:
            hole = damage_mask("scratches", (64, 64), 0) > 0
            out = to_uint8(net(to_tensor(clean), torch.from_numpy(hole[None, None].astype(np.float32))))
            assert np.array_equal(out[~hole], clean[~hole])


# --- numpy damage and impulse noise ----------------------------------------------

@pytest.mark.parametrize("kind", MASK_KINDS)
def test_damage_masks_are_seeded_and_plausible(kind):
    first = damage_mask(kind, (256, 192), seed=5)
    assert first.shape == (192, 256) and first.dtype == np.uint8
    assert np.array_equal(first, damage_mask(kind, (256, 192), seed=5))
    assert not np.array_equal(first, damage_mask(kind, (256, 192), seed=6))
    assert 0 < (first > 0).mean() < 0.25


def test_noise_and_downscale_helpers(photo):
    noisy = add_gaussian_noise(photo, 25, seed=0)
    assert abs(float((noisy.astype(float) - photo).std()) - 25) < 3
    assert np.array_equal(noisy, add_gaussian_noise(photo, 25, seed=0))
    sp = add_salt_and_pepper(photo, 0.05, seed=0)
    changed = sp != photo
    assert 0.03 < changed.mean() < 0.06 and set(np.unique(sp[changed])) <= {0, 255}
    assert bicubic_downscale(photo, 4).shape == (24, 32, 3)


def test_impulses_are_found_and_removed_without_touching_the_rest(photo):
    image = photo.copy()
    image[:10] = 255                          # a saturated band is not noise
    sp = add_salt_and_pepper(image, 0.05, seed=1)
    found = detect_impulses(sp)
    truth = sp != image
    assert found[truth].mean() > 0.9 and found[~truth].mean() < 0.001
    assert looks_like_salt_and_pepper(sp) and not looks_like_salt_and_pepper(image)
    cleaned = remove_impulses(sp)
    assert np.array_equal(cleaned[~found], sp[~found])
    import cv2

    def error(x):
        return np.abs(x.astype(float) - image).mean()
    assert error(cleaned) < 0.5 * error(cv2.medianBlur(sp, 3))


def test_shipped_fill_beats_biharmonic_inside_scratches_on_held_out_photos():
    """What the user sees: on photos it never saw in training (scikit-image's astronaut
    and cat), the shipped network fills scratches closer to the truth than the best
    classical fill does (the full measurement: benchmarks/restore_quality.py)."""
    import skimage.data
    from skimage.restoration import inpaint_biharmonic

    net = load_restore_net("restore-inpaint")
    errors = {"net": 0.0, "biharmonic": 0.0}
    for photo in (skimage.data.astronaut(), skimage.data.chelsea()):
        clean = photo[:256, :256, :3]
        hole = damage_mask("scratches", (256, 256), 0) > 0
        damaged = clean.copy()
        damaged[hole] = 255
        with torch.inference_mode():
            ours = to_uint8(net(to_tensor(damaged), torch.from_numpy(hole[None, None].astype(np.float32))))
        classical = inpaint_biharmonic(damaged / 255.0, hole, channel_axis=-1)
        classical = (classical.clip(0, 1) * 255 + 0.5).astype(np.uint8)
        assert np.array_equal(ours[~hole], clean[~hole])
        for key, out in (("net", ours), ("biharmonic", classical)):
            errors[key] += float(np.mean((out[hole].astype(float) - clean[hole]) ** 2))
    gain_db = 10 * np.log10(errors["biharmonic"] / errors["net"])
    assert gain_db > 0.3, f"only {gain_db:+.2f} dB over biharmonic"
