"""The restore-operation registry: one place that the panel, the CLI and the jobs read."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from artstudio.jobs import fill_net, operations as registry
from artstudio.jobs.base import CancelToken, JobError, run_sync
from artstudio.jobs.operations import OPERATIONS, Operation, RestoreRequest, operation, operations
from artstudio.jobs.restore import FillResult

from tiny_nets import save_tiny

# What the Restore panel's menus and the CLI showed before the registry existed.
PANEL = {"fill": ["Auto", "Content-aware",
                  "Neural fill", "OpenCV Telea", "OpenCV Navier-Stokes", "scikit-image biharmonic",
                  "Deep Image Prior"],
         "denoise": ["Neural denoiser", "Non-local means", "Median 3x3", "Deep Image Prior"],
         "upscale": ["Neural upscaler", "Lanczos", "Deep Image Prior"],
         "stylize": ["Match colours", "Paint like this", "Transfer texture"]}
CLI = {("fill", "auto"): "the automatic fill (network for thin damage, content-aware for the rest)",
       ("fill", "texture"): "the content-aware fill", ("fill", "net"): "the neural fill", ("fill", "dip"): "Deep Image Prior",
       ("fill", "telea"): "OpenCV Telea", ("fill", "ns"): "OpenCV Navier-Stokes",
       ("fill", "biharmonic"): "scikit-image biharmonic", ("denoise", "net"): "neural denoiser",
       ("denoise", "nlmeans"): "OpenCV non-local means", ("denoise", "median"): "3x3 median",
       ("denoise", "dip"): "Deep Image Prior", ("upscale", "net"): "neural upscaler",
       ("upscale", "lanczos"): "Lanczos", ("upscale", "dip"): "Deep Image Prior",
       ("stylize", "colour"): "colour matching", ("stylize", "paint"): "painting like the style image",
       ("stylize", "texture"): "texture transfer (patch distributions)"}
DEFAULTS = {"fill": "auto", "denoise": "net", "upscale": "net", "stylize": "colour"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-nets")
    return {task: str(save_tiny(folder, task)[1]) for task in ("inpaint", "denoise", "sr")}


def test_menus_and_descriptions_are_the_ones_users_know():
    assert registry.tasks() == ("fill", "denoise", "upscale", "stylize")
    for task, labels in PANEL.items():
        assert [op.label for op in operations(task)] == labels
        # the default: Auto for a fill (a painted-over object gets texture, a scratch the network);
        # instant colour matching for a stylisation
        assert operations(task)[0].key == DEFAULTS[task]
    assert {(op.task, op.key): op.description for op in OPERATIONS} == CLI


def test_each_task_has_unique_keys_and_one_network():
    for task in registry.tasks():
        keys = [op.key for op in operations(task)]
        assert len(keys) == len(set(keys))
        # at most one network per task (stylize runs none: its features are seeded random filters)
        assert len({op.network for op in operations(task) if op.network}) == (task != "stylize")
        assert all(op.needs_mask == (task == "fill") for op in operations(task))


def test_unknown_keys_are_one_line_errors_listing_the_choices():
    with pytest.raises(JobError) as error:
        operation("denoise", "magic")
    assert str(error.value) == "Unknown denoise method 'magic'. Choose one of: net, nlmeans, median, dip."
    with pytest.raises(JobError, match="Unknown restore task 'paint'. Choose one of: fill, denoise, upscale, stylize."):
        operations("paint")


def test_the_missing_network_message_names_the_registrys_other_methods():
    from artstudio.jobs.nets import _alternatives

    assert _alternatives("inpaint") == "use the texture, telea, ns, biharmonic or dip method instead."
    assert _alternatives("denoise") == "use the nlmeans, median or dip method instead."
    assert _alternatives("sr") == "use the lanczos or dip method instead."


def _request(photo, scratch, tiny, op: Operation, **options) -> RestoreRequest:
    model = {"fill": tiny["inpaint"], "denoise": tiny["denoise"], "upscale": tiny["sr"]}
    if op.task == "stylize":            # any other picture is a style; few steps keep it quick
        options.update(style=np.ascontiguousarray(photo[::-1, ::-1, ::-1]), steps=4)
    return RestoreRequest(photo, scratch if op.needs_mask else None, model=model.get(op.task) if op.network else None,
                          previews=False, **options)


@pytest.mark.parametrize("op", [op for op in OPERATIONS if not op.dip], ids=lambda op: f"{op.task}-{op.key}")
def test_every_operation_builds_a_job_that_runs(photo, scratch, tiny, op):
    result = run_sync(op.job(_request(photo, scratch, tiny, op, scale=2), CancelToken()))
    assert result.method == op.key
    expected = photo.shape if op.task != "upscale" else (192, 256, 3)
    assert result.image.shape == expected and result.image.dtype == np.uint8
    if op.task == "stylize":
        assert not np.array_equal(result.image, photo)
    if op.task == "fill":
        assert isinstance(result, FillResult)
        assert np.array_equal(result.image[scratch == 0], photo[scratch == 0])


def test_the_dip_fill_returns_a_fill_result_too(photo, scratch, monkeypatch):
    from artstudio.models import dip_net

    monkeypatch.setattr(dip_net, "CPU_WIDTHS", (8, 16, 16))
    op = operation("fill", "dip")
    request = RestoreRequest(photo, scratch, iterations=3, previews=False, device="cpu")
    result = run_sync(op.job(request, CancelToken()))
    assert isinstance(result, FillResult) and result.method == "dip"
    assert result.describe() == "in 3 iterations (limit)"
    assert np.array_equal(result.image[scratch == 0], photo[scratch == 0])


def test_dip_operations_say_what_to_estimate(photo, scratch):
    request = RestoreRequest(photo, scratch, scale=4, iterations=7, device="cpu")
    fill, denoise, up = (operation(task, "dip").dip_request(request) for task in ("fill", "denoise", "upscale"))
    assert (fill.task, denoise.task, up.task) == ("inpaint", "denoise", "sr")
    assert fill.mask is scratch and denoise.mask is None and up.scale == 4
    assert fill.iterations == denoise.iterations == up.iterations == 7
    with pytest.raises(ValueError, match="not a Deep Image Prior"):
        operation("fill", "telea").dip_request(request)


def test_titles_fill_in_the_scale():
    request = RestoreRequest(np.zeros((8, 8, 3), np.uint8), scale=4)
    assert operation("upscale", "lanczos").title_for(request) == "Upscale ×4 (Lanczos)"
    assert operation("fill", "telea").title_for(request) == "Fill (Telea)"


def test_an_upscale_asked_to_compare_returns_the_plain_enlargement(photo):
    import cv2

    op = operation("upscale", "lanczos")
    plain = run_sync(op.job(RestoreRequest(photo, scale=2, previews=False), CancelToken()))
    compared = run_sync(op.job(RestoreRequest(photo, scale=2, previews=False, compare=True), CancelToken()))
    assert plain.before is None
    assert np.array_equal(compared.before, cv2.resize(photo, (256, 192), interpolation=cv2.INTER_LANCZOS4))
    assert np.array_equal(compared.image, plain.image)


def test_a_new_entry_reaches_the_cli_with_no_other_edit(monkeypatch, tmp_path, photo, capsys):
    """One more entry is all a method needs: the parser offers it and the command runs its job."""
    from artstudio.cli import main
    from artstudio.core.imageio import load_image, save_image

    def invert(request, cancel):
        from artstudio.jobs.denoise import DenoiseResult

        yield from ()
        return DenoiseResult(255 - request.image, "invert", request.noise, 0.0, 0.0, 0.0, 1)

    extra = Operation("invert", "denoise", "Invert", "an inversion", "Denoise (invert)", invert,
                      options=("noise",))
    monkeypatch.setattr(registry, "OPERATIONS", OPERATIONS + (extra,))
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    save_image(src, photo)
    assert main(["denoise", str(src), "-o", str(out), "--method", "invert"]) == 0
    assert "an inversion" in capsys.readouterr().out
    assert np.array_equal(load_image(out).pixels, 255 - photo)


def test_operations_are_frozen_records():
    with pytest.raises(dataclasses.FrozenInstanceError):
        OPERATIONS[0].label = "changed"


# -- the network's first guess, computed by the job -------------------------------------------------

@pytest.fixture
def biharmonic_net():
    """A tiny inpainting network that starts from the biharmonic fill, with a non-zero correction."""
    import torch

    from artstudio.models.inpaint_net import build

    torch.manual_seed(4)
    net = build({"width": 8, "guess": "biharmonic", "flips": 2})
    torch.nn.init.normal_(net.out.weight, std=0.05)
    return net.eval()


def _forward_computing_its_guess(net, rgb, hole):
    """What the job returned before it computed the guess: the network alone, from uint8."""
    import torch

    b = fill_net.SHAPE_BUCKET
    padded_rgb = np.pad(rgb, ((0, -rgb.shape[0] % b), (0, -rgb.shape[1] % b), (0, 0)), mode="symmetric")
    padded_hole = np.pad(hole, ((0, -hole.shape[0] % b), (0, -hole.shape[1] % b)), mode="symmetric")
    with torch.inference_mode():
        image = torch.from_numpy(padded_rgb).permute(2, 0, 1)[None].float().div_(255.0)
        mask = torch.from_numpy(padded_hole)[None, None].float()
        out = net(image, mask)[0, :, :rgb.shape[0], :rgb.shape[1]]
    return out.clamp(0, 1).mul(255.0).round().byte().permute(1, 2, 0).numpy()


def test_the_jobs_first_guess_fills_exactly_as_the_network_alone(photo, scratch, biharmonic_net, monkeypatch):
    rgb, hole = photo[:90, :120], (scratch[:90, :120] > 0).astype(np.uint8)
    expected = _forward_computing_its_guess(biharmonic_net, rgb, hole)
    assert not np.array_equal(expected[hole > 0], rgb[hole > 0])

    def no_torch_guess(*_):
        raise AssertionError("the job's numpy guess should have been used")

    monkeypatch.setattr(biharmonic_net, "first_guess", no_torch_guess)
    monkeypatch.setattr(fill_net, "CPU_BF16", False)       # the reference runs in fp32
    assert np.array_equal(fill_net._infer_fill(biharmonic_net, "cpu", rgb, hole), expected)


def test_holes_too_large_for_the_solve_start_from_push_pull_in_both_paths(photo, scratch, biharmonic_net,
                                                                           monkeypatch):
    import artstudio.models.inpaint_net as inpaint_net

    monkeypatch.setattr(inpaint_net, "MAX_BIHARMONIC_HOLE", 50)
    monkeypatch.setattr(fill_net, "CPU_BF16", False)       # the reference runs in fp32
    rgb, hole = photo[:64, :64], (scratch[:64, :64] > 0).astype(np.uint8)
    assert fill_net.first_guess(biharmonic_net, rgb.astype(np.float32) / 255, hole) is None
    expected = _forward_computing_its_guess(biharmonic_net, rgb, hole)
    assert np.array_equal(fill_net._infer_fill(biharmonic_net, "cpu", rgb, hole), expected)


def test_forward_uses_the_guess_it_is_given(biharmonic_net):
    import torch

    image = torch.rand(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:16, 8:20] = 1
    with torch.inference_mode():
        own = biharmonic_net(image, mask)
        given = biharmonic_net(image, mask, biharmonic_net.first_guess(image, mask))
        grey = biharmonic_net(image, mask, torch.full_like(image, 0.5))
    assert torch.equal(own, given)
    assert not torch.allclose(own, grey)
    assert torch.equal(grey[mask.expand_as(grey) == 0], image[mask.expand_as(image) == 0])
