"""Caption-conditioned GANs: training, registration, rendering what a caption says, recipes, bad input."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image

from artstudio.core.caption_scenes import write_scenes
from artstudio.core.latent import sample_latent
from artstudio.jobs.base import CancelToken, JobError, run_sync
from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen
from artstudio.models.generators import load_generator
from artstudio.models.registry import list_models, resolve


def request(tmp_path, **changes) -> TrainGenRequest:
    base = dict(kind="cgan", data=tmp_path / "data", out=tmp_path / "models", name="words", size=32,
                steps=4, batch=8, width=8, seed=1, checkpoint_every=2, sample_every=2, device="cpu")
    base.update(changes)
    return TrainGenRequest(**base)


@pytest.fixture
def scenes(tmp_path):
    write_scenes(tmp_path / "data", 40, seed=2)
    return tmp_path / "data"


def test_a_trained_cgan_is_listed_and_draws_the_caption_it_is_given(tmp_path, scenes):
    result = run_sync(run_train_gen(request(tmp_path), CancelToken()))
    spec = next(s for s in list_models(tmp_path / "models") if s.name == "words")
    assert spec.kind == "cgan" and spec.resolution == 32 and spec.what() == "a caption-conditioned GAN generator"
    generator = load_generator(spec, "cpu")
    z = sample_latent(spec.latent_dim, 5)[None]
    red = generator.render(z, caption="a red circle on a black background")
    again = generator.render(np.repeat(z, 3, 0), caption="a red circle on a black background")
    blue = generator.render(z, caption="three blue squares on a white background")
    assert red.shape == (1, 32, 32, 3) and (again == red).all()          # same caption, same pixels
    assert not (red == blue).all()                                       # another caption, another picture
    assert generator.unknown_words("a red zebra") == ["zebra"]
    assert result.step == 4 and (tmp_path / "models" / "words.samples" / "step-000004.png").is_file()


def test_resuming_a_cgan_is_bit_exact(tmp_path, scenes):
    straight = run_sync(run_train_gen(request(tmp_path, name="straight"), CancelToken()))
    run_sync(run_train_gen(request(tmp_path, name="split", steps=2), CancelToken()))
    resumed = run_sync(run_train_gen(request(tmp_path, name="split", resume=tmp_path / "models" / "split.json"),
                                     CancelToken()))
    assert resumed.digest == straight.digest


@pytest.mark.timeout(180)      # 120 real training steps: ~8 s alone on 2 cores, slower on a loaded machine
def test_the_caption_steers_a_short_training_run(tmp_path):
    """White or black grounds with a grey square anywhere, captioned so: a few steps already follow the word."""
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    for index in range(24):
        word = "white" if index % 2 else "black"
        picture = np.full((32, 32, 3), 240 if index % 2 else 15, np.uint8)
        y, x = rng.integers(2, 22, 2)
        picture[y:y + 8, x:x + 8] = 128
        Image.fromarray(picture).save(data / f"{index}.png")
        (data / f"{index}.txt").write_text(f"a square on {word}\n", encoding="utf-8")
    run_sync(run_train_gen(request(tmp_path, steps=120, batch=12, checkpoint_every=120, lr=2e-3), CancelToken()))
    generator = load_generator(resolve("words", user_dir=tmp_path / "models"), "cpu")
    z = np.stack([sample_latent(64, seed) for seed in range(6)])

    def border(images):
        return np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]]).astype(float).mean()

    white, black = border(generator.render(z, caption="a square on white")), \
        border(generator.render(z, caption="a square on black"))
    assert white - black > 60, (white, black)


def test_sentence_conditioning_without_the_text_extra_is_one_line(tmp_path, scenes, monkeypatch):
    from artstudio.models import sentence

    monkeypatch.setattr(sentence, "_loaded", None)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(JobError, match=r"pip install 'artstudio\[text\]'"):
        run_sync(run_train_gen(request(tmp_path, text="sentence"), CancelToken()))
    assert not (tmp_path / "models" / "words.safetensors").exists()


def test_sentence_conditioning_trains_and_renders(tmp_path, scenes):
    run_sync(run_train_gen(request(tmp_path, text="sentence", steps=2), CancelToken()))
    spec = resolve("words", user_dir=tmp_path / "models")
    assert spec.options["text"] == "sentence" and "vocabulary" not in spec.options
    generator = load_generator(spec, "cpu")
    z = sample_latent(64, 1)[None]
    # Words the training captions never used still mean something to a sentence model.
    a = generator.render(z, caption="deux cercles rouges sur fond noir")
    b = generator.render(z, caption="")
    assert a.shape == (1, 32, 32, 3) and not (a == b).all() and generator.unknown_words("zèbre") == []


def test_rendering_a_sentence_cgan_without_the_text_extra_is_one_line(tmp_path, scenes, monkeypatch):
    from artstudio.jobs.generate import RenderRequest, clear_generator_cache, run_render
    from artstudio.models import sentence

    run_sync(run_train_gen(request(tmp_path, text="sentence", steps=1), CancelToken()))
    clear_generator_cache()
    monkeypatch.setattr(sentence, "_loaded", None)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    render = RenderRequest("words", sample_latent(64, 1)[None], user_dir=tmp_path / "models", device="cpu",
                           caption="a red circle")
    with pytest.raises(JobError, match=r"optional text extra: pip install 'artstudio\[text\]'"):
        run_sync(run_render(render, CancelToken()))
    clear_generator_cache()


def test_bad_text_encoder_and_uncaptioned_folders_are_refused(tmp_path, scenes):
    with pytest.raises(JobError, match="Unknown text encoder 'lstm'"):
        run_sync(run_train_gen(request(tmp_path, text="lstm"), CancelToken()))
    empty = tmp_path / "plain"
    empty.mkdir()
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(empty / "x.png")
    with pytest.raises(JobError, match="No captioned images"):
        run_sync(run_train_gen(request(tmp_path, data=empty), CancelToken()))


def test_a_card_with_a_damaged_vocabulary_is_refused_on_load(tmp_path, scenes):
    import json

    from artstudio.models.specs import ModelError

    run_sync(run_train_gen(request(tmp_path, steps=2), CancelToken()))
    card = tmp_path / "models" / "words.json"
    data = json.loads(card.read_text())
    data["config"]["vocabulary"] = ["ok", 7]
    card.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="invalid config"):
        load_generator(resolve("words", user_dir=tmp_path / "models"), "cpu")


def test_evaluating_a_cgan_asks_it_for_the_real_pictures_captions(tmp_path, monkeypatch):
    from artstudio.jobs.evaluate import EvaluateRequest, run_evaluate
    from artstudio.models.generators import CaptionGanGenerator

    write_scenes(tmp_path / "data", 200, seed=6)
    run_sync(run_train_gen(request(tmp_path, steps=1), CancelToken()))
    asked = []
    render = CaptionGanGenerator.render
    monkeypatch.setattr(CaptionGanGenerator, "render",
                        lambda self, z, size=None, caption="": asked.append(caption) or render(self, z, size, caption))
    result = run_sync(run_evaluate(EvaluateRequest("words", tmp_path / "data", samples=200, device="cpu",
                                                   user_dir=tmp_path / "models"), CancelToken()))
    captions = {(tmp_path / "data" / f"{i:05d}.txt").read_text(encoding="utf-8").strip() for i in range(200)}
    assert len(asked) == 200 and set(asked) <= captions and len(set(asked)) > 100
    assert result.samples == 200 and "KID (ArtStudio features)" in result.figures


@pytest.mark.parametrize("name", ["shapes-captions", "shapes-captions-sentence"])
def test_the_shipped_demo_models_draw_what_their_caption_says(name):
    from artstudio.core.caption_check import read_scene

    generator = load_generator(resolve(name, user_dir=None), "cpu")
    z = np.stack([sample_latent(64, seed) for seed in range(12)])
    for caption, colour, background in (("two red circles on a black background", "red", "black"),
                                        ("a white background with three blue squares", "blue", "white"),
                                        ("a green triangle on a grey background", "green", "grey")):
        readings = [read_scene(image) for image in generator.render(z, caption=caption)]
        assert sum(r.colour == colour for r in readings) >= 9, (caption, readings)
        assert sum(r.background == background for r in readings) >= 9, (caption, readings)
    first, second = generator.render(z[:2], caption="two red circles on a black background").astype(float)
    assert np.abs(first - second).mean() > 5          # the seed matters: not one picture per caption
