"""Content-aware fill: texture copied from the photo, the sampling area, variations, Auto, bad input."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from artstudio.core import texture
from artstudio.core.texture_detail import match_texture_energy
from artstudio.jobs.base import CancelToken, Cancelled, JobError, Progress, run_sync
from artstudio.jobs.texture_fill import (TextureRequest, run_auto_fill, run_texture_fill, split_thin)

from tiny_nets import save_tiny


def _laplacian_energy(image: np.ndarray, where: np.ndarray) -> float:
    import cv2

    grey = cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.mean(cv2.Laplacian(grey, cv2.CV_32F)[where] ** 2))


@pytest.fixture
def bark():
    """A 160x160 photo-like texture: vertical grain of random widths, noise, a slow gradient."""
    rng = np.random.default_rng(3)
    h = w = 160
    columns = np.cumsum(rng.uniform(0.3, 1.7, w))
    grain = 60 * np.sin(columns)[None, :] + rng.normal(0, 8, (h, w))
    y = np.arange(h, dtype=np.float32)[:, None]
    base = 110 + 0.3 * y + grain
    rgb = np.stack([base + 20, base, base * 0.7], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.fixture
def box():
    mask = np.zeros((160, 160), np.uint8)
    mask[56:104, 56:104] = 255
    return mask


def _fill(image, mask, **options):
    return run_sync(run_texture_fill(TextureRequest(image, mask, previews=False, **options), CancelToken()))


def test_texture_fill_copies_grain_into_a_box_where_a_smooth_fill_leaves_a_smudge(bark, box):
    from artstudio.core.inpaint import fill_crop

    result = _fill(bark, box)
    hole = box > 0
    inner = np.zeros_like(hole)
    inner[58:102, 58:102] = True
    truth = _laplacian_energy(bark, inner)
    synthesised = _laplacian_energy(result.image, inner) / truth
    smooth = _laplacian_energy(fill_crop(bark, hole, "telea", 5), inner) / truth
    assert smooth < 0.3                          # what the user saw before: a smudge
    assert 0.5 < synthesised < 1.6               # real grain, about as strong as the photo's
    assert np.array_equal(result.image[~hole], bark[~hole])      # outside bit-identical
    # the copied grain keeps the photo's brightness: no dark or light patch
    assert abs(float(result.image[hole].mean()) - float(bark[hole].mean())) < 12


def test_seeds_give_reproducible_different_variations(bark, box):
    three = _fill(bark, box, variations=3, seed=10, device="cpu")
    assert three.seeds == (10, 11, 12)
    assert three.guides == ("network", "smooth", "network")      # the guides alternate, the network first
    crops = three.variants
    assert len(crops) == 3
    assert not np.array_equal(crops[0], crops[1]) and not np.array_equal(crops[1], crops[2])
    again = _fill(bark, box, seed=11, guide="smooth", device="cpu")
    assert np.array_equal(three.apply(bark, 1), again.image)      # variation 2 is seed 11, smooth guide
    assert np.array_equal(_fill(bark, box, seed=12, device="cpu").image, three.apply(bark, 2))
    assert np.array_equal(three.apply(bark, 0), three.image)
    one_guide = _fill(bark, box, variations=2, seed=10, guide="network", device="cpu")
    assert one_guide.guides == ("network", "network")
    assert np.array_equal(one_guide.variants[0], crops[0]) and not np.array_equal(one_guide.variants[1], crops[1])
    assert _fill(bark, box, variations=2, model=None).guides == ("smooth", "smooth")   # no network: Telea
    outside = box == 0
    for index in range(3):
        assert np.array_equal(three.apply(bark, index)[outside], bark[outside])


def test_never_sample_keeps_a_badge_out_of_the_fill_and_sample_from_pulls_it_in(bark, box):
    image = bark.copy()
    image[40:120, 112:150] = (220, 30, 30)          # a red badge right of the hole
    never = np.zeros_like(box)
    never[36:124, 108:154] = 255
    kept_out = _fill(image, box, sample_never=never)
    red = lambda img: ((img[..., 0] > 180) & (img[..., 1] < 80))[box > 0].mean()   # noqa: E731
    assert red(kept_out.image) == 0.0

    # Painted "sample from here" on horizontal stripes: the hole gets stripes, not the bark's vertical grain.
    stripes = bark.copy()
    rows = np.arange(40, 120)
    stripes[40:120, 112:150] = np.clip(128 + 70 * np.sin(rows * 1.3), 0, 255).astype(np.uint8)[:, None, None]
    there = np.zeros_like(box)
    there[40:120, 112:150] = 255
    inner = (slice(60, 100), slice(60, 100))

    def across_over_along(img):       # gradient energy across rows vs across columns, inside the hole
        g = img[inner].astype(np.float32).mean(axis=2)
        return float(np.mean(np.diff(g, axis=0) ** 2) / np.mean(np.diff(g, axis=1) ** 2))

    assert across_over_along(_fill(stripes, box).image) < 0.5          # default band: the bark's grain
    assert across_over_along(_fill(stripes, box, sample_from=there).image) > 2.0


@pytest.mark.parametrize("case", ["empty mask", "whole photo", "never covers the rest", "sample from inside hole",
                                  "too many variations", "unknown guide"])
def test_impossible_fills_are_one_line_errors_and_change_nothing(bark, box, case):
    mask, options = box, {}
    if case == "empty mask":
        mask = np.zeros_like(box)
    elif case == "whole photo":
        mask = np.full_like(box, 255)
    elif case == "never covers the rest":
        options["sample_never"] = np.where(box > 0, 0, 255).astype(np.uint8)
    elif case == "sample from inside hole":
        options["sample_from"] = box.copy()
    elif case == "too many variations":
        options["variations"] = 99
    else:
        options["guide"] = "sideways"
    before = bark.copy()
    with pytest.raises(JobError) as error:
        _fill(bark, mask, **options)
    assert "\n" not in str(error.value) and len(str(error.value)) < 140
    assert np.array_equal(bark, before)


def test_a_sampling_band_thinner_than_a_patch_is_refused_in_one_line(bark):
    mask = np.full((160, 160), 255, np.uint8)
    mask[:, :3] = 0                               # 3 px of photo left: no 7 px patch fits
    with pytest.raises(JobError, match="Nothing left to copy texture from"):
        _fill(bark, mask)


def test_cancel_stops_the_synthesis_between_passes(bark, box):
    calls = []

    def check(fraction):
        calls.append(fraction)
        if len(calls) == 3:
            raise Cancelled()

    prior = texture.structure_prior(bark, box > 0)
    with pytest.raises(Cancelled):
        texture.synthesize(bark, box > 0, box == 0, prior, check=check)
    assert calls == sorted(calls) and len(calls) == 3

    token = CancelToken()
    job = run_texture_fill(TextureRequest(bark, box, previews=False), token)
    first = next(job)
    assert isinstance(first, Progress)
    token.cancel()
    with pytest.raises(Cancelled):
        for _ in job:
            pass


def test_the_job_reports_progress_while_one_big_hole_is_synthesised(bark):
    big = np.tile(bark, (3, 3, 1))
    mask = np.zeros(big.shape[:2], np.uint8)
    mask[120:360, 120:360] = 255
    fractions = []
    run_sync(run_texture_fill(TextureRequest(big, mask, previews=False), CancelToken()),
             lambda e: fractions.append(e.fraction) if isinstance(e, Progress) else None)
    assert len(fractions) >= 3 and fractions == sorted(fractions) and fractions[-1] <= 1.0


def test_rgba_keeps_alpha_outside_and_fills_it_smoothly_inside(bark, box):
    alpha = np.full(bark.shape[:2] + (1,), 200, np.uint8)
    rgba = np.concatenate([bark, alpha], axis=2)
    result = _fill(rgba, box)
    assert result.image.shape == rgba.shape
    assert np.array_equal(result.image[box == 0], rgba[box == 0])
    assert np.all(np.abs(result.image[box > 0][:, 3].astype(int) - 200) <= 3)     # Telea's ripple


def test_soft_mask_edges_blend_and_zero_stays_identical(bark, box):
    import cv2

    soft = cv2.GaussianBlur(box, (0, 0), 2)
    result = _fill(bark, soft)
    assert np.array_equal(result.image[soft == 0], bark[soft == 0])
    edge = (soft > 0) & (soft < 128)
    changed = np.abs(result.image.astype(int) - bark.astype(int)).sum(axis=2)
    full = soft == 255
    assert changed[edge].mean() < changed[full].mean()


def test_split_thin_sends_strokes_to_the_network_and_boxes_to_texture(box):
    import cv2

    mask = box.copy()
    cv2.line(mask, (5, 150), (150, 140), 255, 3)
    mask[10, 10] = 255
    thin, deep = split_thin(mask)
    assert np.array_equal(deep > 0, box > 0)
    assert thin[10, 10] == 255 and thin[148, 50] == 0 or thin[:, 50].any()
    assert not (thin > 0)[box > 0].any()
    assert np.array_equal((thin > 0) | (deep > 0), mask > 0)


def test_a_brush_stroke_22_px_wide_is_thin_and_a_48_px_box_is_not():
    """Auto's split: free-form strokes (6-24 px wide) go to the network, objects to texture."""
    import cv2

    mask = np.zeros((200, 200), np.uint8)
    cv2.line(mask, (10, 30), (190, 40), 255, 22)
    mask[120:168, 60:108] = 255
    thin, deep = split_thin(mask)
    assert thin[35, 100] == 255 and deep[35, 100] == 0
    assert deep[144, 84] == 255 and thin[144, 84] == 0


