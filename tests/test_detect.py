"""The damage finder: classical detector, job (tiny net and shipped weights), CLI, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from artstudio.core import detect
from artstudio.jobs.base import CancelToken, Cancelled, JobError, run_sync
from artstudio.jobs.detect import DetectRequest, run_detect

SPECKS = [(40, 40, 255), (200, 60, 0), (90, 170, 255), (60, 220, 0), (230, 200, 255), (150, 110, 0),
          (30, 130, 255), (180, 20, 0)]


def smooth_photo(side: int = 256, seed: int = 0) -> np.ndarray:
    """A smooth sky-like gradient with mild grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    base = np.stack([90 + x / side * 60, 110 + y / side * 50, 150 + (x - y) / side * 30], -1)
    return np.clip(base + rng.normal(0, 2.0, base.shape), 0, 255).astype(np.uint8)


def damaged_photo(side: int = 256):
    """``(photo, speck centres, scratch mask)``: eight 2 px specks (white and dark) and one scratch."""
    import cv2

    image = smooth_photo(side)
    for x, y, value in SPECKS:
        cv2.circle(image, (x, y), 2, (value,) * 3, -1)
    scratch = np.zeros((side, side), np.uint8)
    cv2.line(scratch, (20, 240), (230, 150), 255, 2)
    image[scratch > 0] = 235
    return image, SPECKS, scratch


def found_specks(mask: np.ndarray, specks) -> int:
    return sum(bool(mask[y - 2:y + 3, x - 2:x + 3].any()) for x, y, _ in specks)


def test_classical_finds_white_and_dark_specks_and_a_scratch():
    image, specks, scratch = damaged_photo()
    damage = detect.find_damage(image)
    assert found_specks(damage.mask, specks) >= 7
    assert (damage.mask[scratch > 0] > 0).mean() > 0.7
    assert damage.scratches == 1 and 6 <= damage.specks <= 10
    import cv2
    near = cv2.dilate(scratch, np.ones((7, 7), np.uint8)) > 0
    for x, y, _ in specks:
        near[y - 5:y + 6, x - 5:x + 6] = True
    assert (damage.mask[~near] > 0).mean() < 0.002          # nothing else is marked
    assert damage.summary() == f"{damage.specks} specks, 1 scratch"


def test_classical_leaves_a_clean_photo_alone():
    assert not detect.find_damage(smooth_photo()).mask.any()


