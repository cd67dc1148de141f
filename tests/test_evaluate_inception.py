"""The FID Inception (pt_inception-2015-12-05): layout, preprocessing, and a file refused unless it is the one.

The real weights cannot be had here, so a randomly initialised network of
the same layout is saved the way the official file was (``torch.save`` of a
state dict) and loaded with its own digest passed in.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from artstudio.models.inception import (INCEPTION_FILE, INCEPTION_SHA256, FIDInceptionV3, _tf_avg_pool,
                                        load_inception)
from artstudio.models.registry import ModelError, sha256_file


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inception")
    torch.manual_seed(0)
    net = FIDInceptionV3().eval()
    for module in net.modules():          # variance-keeping filters: torch's default init shrinks the
        if isinstance(module, torch.nn.Conv2d):   # signal to denormal floats 94 layers down (100x slower)
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    path = folder / "random-inception.pth"
    torch.save(net.state_dict(), path)
    return net, path, sha256_file(path)


def test_the_layout_is_the_official_files_566_tensors():
    state = FIDInceptionV3().state_dict()
    assert len(state) == 566                          # what the official file holds, counters included
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["Conv2d_1a_3x3.conv.weight"] == (32, 3, 3, 3)
    assert shapes["Mixed_5b.branch_pool.conv.weight"] == (32, 192, 1, 1)
    assert shapes["Mixed_6e.branch7x7_2.conv.weight"] == (192, 192, 1, 7)
    assert shapes["Mixed_7b.branch3x3dbl_1.conv.weight"] == (448, 1280, 1, 1)
    assert shapes["Mixed_7c.branch_pool.conv.weight"] == (192, 2048, 1, 1)
    assert shapes["fc.weight"] == (1008, 2048)
    assert not any(k.startswith("AuxLogits") for k in state) and "Mixed_7c.branch_pool.bn.running_var" in state


def test_a_file_of_that_layout_loads_with_its_digest_and_gives_2048_features(saved, monkeypatch):
    net, path, digest = saved
    monkeypatch.setattr("artstudio.models.inception.RESIZE", 75)     # the smallest input v3 takes: 16x fewer FLOPs
    loaded = load_inception(path, sha256=digest)
    state, original = loaded.state_dict(), net.state_dict()
    assert all(torch.equal(state[k], original[k]) for k in original if not k.endswith("num_batches_tracked"))
    image = np.random.default_rng(0).integers(0, 256, (1, 40, 40, 3), dtype=np.uint8)
    features = loaded.extract(image)
    assert features.shape == (1, 2048) and np.isfinite(features).all() and features.std() > 0


def test_any_file_but_the_official_one_is_refused_by_its_sha256(saved, tmp_path):
    _, path, digest = saved
    with pytest.raises(ModelError) as error:
        load_inception(path)                                    # the pinned digest: not this file
    assert f"is not {INCEPTION_FILE} (sha256 mismatch" in str(error.value)
    tampered = tmp_path / INCEPTION_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256 mismatch"):
        load_inception(tampered, sha256=digest)
    assert INCEPTION_SHA256.startswith("6726825d")              # the prefix in pytorch-fid's file name


def test_a_verified_file_of_another_layout_or_with_code_is_refused(tmp_path):
    with torch.device("meta"):
        layout = FIDInceptionV3().state_dict()
    partial = {k: torch.zeros(v.shape) for k, v in layout.items() if k.startswith("Conv2d_1a")}
    wrong = tmp_path / "wrong.pth"
    torch.save(partial, wrong)
    with pytest.raises(ModelError, match="does not match the FID Inception-v3.*missing Conv2d_2a"):
        load_inception(wrong, sha256=sha256_file(wrong))
    pickled = tmp_path / "code.pth"
    torch.save({"weights": torch.zeros(3), "hook": _Hostile()}, pickled)
    with pytest.raises(ModelError, match="cannot be read as weights"):
        load_inception(pickled, sha256=sha256_file(pickled))


class _Hostile:
    """Unpickling this would run code; weights_only=True must refuse it."""

    def __reduce__(self):
        return (print, ("unpickled!",))


class _Seen(Exception):
    """Stops the forward pass once the first layer's input is known."""


def test_preprocessing_is_a_299_px_bilinear_resize_to_minus_one_to_one(saved):
    net = saved[0]
    seen = []

    def look(module, args):
        seen.append(args[0])
        raise _Seen

    handle = net.Conv2d_1a_3x3.register_forward_pre_hook(look)
    white, black = np.full((1, 64, 64, 3), 255, np.uint8), np.zeros((1, 64, 64, 3), np.uint8)
    with pytest.raises(_Seen):
        net.extract(np.concatenate([white, black]))
    handle.remove()
    batch = seen[0]
    assert batch.shape == (2, 3, 299, 299)
    assert torch.allclose(batch[0], torch.ones_like(batch[0])) and torch.allclose(batch[1], -torch.ones_like(batch[1]))


def test_average_pools_leave_the_padding_out_as_tensorflow_does():
    ones = torch.ones(1, 2, 5, 5)
    assert torch.allclose(_tf_avg_pool(ones), ones)             # torch's default would give 4/9 in the corners


def test_an_evaluation_with_a_verified_file_reports_fid_and_says_so(saved, tmp_path, monkeypatch):
    from artstudio.core.paths import AppPaths
    from artstudio.jobs.base import CancelToken, run_sync
    from artstudio.jobs.evaluate import COMPARABLE, FID, KID_INCEPTION, EvaluateRequest, run_evaluate
    from test_evaluate_cli import tiny_gan, write_photos

    monkeypatch.setattr("artstudio.core.metrics.MIN_IMAGES", 8)            # a handful: Inception is slow
    monkeypatch.setattr("artstudio.models.inception.RESIZE", 75)
    models = AppPaths.from_environment().models
    tiny_gan(models)
    request = EvaluateRequest(model="tiny-gan", data=write_photos(tmp_path / "real", 8), samples=8,
                              device="cpu", user_dir=models, inception=saved[1], inception_sha256=saved[2])
    result = run_sync(run_evaluate(request, CancelToken()))
    assert np.isfinite(result.figures[FID]) and result.figures[FID] > 0 and KID_INCEPTION in result.figures
    assert result.comparable_with_papers and result.notes == (COMPARABLE,)
