"""Training the restoration networks: it learns, checkpoints, resumes exactly, and refuses bad data clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import torch
from safetensors.torch import load_file

from artstudio.jobs.base import CancelToken, Cancelled, JobError, Preview, Progress, run_sync
from artstudio.jobs.train_restore import TrainRestoreRequest, run_train_restore
from artstudio.models.restore_models import load_restore_net

TINY_CONFIG = {"inpaint": {"width": 8}, "denoise": {"width": 8}, "sr": {"width": 8, "depth": 1}}


@pytest.fixture
def photos(tmp_path):
    """Three 64x80 photo-like images, one corrupt file and one too small to crop."""
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:80].astype(np.float32)
    for index in range(3):
        base = np.stack([np.sin(x / (5 + index)) * 80 + 120, y * 2 + 40, (x + y) + 30 * index], -1)
        image = np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(folder / f"photo{index}.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "tiny.png")
    return folder


def request(photos, out, task="denoise", **kwargs):
    values = dict(task=task, data=photos, out=out, name=f"test-{task}", steps=6, size=32, batch=4,
                  seed=3, lr=3e-3, checkpoint_every=3, preview_every=2, config=TINY_CONFIG.get(task, {}),
                  init="scratch")
    values.update(kwargs)
    return TrainRestoreRequest(**values)


@pytest.mark.parametrize("task", ["inpaint", "denoise", "sr"])
def test_training_writes_a_loadable_checkpoint_with_its_card(photos, tmp_path, task):
    events = []
    result = run_sync(run_train_restore(request(photos, tmp_path / "out", task), CancelToken()), events.append)
    assert result.step == 6 and result.images == 3 and len(result.skipped) == 2
    messages = [e.message for e in events if isinstance(e, Progress)]
    assert any("loss" in m and "images/s" in m for m in messages)
    assert any(isinstance(e, Preview) and e.image.dtype == np.uint8 for e in events)
    card = json.loads(result.card.read_text())
    assert card["task"] == task and card["step"] == 6 and card["seed"] == 3
    assert card["data"]["images"] == 3 and any("broken.jpg" in s for s in card["data"]["skipped"])
    assert card["command"].startswith(f"artstudio train {task} --data ")
    assert "--steps 6 --size 32" in card["command"] and card["hardware"]
    net = load_restore_net(result.weights)
    assert net.spec.task == task


def test_training_lowers_the_loss(photos, tmp_path):
    from artstudio.core.damage import bicubic_downscale

    clean = np.asarray(Image.open(photos / "photo1.png"))
    x = torch.from_numpy(bicubic_downscale(clean, 2).astype(np.float32) / 255).permute(2, 0, 1)[None]
    target = torch.from_numpy(clean.astype(np.float32) / 255).permute(2, 0, 1)[None]

    def error(steps):
        job = run_train_restore(request(photos, tmp_path / f"s{steps}", "sr", steps=steps, checkpoint_every=1000),
                                CancelToken())
        net = load_restore_net(run_sync(job).weights)
        with torch.inference_mode():
            return float((net(x, 2) - target).abs().mean())
    assert error(40) < 0.5 * error(1)


class CancelAtCheckpoint(CancelToken):
    """Cancels as soon as the checkpoint ``card`` exists (an interrupted run)."""

    def __init__(self, card) -> None:
        super().__init__()
        self.card = card

    def check(self) -> None:
        if self.card.exists():
            self.cancel()
        super().check()


@pytest.mark.parametrize("task", ["inpaint", "sr"])
def test_an_interrupted_run_resumes_exactly(photos, tmp_path, task):
    straight = run_sync(run_train_restore(request(photos, tmp_path / "a", task), CancelToken()))
    half = tmp_path / "b" / f"test-{task}.safetensors"
    with pytest.raises(Cancelled):
        run_sync(run_train_restore(request(photos, tmp_path / "b", task),
                                   CancelAtCheckpoint(half.with_suffix(".json"))))
    assert json.loads(half.with_suffix(".json").read_text())["step"] == 3
    resumed = run_sync(run_train_restore(request(photos, tmp_path / "b", task, resume=half), CancelToken()))
    assert resumed.step == 6
    a, b = load_file(str(straight.weights)), load_file(str(resumed.weights))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_refuses_another_network(photos, tmp_path):
    half = run_sync(run_train_restore(request(photos, tmp_path / "b", steps=3), CancelToken()))
    with pytest.raises(JobError, match="Cannot resume"):
        run_sync(run_train_restore(request(photos, tmp_path / "b", task="sr", resume=half.weights),
                                   CancelToken()))


def test_bad_folders_give_clear_errors(tmp_path, photos):
    with pytest.raises(JobError, match="does not exist"):
        run_sync(run_train_restore(request(tmp_path / "nowhere", tmp_path / "o"), CancelToken()))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(JobError, match="No images"):
        run_sync(run_train_restore(request(empty, tmp_path / "o"), CancelToken()))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"garbage")
    with pytest.raises(JobError, match="No usable images.*broken.png"):
        run_sync(run_train_restore(request(bad, tmp_path / "o"), CancelToken()))
    with pytest.raises(JobError, match="Unknown training task"):
        run_sync(run_train_restore(request(photos, tmp_path / "o", task="colourise"), CancelToken()))


def test_cancel_stops_training(photos, tmp_path):
    cancel = CancelToken()
    job = run_train_restore(request(photos, tmp_path / "o", steps=1000), cancel)
    next(job)
    cancel.cancel()
    with pytest.raises(Cancelled):
        run_sync(job)


def test_inpainting_can_train_on_chosen_damage_only(photos, tmp_path, monkeypatch):
    import artstudio.jobs.train_restore as train_restore

    drawn = []
    original = train_restore._training_mask
    monkeypatch.setattr(train_restore, "_training_mask",
                        lambda kind, side, seed: drawn.append(kind) or original(kind, side, seed))
    result = run_sync(run_train_restore(request(photos, tmp_path / "d", "inpaint", steps=3,
                                                damage=("strokes", "box")), CancelToken()))
    assert len(drawn) == 12 and set(drawn) <= {"strokes", "box"}
    assert json.loads(result.card.read_text())["command"].endswith("--damage strokes,box")
    with pytest.raises(JobError, match="Unknown damage 'scuffs'.*scratches, dust, strokes"):
        run_sync(run_train_restore(request(photos, tmp_path / "d", "inpaint", damage=("scuffs",)),
                                   CancelToken()))