def star_field(side: int = 256, count: int = 160, seed: int = 1) -> np.ndarray:
    """Stars: soft gaussian points of many brightnesses on a dark sky."""
    rng = np.random.default_rng(seed)
    sky = np.full((side, side), 12.0, np.float32) + rng.normal(0, 1.5, (side, side))
    y, x = np.mgrid[0:side, 0:side]
    for _ in range(count):
        cx, cy = rng.uniform(0, side, 2)
        sigma, peak = rng.uniform(0.7, 1.6), rng.uniform(60, 240)
        near = (abs(x - cx) < 6) & (abs(y - cy) < 6)
        sky[near] += peak * np.exp(-((x[near] - cx) ** 2 + (y[near] - cy) ** 2) / (2 * sigma ** 2))
    return np.repeat(np.clip(sky, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def text_page(side: int = 256) -> np.ndarray:
    import cv2

    page = np.full((side, side, 3), 235, np.uint8)
    for row in range(8):
        cv2.putText(page, "Lorem ipsum dolor sit 1871", (6, 24 + row * 30), cv2.FONT_HERSHEY_SIMPLEX,
                    0.55, (30, 30, 30), 1, cv2.LINE_AA)
    return page


def test_classical_does_not_mark_a_star_field():
    stars = star_field()
    mask = detect.find_damage(stars).mask
    assert (mask > 0).sum() < 0.05 * (stars[..., 0] > 60).sum()


def test_classical_does_not_mark_text():
    page = text_page()
    ink = page[..., 0] < 150
    assert (detect.find_damage(page).mask > 0).sum() < 0.05 * ink.sum()


def test_sensitivity_trades_faint_marks_for_false_alarms():
    import cv2

    image = smooth_photo()
    for i in range(6):
        cv2.circle(image, (30 + 40 * i, 128), 2, (image[128, 30 + 40 * i] + 22).tolist(), -1)   # faint specks
    low = detect.find_damage(image, 0.0).specks
    high = detect.find_damage(image, 1.0).specks
    assert low < high and high >= 5


# -- the job ----------------------------------------------------------------------------------

def save_detector(folder, name="tiny-detect", bias=None, width=4):
    """A tiny random DetectNet with its card, loadable by name from ``folder``."""
    import torch
    from safetensors.torch import save_file

    from artstudio.models.detect_net import ARCHITECTURE, DetectNet
    from artstudio.models.registry import sha256_file

    torch.manual_seed(0)
    net = DetectNet(width=width)
    if bias is not None:
        torch.nn.init.zeros_(net.head.weight)
        torch.nn.init.constant_(net.head.bias, bias)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    card = {"name": name, "kind": "restore", "task": "detect", "architecture": ARCHITECTURE,
            "config": {"architecture": ARCHITECTURE, "width": width}, "sha256": sha256_file(weights)}
    (folder / f"{name}.json").write_text(json.dumps(card), encoding="utf-8")
    return weights


def test_a_network_that_sees_no_damage_vetoes_the_classical_marks(tmp_path):
    weights = save_detector(tmp_path, bias=-20.0)        # probability ~0 everywhere
    image, specks, _ = damaged_photo()
    classical_only = run_sync(run_detect(DetectRequest(image, method="classical"), CancelToken()))
    combined = run_sync(run_detect(DetectRequest(image, model=str(weights), device="cpu"), CancelToken()))
    assert found_specks(classical_only.mask, specks) >= 7
    assert not combined.mask.any() and combined.summary == "no dust or scratches found"


def test_the_job_runs_a_random_tiny_net_on_any_size_in_tiles(tmp_path, monkeypatch):
    from artstudio.models import architectures

    weights = save_detector(tmp_path)
    entry = architectures.ARCHITECTURES["detect-unet-v1"]
    from dataclasses import replace
    monkeypatch.setitem(architectures.ARCHITECTURES, "detect-unet-v1",
                        replace(entry, contract=replace(entry.contract, tile=64, overlap=16)))
    events = []
    job = run_detect(DetectRequest(smooth_photo(150)[:, :97], method="net", model=str(weights), device="cpu"),
                     CancelToken())
    result = run_sync(job, events.append)
    assert result.mask.shape == (150, 97) and result.mask.dtype == np.uint8
    from artstudio.core.tiling import plan_tiles
    tiles = len(plan_tiles((150, 97), 64, 16, multiple=8))
    assert tiles >= 6 and sum("tile" in getattr(e, "message", "") for e in events) == tiles


def test_a_cancelled_detection_raises_cancelled(tmp_path):
    weights = save_detector(tmp_path)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_sync(run_detect(DetectRequest(smooth_photo(64), model=str(weights), device="cpu"), token))


def test_shipped_weights_find_specks_and_a_scratch_and_spare_a_clean_photo():
    image, specks, scratch = damaged_photo()
    result = run_sync(run_detect(DetectRequest(image, device="cpu"), CancelToken()))
    assert found_specks(result.mask, specks) >= 7
    assert (result.mask[scratch > 0] > 0).mean() > 0.6
    assert result.scratches >= 1
    clean = run_sync(run_detect(DetectRequest(smooth_photo(seed=3), device="cpu"), CancelToken()))
    assert (clean.mask > 0).mean() < 0.0005


def test_shipped_weights_leave_stars_and_text_alone():
    for picture in (star_field(), text_page()):
        result = run_sync(run_detect(DetectRequest(picture, device="cpu"), CancelToken()))
        assert (result.mask > 0).mean() < 0.002


# -- bad input --------------------------------------------------------------------------------

def test_a_one_pixel_photo_has_nothing_to_find():
    result = run_sync(run_detect(DetectRequest(np.zeros((1, 1, 3), np.uint8)), CancelToken()))
    assert result.mask.shape == (1, 1) and not result.mask.any()
    assert result.summary == "no dust or scratches found"


def test_sixteen_bit_and_greyscale_photos_give_the_same_marks_as_eight_bit_rgb():
    image, specks, _ = damaged_photo()
    grey = image.mean(axis=2).astype(np.uint8)
    eight = run_sync(run_detect(DetectRequest(grey, method="classical"), CancelToken()))
    sixteen = run_sync(run_detect(DetectRequest(grey.astype(np.uint16) * 257, method="classical"), CancelToken()))
    rgba = run_sync(run_detect(DetectRequest(np.dstack([image, np.full(grey.shape, 255, np.uint8)]),
                                             method="classical"), CancelToken()))
    assert found_specks(eight.mask, specks) >= 7
    assert np.array_equal(eight.mask, sixteen.mask)
    assert found_specks(rgba.mask, specks) >= 7


@pytest.mark.parametrize("pixels", [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 5), np.uint8),
                                    np.zeros((0, 4, 3), np.uint8), "not an image"])
