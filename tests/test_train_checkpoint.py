"""One checkpoint format for every trainer: kill-safe, verified on resume, damaged files in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from artstudio.core import file_commit
from artstudio.jobs.base import CancelToken, JobError, run_sync
from artstudio.core.checkpoint_files import recover_folder
from artstudio.models.cards import scan_cards
from artstudio.jobs.train_common import TrainControl
from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen
from artstudio.jobs.train_restore import TrainRestoreRequest, run_train_restore
from artstudio.models.generators import load_generator
from artstudio.models.registry import ModelError, find_model
from artstudio.models.restore_models import load_restore_net
from cli_helpers import one_error_line, run_cli
from test_train_gen import write_folder


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("photos"), count=3, side=64)


def restore_request(photos, out, steps, **changes):
    values = dict(task="denoise", data=photos, out=out, name="run", steps=steps, size=32, batch=2, seed=1,
                  lr=3e-3, init="scratch", config={"width": 8}, checkpoint_every=2, preview_every=0)
    return TrainRestoreRequest(**{**values, **changes})


def gen_request(photos, out, steps, **changes):
    values = dict(kind="vae", data=photos, out=out, name="run", steps=steps, batch=2, seed=1, width=8,
                  latent=8, checkpoint_every=2, sample_every=0, device="cpu")
    return TrainGenRequest(**{**values, **changes})


KINDS = {"denoise": (restore_request, run_train_restore), "vae": (gen_request, run_train_gen)}


def train(kind, photos, out, steps, **changes):
    make, job = KINDS[kind]
    return run_sync(job(make(photos, out, steps, **changes), CancelToken()))


def loads(kind, out: Path) -> int:
    """Load ``run`` through the app's own checksum-first loader; returns its card's step."""
    card = json.loads((out / "run.json").read_text())
    if kind == "denoise":
        load_restore_net(out / "run.safetensors")
    else:
        load_generator(find_model("run", out), device="cpu")
    return card["step"]


class Killed(BaseException):
    """A kill -9: nothing after it runs (not even ``except Exception`` clean-ups)."""


def arm(monkeypatch, at: int) -> list:
    """Make the ``at``-th file operation of a commit (flush of a part, a rename) the last one."""
    calls = []

    def counted(original, label):
        def wrapper(*args):
            calls.append(label)
            if len(calls) == at + 1:
                raise Killed()
            return original(*args)
        return wrapper
    monkeypatch.setattr(file_commit, "_flush", counted(file_commit._flush, "flush"))
    monkeypatch.setattr(file_commit, "_replace", counted(file_commit._replace, "rename"))
    return calls


class StopAtFirstCheckpoint(TrainControl):
    """Stops a run once its card exists: a run of N steps with its checkpoint at step 2."""

    def __init__(self, card: Path) -> None:
        super().__init__()
        self.card = card

    @property
    def stop_requested(self) -> bool:
        return self.card.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_at_any_point_of_a_save_leaves_a_consistent_checkpoint(kind, photos, tmp_path, monkeypatch):
    # Both trainers' schedules (cosine rate, KL warm-up) depend on the step count: every run asks for 6.
    straight = train(kind, photos, tmp_path / "straight", 6)
    base = tmp_path / "base"
    assert train(kind, photos, base, 6, control=StopAtFirstCheckpoint(base / "run.json")).step == 2
    outcomes = []
    for at in range(8):        # 3 parts and the manifest flushed, the manifest and 3 parts renamed
        out = tmp_path / f"kill{at}"
        shutil.copytree(base, out)
        calls = arm(monkeypatch, at)
        with pytest.raises(Killed):              # in the checkpoint at step 4
            train(kind, photos, out, 6, resume=out / "run.safetensors")
        monkeypatch.undo()
        committed = "rename" in calls[:-1]          # the manifest's rename is the first one
        if not committed:
            assert loads(kind, out) == 2            # untouched: usable before anything recovers it
        else:                                       # listing the folder finishes the save first
            listed = {spec.name: spec for spec in scan_cards(out).specs}
            assert "run" in listed and json.loads((out / "run.json").read_text())["step"] == 4
        recover_folder(out)                         # what the next start (window or CLI) does
        assert not list(out.glob("*.tmp")) and not list(out.glob("*.commit"))
        step = loads(kind, out)
        resumed = train(kind, photos, out, 6, resume=out / "run.safetensors")
        assert resumed.digest == straight.digest    # the state resumed matches the card's step exactly
        outcomes.append(step)
    assert calls == ["flush"] * 4 + ["rename"] * 4
    assert outcomes == [2, 2, 2, 2, 2, 4, 4, 4]      # the manifest's rename is the commit point


def test_stale_temporaries_of_a_killed_save_are_removed_by_the_next_save(photos, tmp_path):
    out = tmp_path / "o"
    train("denoise", photos, out, 2)
    for stale in ("run.safetensors.tmp", "run.json.tmp", "run.train.safetensors.tmp", "run.commit.tmp"):
        (out / stale).write_bytes(b"half a file")
    train("denoise", photos, out, 4, resume=out / "run.safetensors")
    assert sorted(p.name for p in out.iterdir()) == ["run.json", "run.safetensors", "run.train.safetensors"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped"])
def test_a_damaged_train_state_is_one_line(damage, photos, tmp_path, capsys):
    out = tmp_path / "o"
    train("denoise", photos, out, 2)
    state = out / "run.train.safetensors"
    data = bytearray(state.read_bytes())
    if damage == "garbage":
        data = bytearray(b"not a safetensors file at all")
    elif damage == "truncated":
        data = data[:len(data) - 100]
    else:
        data[-5] ^= 0xFF                      # one bit of Adam's state: only the digest can tell
    state.write_bytes(bytes(data))
    with pytest.raises(JobError) as error:
        train("denoise", photos, out, 4, resume=out / "run.safetensors")
    assert "\n" not in str(error.value) and "run.train.safetensors" in str(error.value)
    if damage == "flipped":
        assert "checksum mismatch" in str(error.value)


def test_resume_of_a_damaged_state_from_the_cli_prints_one_line(photos, tmp_path, capsys, monkeypatch):
    assert run_cli("train", "denoise", "--data", photos, "--out", "mine", "--steps", "1", "--size", "32",
                   "--batch", "2", "--init", "scratch", "--width", "8", "-q") == 0
    models = Path(__import__("os").environ["ARTSTUDIO_HOME"]) / "models"
    (models / "mine.train.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")
    code = run_cli("train", "denoise", "--data", photos, "--out", "mine", "--steps", "2", "--size", "32",
                   "--batch", "2", "--init", "scratch", "--width", "8", "--resume", "mine", "-q")
    assert code == 1 and "mine.train.safetensors" in one_error_line(capsys)


def test_an_old_restoration_checkpoint_is_refused_in_one_line(photos, tmp_path):
    out = tmp_path / "o"
    train("denoise", photos, out, 2)
    # The format the restoration trainer wrote before: Adam's moments only, no metadata.
    save_file({"0.exp_avg": torch.zeros(3), "0.exp_avg_sq": torch.zeros(3), "0.step": torch.ones(1)},
              str(out / "run.train.safetensors"))
    with pytest.raises(JobError, match="older ArtStudio") as error:
        train("denoise", photos, out, 4, resume=out / "run.safetensors")
    assert "\n" not in str(error.value)


def test_resume_refuses_a_different_recipe(photos, tmp_path):
    out = tmp_path / "o"
    train("denoise", photos, out, 2)
    with pytest.raises(JobError, match=r"Cannot resume.*batch 2 \(asked 3\)"):
        train("denoise", photos, out, 4, resume=out / "run.safetensors", batch=3)


@pytest.mark.parametrize("kind, error", [("denoise", "oom"), ("vae", "runtime")])
def test_out_of_memory_saves_the_last_step_then_stops_in_one_line(kind, error, photos, tmp_path, monkeypatch):
    import artstudio.jobs.train_run as train_run

    original = train_run.Loop.__init__

    def failing_at_step_3(self, *args, **kwargs):
        original(self, *args, **kwargs)
        step = self.step

        def hook(k):
            if k == 3:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB") \
                    if error == "oom" else RuntimeError("[enforce fail] DefaultCPUAllocator: out of memory")
            return step(k)
        self.step = hook
    monkeypatch.setattr(train_run.Loop, "__init__", failing_at_step_3)
    out = tmp_path / "o"
    with pytest.raises(JobError, match="Out of memory at step 4; step 3 is saved") as raised:
        train(kind, photos, out, 10, checkpoint_every=100)
    assert "\n" not in str(raised.value)
    monkeypatch.undo()
    assert loads(kind, out) == 3
    straight = train(kind, photos, tmp_path / "straight", 10, checkpoint_every=100)
    resumed = train(kind, photos, out, 10, resume=out / "run.safetensors", checkpoint_every=100)
    assert resumed.step == 10 and resumed.digest == straight.digest


def test_other_runtime_errors_are_not_taken_for_out_of_memory(photos, tmp_path, monkeypatch):
    import artstudio.jobs.train_restore as train_restore

    monkeypatch.setattr(train_restore, "_loss", lambda *a: (_ for _ in ()).throw(RuntimeError("shape")))
    with pytest.raises(RuntimeError, match="shape"):
        train("denoise", photos, tmp_path / "o", 4)
    assert not (tmp_path / "o" / "run.json").exists()


def test_a_card_always_matches_its_weights_and_the_state_holds_them(photos, tmp_path):
    out = tmp_path / "o"
    train("denoise", photos, out, 4)
    card = json.loads((out / "run.json").read_text())
    assert card["sha256"] == file_commit.sha256_of(out / "run.safetensors") and card["step"] == 4
    weights, state = load_file(str(out / "run.safetensors")), load_file(str(out / "run.train.safetensors"))
    assert all(torch.equal(state[f"net.{k}"], v) for k, v in weights.items())
    (out / "run.safetensors").write_bytes((out / "run.safetensors").read_bytes()[:-1] + b"\x00")
    with pytest.raises(ModelError, match="checksum"):
        load_restore_net(out / "run.safetensors")


def test_a_v1_generator_state_still_resumes(photos, tmp_path):
    from safetensors import safe_open

    straight = train("vae", photos, tmp_path / "straight", 6)
    out = tmp_path / "o"
    assert train("vae", photos, out, 6, control=StopAtFirstCheckpoint(out / "run.json")).step == 2
    state = out / "run.train.safetensors"
    with safe_open(str(state), framework="pt") as handle:
        meta = json.loads(handle.metadata()["artstudio"])
    meta["format"] = "artstudio-train-state-v1"       # what GAN/VAE runs wrote before: no digest
    del meta["tensors_sha256"]
    save_file(load_file(str(state)), str(state), metadata={"artstudio": json.dumps(meta)})
    resumed = train("vae", photos, out, 6, resume=out / "run.safetensors")
    assert resumed.step == 6 and resumed.digest == straight.digest
