"""Training GANs and VAEs: learning, exact resume, stop/cancel, registration, bad folders, DDP."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artstudio.core.dataset import prepare_dataset
from artstudio.jobs.base import CancelToken, Cancelled, JobError, Preview, run_sync
from artstudio.jobs.train_common import TrainControl, TrainLog, TrainStats
from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen


def write_folder(folder: Path, count: int = 8, side: int = 72, seed: int = 0) -> Path:
    """Simple synthetic pictures: a coloured square on a coloured ground, in a subfolder too."""
    rng = np.random.default_rng(seed)
    for index in range(count):
        image = np.empty((side, side + 8, 3), np.uint8)
        image[:] = rng.integers(0, 256, 3)
        y, x = rng.integers(4, side // 2, 2)
        image[y:y + side // 3, x:x + side // 3] = rng.integers(0, 256, 3)
        target = folder / ("sub" if index % 2 else "") / f"image{index}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(target)
    return folder


def request(tmp_path: Path, **changes) -> TrainGenRequest:
    base = dict(kind="gan", data=tmp_path / "data", out=tmp_path / "models", name="mine", preset="stable",
                size=64, steps=4, batch=4, width=8, seed=3, checkpoint_every=2, sample_every=2,
                device="cpu", crop="random")
    base.update(changes)
    return TrainGenRequest(**base)


@pytest.fixture
def data(tmp_path):
    return write_folder(tmp_path / "data")


def load_state(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


@pytest.mark.parametrize("preset", ["stable", "classic"])
def test_gan_resume_is_bit_exact(tmp_path, data, preset):
    straight = run_sync(run_train_gen(request(tmp_path, preset=preset, name="straight"), CancelToken()))
    first = run_sync(run_train_gen(request(tmp_path, preset=preset, name="split", steps=2), CancelToken()))
    assert first.step == 2
    resumed = run_sync(run_train_gen(
        request(tmp_path, preset=preset, name="split", resume=first.weights), CancelToken()))
    assert resumed.step == 4 and resumed.digest == straight.digest
    a, b = load_state(straight.weights), load_state(resumed.weights)
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    # and training really changed the generator
    other = run_sync(run_train_gen(request(tmp_path, preset=preset, name="short", steps=1), CancelToken()))
    assert other.digest != straight.digest


def test_vae_training_lowers_its_loss(tmp_path, data):
    import torch

    from artstudio.jobs.gen_trainers import VaeTrainer
    from artstudio.models.vae import negative_elbo

    tiles, _ = prepare_dataset(data, 64, "center")
    images = torch.from_numpy(tiles).permute(0, 3, 1, 2).float() / 255
    fresh = VaeTrainer(64, 16, 8, 5e-4, torch.device("cpu"), seed=3, steps=30)
    before = negative_elbo(fresh.model, images)
    result = run_sync(run_train_gen(request(tmp_path, kind="vae", latent=16, steps=30, batch=8, crop="center",
                                            lr=3e-3, checkpoint_every=30), CancelToken()))
    trained = VaeTrainer(64, 16, 8, 5e-4, torch.device("cpu"), seed=0, steps=30)
    trained.model.load_state_dict(load_state(result.weights))
    after = negative_elbo(trained.model, images)
    # BCE cannot go below the entropy of the pixel values themselves: compare the excess over it.
    p = images.clamp(1e-6, 1 - 1e-6)
    floor = float(-(p * p.log() + (1 - p) * (1 - p).log()).sum()) / len(images)
    assert after - floor < 0.8 * (before - floor), (floor, before, after)   # measured: 0.66


def test_trained_models_appear_in_the_explorer(tmp_path, data):
    from artstudio.models.generators import load_generator
    from artstudio.models.registry import find_model

    for kind in ("gan", "vae"):
        run_sync(run_train_gen(request(tmp_path, kind=kind, name=f"my-{kind}", steps=2), CancelToken()))
        spec = find_model(f"my-{kind}", tmp_path / "models")
        assert spec.kind == kind and spec.resolution == 64
        pixels = load_generator(spec, "cpu").render(np.zeros((2, spec.latent_dim), np.float32))
        assert pixels.shape == (2, 64, 64, 3) and pixels.dtype == np.uint8
    card = json.loads((tmp_path / "models" / "my-gan.json").read_text())
    assert card["step"] == 2 and card["seed"] == 3 and card["data"]["images"] == 8
    assert "artstudio train gan" in card["command"]
    assert sorted(p.name for p in (tmp_path / "models" / "my-gan.samples").iterdir()) == \
        ["step-000000.png", "step-000002.png"]


def test_events_stream_samples_stats_and_log(tmp_path, data):
    events = []
    run_sync(run_train_gen(request(tmp_path, steps=10), CancelToken()), events.append)
    stats = [e for e in events if isinstance(e, TrainStats)]
    assert [s.step for s in stats] == [5, 10] and set(stats[-1].losses) == {"D", "G"}
    assert stats[-1].images_per_second > 0 and stats[-1].eta_seconds == 0
    previews = [e for e in events if isinstance(e, Preview)]
    assert len(previews) == 1 + 5 and previews[0].image.shape == (6 * 66 + 2, 6 * 66 + 2, 3)
    log = [e.line for e in events if isinstance(e, TrainLog)]
    assert log[0].startswith("Data: 8 of 8 images") and log[-1] == "Checkpoint at step 10: mine.safetensors"


def test_stop_saves_and_registers(tmp_path, data):
    control = TrainControl()
    events = []

    def on_event(event):
        events.append(event)
        if isinstance(event, TrainStats):
            control.request_stop()

    result = run_sync(run_train_gen(request(tmp_path, steps=50, control=control), CancelToken()), on_event)
    assert result.stopped and result.step == 5
    assert json.loads(result.card.read_text())["step"] == 5


def test_closing_mid_run_keeps_the_last_step(tmp_path, data):
    cancel = CancelToken()
    job = run_train_gen(request(tmp_path, steps=50, checkpoint_every=100), cancel)
    for event in job:
        if isinstance(event, TrainStats):
            break
    job.close()                          # what the GUI runner does on shutdown
    assert json.loads((tmp_path / "models" / "mine.json").read_text())["step"] == 5
    job = run_train_gen(request(tmp_path, steps=50, checkpoint_every=100), cancel)
    with pytest.raises(Cancelled):
        for event in job:
            if isinstance(event, TrainStats) and event.step == 10:
                cancel.cancel()
    assert json.loads((tmp_path / "models" / "mine.json").read_text())["step"] == 10


def test_bad_folders_give_clear_messages(tmp_path):
    def error_of(folder: Path) -> str:
        with pytest.raises(JobError) as caught:
            run_sync(run_train_gen(request(tmp_path, data=folder), CancelToken()))
        return str(caught.value)

    assert "does not exist" in error_of(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no pictures here")
    assert "No images in" in error_of(tmp_path / "empty")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.png").write_bytes(b"\x89PNG not really")
    Image.fromarray(np.zeros((30, 30, 3), np.uint8)).save(tmp_path / "broken" / "tiny.jpg")
    message = error_of(tmp_path / "broken")
    assert "No usable images" in message and "a.png" in message and "smaller than 64 px" in message


def test_resume_refuses_a_different_recipe(tmp_path, data):
    first = run_sync(run_train_gen(request(tmp_path, steps=2), CancelToken()))
    with pytest.raises(JobError, match="width 8 .asked 16."):
        run_sync(run_train_gen(request(tmp_path, width=16, resume=first.weights), CancelToken()))
    more = run_sync(run_train_gen(request(tmp_path, width=None, steps=3, resume=first.weights), CancelToken()))
    assert more.step == 3       # the width left unset came from the checkpoint
    with pytest.raises(JobError, match="already at step 3"):
        run_sync(run_train_gen(request(tmp_path, steps=3, resume=first.weights), CancelToken()))
    (tmp_path / "junk.train.safetensors").write_bytes(b"junk")
    with pytest.raises(JobError, match="not a readable training state"):
        run_sync(run_train_gen(request(tmp_path, resume=tmp_path / "junk.train.safetensors"), CancelToken()))


def test_dataset_is_cached_and_reports_skips(tmp_path, data):
    (data / "broken.jpg").write_bytes(b"garbage")
    tiles, report = prepare_dataset(data, 64, "random", tmp_path / "cache")
    assert tiles.shape == (8, 72, 72, 3) and not report.cached and report.found == 9
    assert report.skipped == ("broken.jpg: " + report.skipped[0].split(": ", 1)[1],)
    again, report2 = prepare_dataset(data, 64, "random", tmp_path / "cache")
    assert report2.cached and np.array_equal(again, tiles) and report2.skipped == report.skipped
    Image.fromarray(np.zeros((80, 80, 3), np.uint8)).save(data / "new.png")
    _, report3 = prepare_dataset(data, 64, "random", tmp_path / "cache")
    assert not report3.cached and report3.used == 9


def test_dataset_cache_keeps_the_most_recently_used_folders(tmp_path, monkeypatch):
    import artstudio.core.dataset as dataset

    monkeypatch.setattr(dataset, "CACHE_KEEP", 2)
    folders = [write_folder(tmp_path / f"set{i}", count=2, seed=i) for i in range(3)]
    cache = tmp_path / "cache"
    prepare_dataset(folders[0], 64, cache_dir=cache)
    prepare_dataset(folders[1], 64, cache_dir=cache)
    assert prepare_dataset(folders[0], 64, cache_dir=cache)[1].cached      # used again: now the newest
    prepare_dataset(folders[2], 64, cache_dir=cache)                         # evicts set1, not set0
    assert len(list((cache / "datasets").glob("*.npy"))) == 2
    assert prepare_dataset(folders[0], 64, cache_dir=cache)[1].cached
    assert not prepare_dataset(folders[1], 64, cache_dir=cache)[1].cached


def _ddp_worker(rank: int, world: int, port: int, folder: str, out: str, queue) -> None:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        req = TrainGenRequest(kind="gan", data=Path(folder), out=Path(out), name="ddp", preset="stable",
                              size=64, steps=3, batch=2, width=8, seed=5, device="cpu", checkpoint_every=10)
        result = run_sync(run_train_gen(req, CancelToken()))
        queue.put((rank, result.digest))
    finally:
        dist.destroy_process_group()


def test_ddp_ranks_hold_identical_weights(tmp_path, data):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = mp.get_context("spawn")
    queue = context.Queue()
    mp.start_processes(_ddp_worker, args=(2, port, str(data), str(tmp_path / "models"), queue), nprocs=2,
                       join=True, start_method="spawn")
    digests = dict(queue.get(timeout=10) for _ in range(2))
    assert digests[0] == digests[1]
    single = run_sync(run_train_gen(request(tmp_path, name="single", steps=3, batch=2, seed=5,
                                            crop="center"), CancelToken()))
    assert single.digest != digests[0]      # the ranks did train together, on different batches
    assert (tmp_path / "models" / "ddp.safetensors").exists()


def test_a_trained_vae_projects_a_picture_with_its_encoder(tmp_path, data):
    from artstudio.jobs.base import Progress
    from artstudio.jobs.generate import ProjectRequest, clear_generator_cache, run_project

    run_sync(run_train_gen(request(tmp_path, kind="vae", latent=16, steps=3), CancelToken()))
    clear_generator_cache()
    picture = np.asarray(Image.open(data / "image0.png").convert("RGB"))
    events = []
    z = run_sync(run_project(ProjectRequest("mine", picture, steps=50, user_dir=tmp_path / "models",
                                            device="cpu"), CancelToken()), events.append)
    assert z.shape == (16,) and np.isfinite(z).all()
    assert len([e for e in events if isinstance(e, Progress)]) == 2      # start, done: not 50 steps
    mask = np.zeros(picture.shape[:2], np.uint8)
    mask[:30] = 255
    events.clear()
    refined = run_sync(run_project(ProjectRequest("mine", picture, mask, steps=5, user_dir=tmp_path / "models",
                                                  device="cpu"), CancelToken()), events.append)
    assert len([e for e in events if isinstance(e, Progress)]) == 1 + 5 and refined.shape == (16,)