def test_unusable_pixels_are_one_line_errors(pixels):
    with pytest.raises(JobError) as error:
        run_sync(run_detect(DetectRequest(pixels), CancelToken()))
    assert "\n" not in str(error.value)


# -- CLI ---------------------------------------------------------------------------------------

def test_cli_detect_writes_the_mask_and_restore_auto_fills_only_near_the_damage(tmp_path, capsys):
    from artstudio.cli import main
    from artstudio.core.imageio import load_image, save_image

    image, specks, scratch = damaged_photo()
    source = tmp_path / "scan.png"
    save_image(source, image)
    assert main(["detect", str(source), "-o", str(tmp_path / "mask.png"), "--method", "classical"]) == 0
    assert "specks" in capsys.readouterr().out
    mask = load_image(tmp_path / "mask.png").pixels[..., 0]
    assert mask.shape == image.shape[:2] and set(np.unique(mask)) == {0, 255}
    assert found_specks(mask, specks) >= 7

    assert main(["restore", str(source), "--auto", "--method", "telea", "-o", str(tmp_path / "out.png")]) == 0
    out = load_image(tmp_path / "out.png").pixels
    import cv2
    near = cv2.dilate(mask, np.ones((9, 9), np.uint8)) > 0
    assert np.array_equal(out[~near], image[~near])            # untouched away from the damage
    x, y, _ = specks[0]
    assert abs(int(out[y, x, 0]) - int(image[y + 6, x, 0])) < 25      # the white speck is gone


