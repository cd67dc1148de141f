"""Generation jobs driven headless: render, export, projection, the generator cache."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch  # noqa: F401  (a hard dependency: without it these tests fail, never skip)
from PIL import Image

from artstudio.core.rect import Rect
from artstudio.jobs.base import CancelToken, Cancelled, JobError, Preview, Progress, run_sync
from artstudio.jobs.generate import (ExportRequest, ProjectRequest, RenderRequest,
                                     clear_generator_cache, get_generator, run_export, run_project,
                                     run_render)
from artstudio.models.registry import ModelError
from test_models import latents, write_tiny_gan


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_generator_cache()
    yield
    clear_generator_cache()


@pytest.fixture
def tiny(tmp_path):
    """A user folder holding a random 32x32 DCGAN called 'tiny' (latent 16)."""
    folder = tmp_path / "models"
    write_tiny_gan(folder)
    return folder


def collect(job):
    events = []
    result = run_sync(job, events.append)
    return result, events


class CancelAfter(CancelToken):
    """Cancels itself once ``count`` Progress events have been seen by ``collect``-like loops."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.left = count

    def tick(self, event) -> None:
        if isinstance(event, Progress):
            self.left -= 1
            if self.left <= 0:
                self.cancel()


# -- render ----------------------------------------------------------------------------------

def test_render_job_matches_the_generator_and_reports_progress(tiny):
    z = latents(6, 16)
    images, events = collect(run_render(RenderRequest("tiny", z, user_dir=tiny), CancelToken()))
    assert images.shape == (6, 32, 32, 3) and images.dtype == np.uint8
    assert np.array_equal(images, get_generator("tiny", tiny).render(z))
    fractions = [e.fraction for e in events if isinstance(e, Progress)]
    assert fractions[-1] == 1.0 and len(fractions) == 2            # chunks of 4


def test_render_job_for_a_cppn_at_any_size_and_an_empty_batch():
    images, _ = collect(run_render(RenderRequest("cppn-ink", latents(2, 8), size=40), CancelToken()))
    assert images.shape == (2, 40, 40, 3)
    assert np.array_equal(images[..., 0], images[..., 2])          # mono preset
    empty, _ = collect(run_render(RenderRequest("cppn", np.zeros((0, 8), np.float32), size=40), CancelToken()))
    assert empty.shape == (0, 40, 40, 3)


def test_render_job_cancels_between_chunks(tiny):
    token = CancelAfter(1)
    with pytest.raises(Cancelled):
        run_sync(run_render(RenderRequest("tiny", latents(12, 16), user_dir=tiny), token), token.tick)


def test_unknown_model_or_wrong_latent_is_a_clear_error(tiny):
    with pytest.raises(ModelError, match="Unknown model 'nope'") as info:
        collect(run_render(RenderRequest("nope", latents(1, 8)), CancelToken()))
    assert isinstance(info.value, JobError)      # the job runner shows the message as is
    with pytest.raises(JobError, match=r"takes latents of shape \(N, 16\); got \(1, 8\)"):
        collect(run_render(RenderRequest("tiny", latents(1, 8), user_dir=tiny), CancelToken()))


# -- export ----------------------------------------------------------------------------------

def test_cppn_export_in_tiles_equals_the_direct_render():
    z = latents(1, 8, first_seed=5)[0]
    image, events = collect(run_export(ExportRequest("cppn", z, (300, 200), tile=128), CancelToken()))
    direct = get_generator("cppn").render_tile(z, (300, 200), Rect(0, 0, 300, 200))
    assert image.shape == (200, 300, 3)
    assert np.abs(image.astype(int) - direct).max() <= 1
    tiles = [e.message for e in events if isinstance(e, Progress)]
    assert len(tiles) == 6 and tiles[-1].endswith("tile 6 of 6")   # 3 x 2 tiles of 128


def test_cppn_export_can_be_cancelled_mid_way():
    token = CancelAfter(2)
    with pytest.raises(Cancelled):
        run_sync(run_export(ExportRequest("cppn", latents(1, 8)[0], 512, tile=128), token), token.tick)


def test_gan_export_without_a_super_resolution_network_uses_lanczos(tiny, monkeypatch):
    import artstudio.jobs.upscale as upscale

    def not_installed(request, cancel):
        raise JobError("The super-resolution network is not installed")
        yield

    monkeypatch.setattr(upscale, "run_upscale", not_installed)
    z = latents(1, 16, first_seed=2)[0]
    image, _ = collect(run_export(ExportRequest("tiny", z, 100, user_dir=tiny), CancelToken()))
    native = get_generator("tiny", tiny).render(z[None])[0]
    expected = np.asarray(Image.fromarray(native).resize((100, 100), Image.LANCZOS))
    assert image.shape == (100, 100, 3) and np.array_equal(image, expected)