def test_auto_fills_a_scratch_as_the_network_does_and_a_box_with_texture(tmp_path, bark, box):
    import cv2

    from artstudio.jobs.fill_net import NetFillRequest, run_net_fill

    _, weights = save_tiny(tmp_path, "inpaint")
    scratch = np.zeros_like(box)
    cv2.line(scratch, (5, 20), (150, 30), 255, 3)
    both = scratch | box
    auto = run_sync(run_auto_fill(TextureRequest(bark, both, previews=False), CancelToken(),
                                  model=str(weights), device="cpu"))
    net = run_sync(run_net_fill(NetFillRequest(bark, scratch, model=str(weights), previews=False,
                                               device="cpu"), CancelToken()))
    on_scratch = scratch > 0
    assert np.array_equal(auto.image[on_scratch], net.image[on_scratch])
    assert auto.method == "auto"
    inner = np.zeros_like(on_scratch)
    inner[58:102, 58:102] = True
    assert _laplacian_energy(auto.image, inner) / _laplacian_energy(bark, inner) > 0.5
    assert np.array_equal(auto.image[both == 0], bark[both == 0])


def test_a_fill_on_a_worker_thread_can_be_cancelled_from_another(bark):
    big = np.tile(bark, (4, 4, 1))
    mask = np.zeros(big.shape[:2], np.uint8)
    mask[100:540, 100:540] = 255
    token = CancelToken()
    outcome = {}
    seen_progress = threading.Event()

    def work():
        try:
            run_sync(run_texture_fill(TextureRequest(big, mask, previews=False), token),
                     lambda e: seen_progress.set())
            outcome["result"] = "finished"
        except Cancelled:
            outcome["result"] = "cancelled"

    thread = threading.Thread(target=work)
    thread.start()
    assert seen_progress.wait(30)
    token.cancel()
    thread.join(30)
    assert outcome == {"result": "cancelled"}