def test_cli_restore_needs_a_mask_or_auto(tmp_path, capsys):
    from artstudio.cli import main
    from artstudio.core.imageio import save_image

    save_image(tmp_path / "a.png", smooth_photo(32))
    assert main(["restore", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png")]) == 1
    assert "--auto" in capsys.readouterr().err
    assert not (tmp_path / "b.png").exists()


def test_train_detect_card_command_reruns_its_recipe(tmp_path):
    """Two steps of ``artstudio train detect``; the card's command parses back to the same recipe."""
    import shlex

    from artstudio.cli import build_parser, main
    from artstudio.cli.train import build_request
    from artstudio.core.imageio import save_image
    from artstudio.jobs.train_detect import recipe

    data = tmp_path / "photos"
    data.mkdir()
    for i in range(2):
        save_image(data / f"p{i}.png", smooth_photo(96, seed=i))
    assert main(["train", "detect", "--data", str(data), "--out", "d1", "--init", "scratch", "--steps", "2",
                 "--size", "64", "--batch", "2", "--width", "8", "--hard-crops", "0.5",
                 "--hard-negatives", "1.0", "-q"]) == 0
    from artstudio.core.paths import AppPaths
    models = AppPaths.from_environment().models
    card = json.loads((models / "d1.json").read_text())
    args = build_parser().parse_args(shlex.split(card["command"])[1:])
    request, _ = build_request(args, models)
    assert recipe(request) == card["recipe"] and card["step"] == 2
    assert (card["recipe"]["hard_crops"], card["recipe"]["hard_negatives"]) == (0.5, 1.0)
    from artstudio.models.registry import resolve
    assert resolve("d1", kind="detect").task == "detect"


def test_recipes_without_hard_examples_are_those_of_older_cards(tmp_path):
    """Cards written before the hard-example options have no such keys: a request that does not
    use them makes the same recipe (and command) as then."""
    from artstudio.jobs.train_card import command_for
    from artstudio.jobs.train_detect import TrainDetectRequest, recipe

    found = recipe(TrainDetectRequest(data=tmp_path, out=tmp_path, name="detect", init="scratch"))
    assert found == {"task": "detect", "name": "detect", "size": 160, "batch": 12, "seed": 0, "lr": 0.002,
                     "init": "scratch", "config": {"width": 24}}
    assert "--hard" not in command_for(found, tmp_path, 10)


def test_hard_crops_are_the_detailed_parts_of_a_photo():
    """Half sky, half grass: with hard crops most crops come from the grass, without them about half."""
    from artstudio.jobs.train_detect import _crop, _detail

    rng = np.random.default_rng(0)
    photo = np.full((400, 800, 3), 128, np.uint8)
    photo[:, 400:] = rng.integers(0, 256, (400, 400, 3), dtype=np.uint8)
    def detailed_share(hard):
        draws = np.random.default_rng(1)
        return np.mean([_detail(_crop([photo], 96, draws, hard)) > 0.05 for _ in range(200)])
    plain, hard = detailed_share(0.0), detailed_share(1.0)
    assert 0.35 < plain < 0.75 and hard > 0.9


def test_the_hard_negative_term_weighs_confident_false_alarms():
    """A network that fires on a few clean pixels pays for them far more with the term on."""
    import torch

    from artstudio.jobs.train_detect import _loss

    class Fixed(torch.nn.Module):
        def __init__(self, logits):
            super().__init__()
            self.value = logits

        def logits(self, image):
            return self.value

    label = torch.zeros(1, 64, 64, dtype=torch.uint8)
    label[0, 10, 10:30] = 1
    logits = torch.full((1, 1, 64, 64), -6.0)
    logits[0, 0, 10, 10:30] = 6.0
    clean_loss = _loss(Fixed(logits), None, label)[0]
    alarms = logits.clone()
    alarms[0, 0, 40, 40:50] = 6.0                              # ten confident false alarms
    plain = _loss(Fixed(alarms), None, label)[0] - clean_loss
    weighted = _loss(Fixed(alarms), None, label, hard_negatives=1.0)[0] - _loss(Fixed(logits), None, label, 1.0)[0]
    assert weighted > 5 * plain > 0


def test_out_of_range_hard_example_options_are_one_line_errors(tmp_path):
    from artstudio.jobs.train_detect import TrainDetectRequest, run_train_detect

    for bad in (dict(hard_crops=1.5), dict(hard_negatives=-1.0)):
        with pytest.raises(JobError, match="hard"):
            run_sync(run_train_detect(TrainDetectRequest(data=tmp_path, out=tmp_path, name="x", **bad),
                                      CancelToken()))


def test_hard_example_options_are_refused_for_other_tasks(tmp_path, capsys):
    from artstudio.cli import main

    assert main(["train", "denoise", "--data", str(tmp_path), "--out", "x", "--hard-crops", "0.5"]) != 0
    assert "train detect" in capsys.readouterr().err


def test_a_higher_sensitivity_never_loses_a_mark_a_lower_one_found():
    """Raising the slider used to drop real specks: more faint candidates on the cat's fur
    crowded its cells past the density test (classical: 805 px at 0.5, 43 px at 1.0)."""
    import cv2
    from skimage import data

    image = data.chelsea().copy()
    rng = np.random.default_rng(3)
    for _ in range(40):
        x, y = int(rng.integers(10, image.shape[1] - 10)), int(rng.integers(10, image.shape[0] - 10))
        cv2.circle(image, (x, y), int(rng.integers(1, 3)), (255, 255, 255), -1)
    levels = (0.0, 0.3, 0.5, 0.7, 0.9, 1.0)
    found = {s: run_sync(run_detect(DetectRequest(image, s, "classical"), CancelToken())) for s in levels}
    for low, high in zip(levels, levels[1:]):
        assert not (found[low].mask & ~found[high].mask).any(), (low, high)
    assert found[1.0].mask.sum() > 2 * found[0.5].mask.sum()          # and it does find more
    assert found[1.0].specks + found[1.0].scratches > found[0.5].specks + found[0.5].scratches


def test_cli_detect_on_a_clean_photo_says_nothing_was_found(tmp_path, capsys):
    from artstudio.cli import main
    from artstudio.core.imageio import save_image

    source = tmp_path / "clean.png"
    save_image(source, smooth_photo())
    assert main(["detect", str(source), "-o", str(tmp_path / "mask.png"), "--method", "classical"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No dust or scratches found in ") and "wrote" in out and "Found" not in out