def test_gan_export_enlarges_with_the_super_resolution_network(tiny):
    from artstudio.jobs.upscale import UpscaleRequest, run_upscale

    z = latents(1, 16, first_seed=2)[0]
    native = get_generator("tiny", tiny).render(z[None])[0]
    side = native.shape[0] * 4
    image, events = collect(run_export(ExportRequest("tiny", z, side, user_dir=tiny), CancelToken()))
    assert any("super-resolution" in e.message for e in events)
    expected, _ = collect(run_upscale(UpscaleRequest(native, 4, "net", previews=False), CancelToken()))
    assert image.shape == (side, side, 3) and np.array_equal(image, expected.image)


@pytest.mark.parametrize("size", [(100, 60), (48, 90)])
def test_a_wide_or_tall_gan_export_is_the_centre_of_the_square_not_a_stretch(tiny, size):
    z = latents(1, 16, first_seed=2)[0]
    width, height = size
    square, _ = collect(run_export(ExportRequest("tiny", z, max(size), user_dir=tiny), CancelToken()))
    image, events = collect(run_export(ExportRequest("tiny", z, size, user_dir=tiny), CancelToken()))
    top, left = (max(size) - height) // 2, (max(size) - width) // 2
    assert image.shape == (height, width, 3)
    assert np.array_equal(image, square[top:top + height, left:left + width])
    assert "centre of the square" in events[-1].message


def test_export_refuses_impossible_sizes():
    with pytest.raises(JobError, match="Export size must be from 8 to 16384 px"):
        collect(run_export(ExportRequest("cppn", latents(1, 8)[0], 4), CancelToken()))


# -- projection ------------------------------------------------------------------------------

def losses(events) -> list[float]:
    return [float(re.search(r"loss ([0-9.]+)", e.message).group(1))
            for e in events if isinstance(e, Progress) and "loss" in e.message]


def test_projection_reduces_the_loss_and_shows_previews(tiny):
    target = get_generator("tiny", tiny).render(latents(1, 16, first_seed=42))[0]   # reachable
    z, events = collect(run_project(ProjectRequest("tiny", target, steps=20, user_dir=tiny), CancelToken()))
    assert z.shape == (16,) and z.dtype == np.float32
    curve = losses(events)
    assert len(curve) == 20 and curve[-1] < 0.5 * curve[0]
    previews = [e.image for e in events if isinstance(e, Preview)]
    assert len(previews) == 2 and previews[0].shape == (32, 32, 3) and previews[0].dtype == np.uint8


def test_projection_takes_pictures_of_any_shape(tiny):
    wide = np.random.default_rng(1).integers(0, 256, (40, 90, 4), dtype=np.uint8)   # RGBA, not square
    z, _ = collect(run_project(ProjectRequest("tiny", wide, steps=2, user_dir=tiny), CancelToken()))
    assert z.shape == (16,) and np.isfinite(z).all()


def test_projection_honours_the_mask(tiny):
    rng = np.random.default_rng(0)
    target = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mask = np.zeros((32, 32), np.uint8)
    mask[:, :16] = 255
    free, _ = collect(run_project(ProjectRequest("tiny", target, mask, steps=3, user_dir=tiny), CancelToken()))
    scribbled = target.copy()
    scribbled[:, 16:] = 255 - scribbled[:, 16:]                      # only the ignored half differs
    same, _ = collect(run_project(ProjectRequest("tiny", scribbled, mask, steps=3, user_dir=tiny), CancelToken()))
    np.testing.assert_allclose(free, same, atol=1e-5)
    with pytest.raises(JobError, match="mask is empty"):
        collect(run_project(ProjectRequest("tiny", target, np.zeros((32, 32), np.uint8), user_dir=tiny),
                            CancelToken()))
    with pytest.raises(JobError, match="different sizes"):
        collect(run_project(ProjectRequest("tiny", target, mask[:8], user_dir=tiny), CancelToken()))


def test_projection_onto_a_cppn_works_at_a_small_size():
    target = get_generator("cppn").render(latents(1, 8, first_seed=4), 64)[0]
    z, events = collect(run_project(ProjectRequest("cppn", target, steps=10), CancelToken()))
    assert z.shape == (8,) and losses(events)[-1] < losses(events)[0]


def test_projection_cancel_raises_cancelled(tiny):
    token = CancelAfter(5)
    target = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(Cancelled):
        run_sync(run_project(ProjectRequest("tiny", target, steps=300, user_dir=tiny), token), token.tick)


# -- the generator cache ---------------------------------------------------------------------

def test_generators_are_loaded_once_and_reloaded_when_the_model_is_retrained(tiny):
    first = get_generator("tiny", tiny)
    assert get_generator("tiny", tiny) is first
    assert get_generator("cppn") is get_generator("cppn", device="cpu")
    write_tiny_gan(tiny, seed=1)                                   # retrained under the same name
    again = get_generator("tiny", tiny)
    assert again is not first and again.model_hash != first.model_hash
