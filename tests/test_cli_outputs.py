"""`artstudio restore`'s outputs never land on its inputs, a set of variations is written whole or
not at all, and bad values are refused in one line before any work (found by a QA pass)."""

from __future__ import annotations

import numpy as np
import pytest

from artstudio.cli import restore as restore_cli
from artstudio.core.imageio import load_image, save_image, save_mask
from cli_helpers import one_error_line, run_cli


@pytest.fixture
def files(tmp_path, photo, scratch):
    save_image(tmp_path / "in.png", photo)
    save_mask(tmp_path / "mask.png", scratch)
    return tmp_path


def test_a_variations_name_that_is_the_input_is_refused_and_the_photo_kept(files, photo, capsys):
    save_image(files / "v-1.png", photo)
    before = (files / "v-1.png").read_bytes()
    code = run_cli("restore", files / "v-1.png", "--mask", files / "mask.png", "-o", files / "v.png",
                   "--method", "texture", "--variations", "2")
    assert code == 1 and "Refusing to overwrite the input photo" in one_error_line(capsys)
    assert (files / "v-1.png").read_bytes() == before and not (files / "v-2.png").exists()


@pytest.mark.parametrize("flag", ["--mask", "--exclude-mask"])
def test_the_result_is_never_written_over_a_mask_given(files, capsys, flag):
    save_mask(files / "never.png", np.zeros((96, 128), np.uint8))
    target = files / ("mask.png" if flag == "--mask" else "never.png")
    before = target.read_bytes()
    args = ["restore", files / "in.png", "--mask", files / "mask.png", "-o", target, "--method", "texture"]
    if flag == "--exclude-mask":
        args += ["--exclude-mask", files / "never.png"]
    assert run_cli(*args) == 1
    assert f"over the {flag} file" in one_error_line(capsys) and target.read_bytes() == before


def test_a_later_variations_name_that_is_a_folder_is_refused_before_any_work(files, capsys):
    (files / "w-2.png").mkdir()
    code = run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "w.png",
                   "--method", "texture", "--variations", "3")
    assert code == 1 and "it is a folder" in one_error_line(capsys)
    assert not (files / "w-1.png").exists() and not (files / "w-3.png").exists()


def test_a_failure_while_writing_the_variations_leaves_none_of_them(files, capsys, monkeypatch):
    real = restore_cli._save
    written = []

    def failing(path, *args, **kwargs):
        if len(written) == 1:
            from artstudio.core.imageio import ImageError
            raise ImageError(f"Cannot save '{path.name}': the disk is full.")
        written.append(path)
        real(path, *args, **kwargs)

    monkeypatch.setattr(restore_cli, "_save", failing)
    code = run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "v.png",
                   "--method", "texture", "--variations", "3")
    assert code == 1 and "disk is full" in one_error_line(capsys)
    assert sorted(p.name for p in files.iterdir()) == ["in.png", "mask.png"]     # no v-1, no temporaries


def test_the_variations_are_all_written_when_nothing_fails(files, capsys):
    assert run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "v.png",
                   "--method", "texture", "--variations", "2", "-q") == 0
    assert sorted(p.name for p in files.iterdir()) == ["in.png", "mask.png", "v-1.png", "v-2.png"]
    assert not np.array_equal(load_image(files / "v-1.png").pixels, load_image(files / "v-2.png").pixels)


def test_a_negative_seed_is_a_usage_error(files, capsys):
    code = run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "o.png", "--seed", "-1")
    assert code == 2 and "invalid seed '-1'" in capsys.readouterr().err
    assert not (files / "o.png").exists()


@pytest.mark.parametrize("method", ["telea", "ns", "biharmonic", "net", "texture", "auto"])
def test_a_mask_over_the_whole_photo_is_refused_in_one_line(files, capsys, method):
    save_mask(files / "full.png", np.full((96, 128), 255, np.uint8))
    code = run_cli("restore", files / "in.png", "--mask", files / "full.png", "-o", files / "o.png",
                   "--method", method)
    assert code == 1 and "covers the whole photo" in one_error_line(capsys)
    assert not (files / "o.png").exists()


def test_an_unknown_network_for_the_content_aware_guide_is_named_not_ignored(files, capsys):
    code = run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "o.png",
                   "--method", "texture", "--model", "nonexistent")
    assert code == 1 and "nonexistent" in one_error_line(capsys)
    assert not (files / "o.png").exists()


def test_an_unknown_option_is_reported_by_the_command_it_was_given_to(files, capsys):
    code = run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "o.png", "--bogus")
    assert code == 2 and "artstudio restore: error: unrecognized arguments: --bogus" in capsys.readouterr().err
    assert not (files / "o.png").exists()


def test_an_output_named_only_by_its_extension_is_explained(files, capsys):
    code = run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / ".png")
    assert code == 1 and "give the file a name before '.png'" in one_error_line(capsys)


def test_what_the_output_format_changes_is_said(tmp_path, capsys):
    from PIL import Image

    deep = (np.random.default_rng(0).integers(0, 65535, (40, 50))).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    hole = np.zeros((40, 50), np.uint8)
    hole[10:20, 10:20] = 255
    save_mask(tmp_path / "m.png", hole)
    assert run_cli("restore", tmp_path / "deep.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "o.webp",
                   "--method", "telea") == 0
    out = capsys.readouterr().out
    assert "16 bits per channel; o.webp is written with 8" in out and "lossy WebP" in out
    clear = np.zeros((40, 50, 4), np.uint8)
    clear[..., 3] = 128
    save_image(tmp_path / "clear.png", clear)
    assert run_cli("restore", tmp_path / "clear.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "o.jpg",
                   "--method", "telea") == 0
    assert "flattened onto white" in capsys.readouterr().out
    assert run_cli("restore", tmp_path / "clear.png", "--mask", tmp_path / "m.png", "-o", tmp_path / "o.png",
                   "--method", "telea") == 0
    assert "Note" not in capsys.readouterr().out


@pytest.mark.parametrize("args, said", [
    (["--method", "telea", "--seed", "3"], "--seed works with --method auto or texture, not telea."),
    (["--method", "texture", "--radius", "9"], "--radius works with --method telea or ns, not texture."),
    (["--method", "telea", "--model", "inpaint"], "--model works with --method auto, texture or net, not telea."),
    (["--method", "net", "--iterations", "5"], "--iterations works with --method dip, not net."),
])
def test_an_option_the_method_would_ignore_is_refused(files, capsys, args, said):
    code = run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "o.png", *args)
    assert code == 1 and said in one_error_line(capsys)
    assert not (files / "o.png").exists()


def test_the_default_radius_and_seed_still_apply_when_not_given(files, capsys):
    assert run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "a.png",
                   "--method", "telea", "-q") == 0
    assert run_cli("restore", files / "in.png", "--mask", files / "mask.png", "-o", files / "b.png",
                   "--method", "telea", "--radius", "5", "-q") == 0
    assert np.array_equal(load_image(files / "a.png").pixels, load_image(files / "b.png").pixels)
