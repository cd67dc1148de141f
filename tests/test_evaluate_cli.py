"""``artstudio evaluate`` as a user runs it: one line per figure, JSON, a report, one line per refusal.

The command's module registers itself on a parser built here (the CLI's
own ``build_parser`` gains it when ``artstudio/cli/__init__.py`` lists it).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artstudio.cli.common import CliError, _Parser
from artstudio.cli.evaluate import add_evaluate, cmd_evaluate
from artstudio.core.paths import AppPaths
from artstudio.jobs.evaluate import FD, KID, NOT_COMPARABLE, PRDC, SWD_MEAN, swd_name


def write_photos(folder: Path, count: int, side: int = 64, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        base = np.repeat(np.repeat(rng.integers(0, 256, (4, 4, 3)), side // 4, 0), side // 4, 1)
        pixels = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"photo{index:03d}.png")
    return folder


def tiny_gan(models: Path, name: str = "tiny-gan") -> None:
    """A random 64 px DCGAN generator (width 8) with its card, as training leaves one."""
    import torch
    from safetensors.torch import save_file

    from artstudio.models.dcgan import DCGANGenerator
    from artstudio.models.registry import sha256_file

    models.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    net = DCGANGenerator(nz=16, ngf=8, nc=3, resolution=64, output="tanh")
    weights = models / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    card = {"name": name, "kind": "gan", "latent_dim": 16, "resolution": 64, "sha256": sha256_file(weights),
            "config": {"architecture": "dcgan", "nz": 16, "ngf": 8, "nc": 3, "output": "tanh"}}
    (models / f"{name}.json").write_text(json.dumps(card))


def evaluate(*words) -> int:
    parser = _Parser(prog="artstudio")
    add_evaluate(parser.add_subparsers(dest="command", parser_class=_Parser))
    return cmd_evaluate(parser.parse_args(["evaluate", *map(str, words)]))


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_photos(tmp_path_factory.mktemp("real") / "photos", 64)


@pytest.fixture
def fewer(monkeypatch):
    """A minimum of 50 instead of 200 images: the same command, four times less work."""
    monkeypatch.setattr("artstudio.core.metrics.MIN_IMAGES", 50)


@pytest.fixture
def models():
    folder = AppPaths.from_environment().models
    tiny_gan(folder)
    return folder


def test_evaluate_prints_one_line_per_figure_and_writes_json_and_a_report(models, photos, fewer, tmp_path,
                                                                           capsys):
    out = tmp_path / "figures.json"
    assert evaluate("--model", "tiny-gan", "--data", photos, "--samples", 64, "--json", out,
                    "--report", tmp_path / "reports") == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    figures = dict(line.split(": ", 1) for line in lines)
    assert len(figures) == len(lines) >= 15
    for name in (FD, KID, swd_name(64), swd_name(32), swd_name(16), SWD_MEAN, *PRDC):
        assert float(figures[name]) == pytest.approx(float(figures[name]))      # a number
    assert not any("FID" in line for line in lines)                          # never called FID without Inception
    assert float(figures[FD]) > 0 and 0 <= float(figures["precision"]) <= 1
    data = json.loads(out.read_text())
    assert data["figures"].keys() == figures.keys() and data["samples"] == data["real"] == 64
    assert data["comparable_with_papers"] is False and data["model"] == "tiny-gan"
    assert NOT_COMPARABLE in captured.err
    text = Path(data["report"]).read_text()
    assert f"{FD}: {figures[FD]}" in text and NOT_COMPARABLE in text
    plot = Image.open(Path(data["report"]).with_suffix(".png"))
    assert plot.width > 600 and plot.height > 300


def test_a_folder_too_small_for_a_stable_figure_is_refused_in_one_line(models, tmp_path):
    few = write_photos(tmp_path / "few", 30)
    with pytest.raises(CliError) as error:
        evaluate("--model", "tiny-gan", "--data", few, "--samples", 200, "--no-report")
    message = str(error.value)
    assert "has 30 usable images; at least 200 are needed for a stable figure" in message and "\n" not in message
    with pytest.raises(CliError, match="^40 samples are too few for a stable figure; at least 200 are needed"):
        evaluate("--model", "tiny-gan", "--data", few, "--samples", 40, "--no-report")


def test_a_wrong_inception_file_is_refused_by_its_sha256_in_one_line(models, photos, tmp_path):
    fake = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    fake.write_bytes(b"PK\x03\x04 not the weights" * 100)
    with pytest.raises(CliError) as error:
        evaluate("--model", "tiny-gan", "--data", photos, "--samples", 200, "--no-report", "--inception", fake)
    assert str(error.value) == (f"Inception file '{fake.name}' is not pt_inception-2015-12-05-6726825d.pth "
                                "(sha256 mismatch: damaged, tampered with or another network); FID needs "
                                "exactly that file.")


def test_an_unknown_model_or_folder_is_one_line(models, tmp_path):
    with pytest.raises(CliError, match="Unknown model 'nope'"):
        evaluate("--model", "nope", "--data", tmp_path, "--no-report")
    with pytest.raises(CliError, match="Real image folder .* does not exist"):
        evaluate("--model", "tiny-gan", "--data", tmp_path / "missing", "--no-report")