def test_cli_writes_one_file_per_variation_and_refuses_options_a_method_ignores(tmp_path, bark, box, capsys):
    from artstudio.cli import main
    from artstudio.core.imageio import load_image, save_image, save_mask

    src, mask, never = tmp_path / "in.png", tmp_path / "m.png", tmp_path / "never.png"
    save_image(src, bark)
    save_mask(mask, box)
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(tmp_path / "out.png"),
                 "--method", "texture", "--variations", "3", "--seed", "4"]) == 0
    assert "out-1.png ... out-3.png" in capsys.readouterr().out
    files = [load_image(tmp_path / f"out-{k}.png").pixels for k in (1, 2, 3)]
    assert not (tmp_path / "out.png").exists()
    alone = _fill(bark, box, seed=5, guide="smooth")
    assert np.array_equal(files[1], alone.image)            # out-2 is seed 5, smooth guide, as the job makes it
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(tmp_path / "s.png"),
                 "--method", "texture", "--seed", "5", "--guide", "smooth", "-q"]) == 0
    assert np.array_equal(load_image(tmp_path / "s.png").pixels, files[1])   # reproduced from the CLI alone
    everything_else = np.where(box > 0, 0, 255).astype(np.uint8)
    save_mask(never, everything_else)
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(tmp_path / "x.png"),
                 "--method", "texture", "--exclude-mask", str(never)]) != 0
    assert "Nothing is left to copy texture from" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(tmp_path / "y.png"),
                 "--method", "telea", "--variations", "2"]) != 0
    assert "--variations works with --method texture" in capsys.readouterr().err
    assert main(["restore", str(src), "--mask", str(mask), "-o", str(tmp_path / "y.png"),
                 "--method", "telea", "--guide", "smooth"]) != 0
    assert "--guide works with --method texture" in capsys.readouterr().err


def test_the_network_guides_the_fill_and_a_missing_one_falls_back_to_telea(bark, box, monkeypatch):
    from artstudio.jobs import nets
    from artstudio.jobs.base import JobError

    guided = _fill(bark, box, device="cpu")                     # the shipped inpainting network's fill
    classical = _fill(bark, box, model=None)
    with pytest.raises(JobError, match="no-such-network"):     # one the user named: said, not ignored
        _fill(bark, box, model="no-such-network")

    def damaged(*args, **kwargs):
        raise JobError("The network 'inpaint' is damaged.")
    monkeypatch.setattr(nets, "get_restore_net", damaged)
    missing = _fill(bark, box)                                  # the shipped one missing or damaged
    assert np.array_equal(missing.image, classical.image)      # still a fill, not an error
    assert not np.array_equal(guided.image, classical.image)
    for result in (guided, classical):
        assert np.array_equal(result.image[box == 0], bark[box == 0])


