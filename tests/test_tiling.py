import numpy as np
import pytest

from artstudio.core.tiling import TileBlender, axis_weights, plan_crops, plan_tiles


def _conv_net(seed: int, scale: int = 1):
    """A tiny random translation-equivariant net: 3 conv layers (radius 3)."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    layers = [nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
              nn.Conv2d(8, 3 * scale * scale, 3, padding=1)]
    if scale > 1:
        layers.append(nn.PixelShuffle(scale))
    return nn.Sequential(*layers).eval()


def _run(net, pixels: np.ndarray) -> np.ndarray:
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(pixels.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
        y = net(x)[0].permute(1, 2, 0).numpy()
    return np.clip(y * 64.0 + 128.0, 0, 255)   # spread the random net's output over 0-255


def _tiled(net, image: np.ndarray, tile: int, overlap: int, scale: int = 1) -> np.ndarray:
    plan = plan_tiles(image.shape[:2], tile, overlap, scale=scale)
    blender = TileBlender(plan, 3)
    for t in plan:
        blender.add(t, _run(net, image[t.rect.slices]))
    return blender.finish()


@pytest.mark.parametrize("scale", [1, 2])
def test_tiled_result_equals_untiled_away_from_borders(photo, scale):
    net = _conv_net(0, scale)
    whole = np.clip(np.rint(_run(net, photo)), 0, 255).astype(np.uint8)
    tiled = _tiled(net, photo, tile=40, overlap=16, scale=scale)
    assert tiled.shape == whole.shape
    # The tiles share the frame's zero padding at the image border, so the
    # whole frame matches; the inner edges are what tiling could spoil.
    assert np.abs(tiled.astype(int) - whole).max() <= 1
    assert len(plan_tiles(photo.shape[:2], 40, 16)) > 4


def test_without_the_discard_band_seams_would_show(photo):
    """The check above can fail: tiles blended right up to their edges differ."""
    net = _conv_net(1)
    whole = _run(net, photo)
    plan = plan_tiles(photo.shape[:2], 40, 16)
    naive = np.zeros_like(whole)
    for t in plan:    # last writer wins, no context: the seams a user would see
        naive[t.rect.slices] = _run(net, photo[t.rect.slices])
    assert np.abs(naive - whole).max() > 4


def test_weights_sum_to_one_along_an_axis():
    plan = plan_tiles((10, 1000), 256, 64, multiple=8, scale=2)
    total = np.zeros(2000)
    for i, (x0, x1) in enumerate(plan.xs):
        assert x0 % 8 == 0
        total[2 * x0:2 * x1] += axis_weights(plan.xs, i, plan.discard, 2)
    assert np.allclose(total, 1.0, atol=1e-6)
    assert plan.xs[-1][1] == 1000


def test_blender_keeps_memory_to_one_band():
    plan = plan_tiles((2000, 300), 128, 32)
    blender = TileBlender(plan, 3)
    peak = 0
    for t in plan:
        blender.add(t, np.full((t.rect.height, t.rect.width, 3), 77.0, np.float32))
        peak = max(peak, blender._acc.shape[0])
    assert (blender.finish() == 77).all()
    assert peak <= 128


def test_plan_crops_surrounds_each_hole_with_context():
    mask = np.zeros((300, 300), np.uint8)
    mask[20:30, 20:30] = 255
    mask[200:210, 250:260] = 255
    _, regions = plan_crops(mask, margin=16)
    assert len(regions) == 2
    for region in regions:
        hole = mask[region.rect.slices]
        assert hole.any() and (hole[:10] == 0).all() and (hole[-6:] == 0).all()
