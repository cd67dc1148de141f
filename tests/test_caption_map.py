"""Learning from my captions: a ridge map from sentence embeddings to latents, its leave-one-out
error against the mean latent, its file, and the job that reads a folder of captioned pictures."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from artstudio.core.caption_map import (MIN_CAPTIONS, CaptionMapError, fit_caption_map, load_caption_map,
                                        loo_errors, map_path, save_caption_map)
from artstudio.jobs import describe as describe_jobs
from artstudio.jobs.base import CancelToken, JobError, run_sync
from artstudio.jobs.describe import DescribeRequest, LearnRequest, captioned_images, run_describe, run_learn_captions
from test_describe import FakeModel

E, D = 384, 16


def embeddings(n: int, rank: int = 6, seed: int = 0) -> np.ndarray:
    """Unit rows in a low-dimensional subspace, as sentence embeddings of related captions are."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, E))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_latents_that_follow_the_captions_are_predicted_far_better_than_the_mean():
    x = embeddings(30)
    z = x @ np.random.default_rng(1).standard_normal((E, D)) + 0.3
    cmap = fit_caption_map(x, z, "toy", "h1")
    assert cmap.loo_error < 0.01 * cmap.baseline_error and cmap.improvement > 0.99
    assert cmap.predict(x).shape == (30, D) and np.abs(cmap.predict(x[0]) - z[0]).max() < 0.05
    assert "leave-one-out error" in cmap.report() and "30 captioned pictures" in cmap.report()


def test_random_pairs_learn_nothing_and_the_report_says_so():
    x = embeddings(30)
    z = np.random.default_rng(2).standard_normal((30, D))
    cmap = fit_caption_map(x, z, "toy", "h1")
    assert cmap.loo_error > 0.9 * cmap.baseline_error and cmap.improvement < 0.1


def test_the_closed_form_leave_one_out_is_the_real_one():
    x, z = embeddings(12, seed=3), np.random.default_rng(4).standard_normal((12, 5))
    alphas, errors, baseline = loo_errors(x, z)
    alpha = alphas[5]
    brute = []
    for i in range(12):
        xs, zs = np.delete(x, i, 0).astype(float), np.delete(z, i, 0)
        mx, mz = xs.mean(0), zs.mean(0)
        w = np.linalg.solve((xs - mx).T @ (xs - mx) + alpha * np.eye(E), (xs - mx).T @ (zs - mz))
        brute.append(np.mean(((x[i] - mx) @ w + mz - z[i]) ** 2))
    assert errors[5] == pytest.approx(np.mean(brute), rel=1e-4)
    assert baseline == pytest.approx(np.mean([np.mean((np.delete(z, i, 0).mean(0) - z[i]) ** 2)
                                              for i in range(12)]), rel=1e-9)


def test_too_few_captions_are_refused_with_how_many_are_needed():
    with pytest.raises(CaptionMapError, match=f"at least {MIN_CAPTIONS} captioned pictures.*found 3"):
        fit_caption_map(embeddings(3), np.zeros((3, D)), "toy", "h1")


def test_a_map_file_round_trips_and_refuses_other_weights_and_damage(tmp_path):
    x = embeddings(10)
    cmap = fit_caption_map(x, x @ np.ones((E, D)), "my model/2", "h1")
    path = save_caption_map(map_path(tmp_path, "my model/2"), cmap)
    assert path.parent == tmp_path and path.name.endswith(".captions.npz")
    back = load_caption_map(path, "h1")
    assert np.array_equal(back.predict(x), cmap.predict(x)) and back.count == 10
    with pytest.raises(CaptionMapError, match="other weights"):
        load_caption_map(path, "h2")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CaptionMapError, match="damaged"):
        load_caption_map(path)
    np.savez(path, weights=np.zeros((2, 2)), evil=np.zeros(3))
    with pytest.raises(CaptionMapError, match="damaged"):
        load_caption_map(path)


# -- the job -------------------------------------------------------------------------------------

def captioned_folder(folder, captions: list[str | bytes | None]):
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i, caption in enumerate(captions):
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(folder / f"p{i:02d}.png")
        if caption is not None:
            data = caption if isinstance(caption, bytes) else caption.encode("utf-8")
            (folder / f"p{i:02d}.txt").write_bytes(data)
    return folder


def learn_request(folder, tmp_path, steps=2):
    return LearnRequest(folder, "dcgan-faces", "hash", map_path(tmp_path / "models", "dcgan-faces"),
                        tmp_path / "models", "cpu", steps=steps)


def test_a_folder_with_three_captioned_pictures_is_refused_with_the_line(tmp_path):
    folder = captioned_folder(tmp_path / "few", ["a man", "a woman", "a child", None, ""])
    with pytest.raises(JobError, match=r"needs at least 8 pictures with a caption .*'few' has 3 "
                                       r"\(skipped 2, e\.g\. p03\.png: no caption"):
        run_sync(run_learn_captions(learn_request(folder, tmp_path), CancelToken()))


def test_chinese_empty_and_unreadable_captions_do_not_crash(tmp_path):
    folder = captioned_folder(tmp_path / "mixed", ["微笑的老人", "", "   \n\t", b"\xff\xfe\x00bad", "улыбка",
                                                   "x" * 100_000])
    found, skipped = captioned_images(folder)
    assert [p.name for p, _ in found] == ["p00.png", "p04.png"] and found[0][1] == ["微笑的老人"]
    assert len(skipped) == 4 and all(": " in line and "\n" not in line for line in skipped)


def test_learning_from_captions_fits_saves_and_answers_descriptions(tmp_path, monkeypatch):
    monkeypatch.setattr(describe_jobs, "sentence_model", FakeModel)
    folder = captioned_folder(tmp_path / "faces", [f"a face number {i}" for i in range(9)] + ["笑脸"])
    result = run_sync(run_learn_captions(learn_request(folder, tmp_path), CancelToken()))
    assert result.map_path.is_file() and result.caption_map.count == 10
    assert "leave-one-out error" in result.message() and "for the mean latent" in result.message()
    answer = run_sync(run_describe(DescribeRequest("a face number 3", model_hash="hash",
                                                   map_path=result.map_path), CancelToken()))
    assert answer.latent is not None and answer.latent.shape == (100,) and answer.latent.dtype == np.float32
    other = run_sync(run_describe(DescribeRequest("a face", model_hash="other", map_path=result.map_path),
                                  CancelToken()))
    assert other.latent is None and any("other weights" in note for note in other.notes)