def _ring(hole: np.ndarray) -> np.ndarray:
    import cv2

    return (cv2.dilate(hole.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0) & ~hole


@pytest.mark.parametrize("detail, expected", [(0.6, (0.97, 1.03)), (3.0, (0.97, 1.03)), (0.85, None)],
                         ids=["averaged-away", "too-strong", "close-enough"])
def test_fine_detail_is_brought_near_the_surroundings_either_way(bark, box, detail, expected):
    """A fill whose votes averaged its grain away gets it back; one with copied edges
    stronger than its surroundings is toned down; one within 1.3x of them is left alone."""
    import cv2

    hole = box > 0
    inner = cv2.erode(hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    values = bark.astype(np.float32)
    low = cv2.GaussianBlur(values, (0, 0), 1.5)
    out = bark.copy()
    out[hole] = np.clip(np.rint(low + (values - low) * detail), 0, 255).astype(np.uint8)[hole]
    before = out.copy()
    match_texture_energy(out, hole, ~hole, 1.3, gain=2.0)
    ratio = _laplacian_energy(out, inner) / _laplacian_energy(out, _ring(hole))
    if expected is None:
        assert np.array_equal(out, before)
    else:
        assert expected[0] <= ratio <= expected[1]
    assert np.array_equal(out[~hole], before[~hole])


def _grainy_sky(seed=1, sigma=5.0):
    """A smooth blue gradient under film grain, 200 x 240."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, 200, dtype=np.float32)[:, None, None]
    sky = np.array([90, 140, 200], np.float32) * (1 - 0.3 * y) + np.zeros((1, 240, 1), np.float32)
    return np.clip(np.rint(sky + rng.normal(0, sigma, (200, 240, 1))), 0, 255).astype(np.uint8)


def test_a_smooth_fill_in_a_grainy_photo_gets_the_photos_grain_back():
    """Raising the detail a flat fill has cannot help (it has none): grain copied from the
    photo round the hole makes it up, as strong as the photo's, never stronger, and only in
    the hole; the seed picks it, reproducibly."""
    import cv2

    sky = _grainy_sky()
    hole = np.zeros(sky.shape[:2], bool)
    hole[60:140, 70:170] = True
    flat = sky.copy()
    flat[hole] = cv2.GaussianBlur(sky, (0, 0), 6)[hole]          # what a smooth fill leaves
    inner = cv2.erode(hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    fills = []
    for seed in (0, 0, 1):
        out = flat.copy()
        match_texture_energy(out, hole, ~hole, 1.3, gain=2.0, rng=np.random.default_rng(seed))
        assert np.array_equal(out[~hole], sky[~hole])
        fills.append(out)
    assert np.array_equal(fills[0], fills[1]) and not np.array_equal(fills[0], fills[2])
    ratio = _laplacian_energy(fills[0], inner) / _laplacian_energy(sky, _ring(hole))
    assert 0.9 <= ratio <= 1.05
    grain = fills[0].astype(np.float32) - cv2.GaussianBlur(fills[0], (0, 0), 6).astype(np.float32)
    truth = sky.astype(np.float32) - cv2.GaussianBlur(sky, (0, 0), 6).astype(np.float32)
    assert 0.7 * truth[inner].std() <= grain[inner].std() <= 1.05 * truth[inner].std()
    assert abs(float(fills[0][inner].mean()) - float(flat[inner].mean())) < 0.5    # grain, not a shift


@pytest.mark.parametrize("locality, moves", [(0.5, True), (0.0, False)])
def test_a_near_copy_beats_an_equally_good_far_one(locality, moves):
    """Two source patches that match equally: with locality the search moves to the near one."""
    from artstudio.core.patchmatch import Field, Level, valid_centres

    hole = np.zeros((64, 64), bool)
    hole[28:36, 28:36] = True
    level = Level(np.zeros((64, 64, 3), np.float32), hole, valid_centres(~hole, 7), np.zeros((64, 64, 3), np.float32))
    field = Field(level, 7, np.random.default_rng(0), locality=locality)
    field.sy[:], field.sx[:] = 4, 4                     # far: the crop's corner
    target = np.ones((field.ty.size, 4), np.float32)
    source = np.zeros((64, 64, 4), np.float32)          # every patch matches equally well
    field.evaluate(target, source)
    near = np.full(field.ty.size, 20, np.int32), np.full(field.ty.size, 32, np.int32)
    field._try(target, source, *near)
    assert bool(np.all(field.sy == 20)) is moves
