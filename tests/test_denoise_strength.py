"""Denoise strength and what the denoiser says it found (issue 15: "Denoise has
no strength control and does not say what it detected")."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from artstudio.core.damage import add_gaussian_noise, add_salt_and_pepper
from artstudio.core.document import Document
from artstudio.jobs.base import CancelToken, JobError, run_sync
from artstudio.jobs.denoise import DenoiseRequest, describe, run_denoise


def denoise(image, **options):
    return run_sync(run_denoise(DenoiseRequest(image, **options), CancelToken()))


def test_strength_goes_from_the_photo_to_the_full_denoise(photo):
    noisy = add_gaussian_noise(photo, 25.0, seed=1)
    full = denoise(noisy, method="nlmeans").image
    assert np.array_equal(denoise(noisy, method="nlmeans", strength=0.0).image, noisy)
    half = denoise(noisy, method="nlmeans", strength=0.5)
    expected = np.rint((noisy.astype(np.float32) + full) / 2)
    assert np.abs(half.image.astype(np.float32) - expected).max() <= 1
    assert half.strength == 0.5 and "50 % strength" in describe(half)


def test_a_strength_outside_0_to_100_percent_is_a_one_line_error(photo):
    with pytest.raises(JobError, match="between 0 and 100"):
        denoise(photo, method="median", strength=1.5)


def test_the_report_names_the_noise_found(photo):
    grain = describe(denoise(add_gaussian_noise(photo, 20.0, seed=2), method="median"))
    assert "gaussian noise of about" in grain
    specks = describe(denoise(add_salt_and_pepper(photo, 0.05, seed=3), method="median"))
    assert "salt-and-pepper" in specks and "impulses" in specks


def test_the_panel_strength_reaches_the_job_and_the_panel_says_what_it_found(qtbot, workspace, photo):
    noisy = add_gaussian_noise(photo, 25.0, seed=4)
    workspace.set_document(Document(noisy.copy()))
    panel = workspace.panel
    panel.denoise_method.setCurrentIndex(panel.denoise_method.findData("median"))
    panel.denoise_strength.selectAll()
    qtbot.keyClicks(panel.denoise_strength, "40")
    qtbot.keyClick(panel.denoise_strength, Qt.Key.Key_Return)
    assert panel.denoise_strength.value() == 40
    qtbot.mouseClick(panel.denoise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: workspace.document.proposal is not None, timeout=30000)
    full = denoise(noisy, method="median").image.astype(np.float32)
    expected = np.rint(noisy + 0.4 * (full - noisy))
    assert np.abs(workspace.document.proposal.astype(np.float32) - expected).max() <= 1
    assert "gaussian noise of about" in panel.denoise_found.text()
    assert "40 % strength" in panel.denoise_found.text()
    assert any("gaussian noise" in m for m in workspace.messages)


def test_the_cli_takes_a_strength_and_says_what_it_found(tmp_path, photo, capsys):
    from artstudio.cli import main
    from artstudio.core.imageio import load_image, save_image

    noisy = add_gaussian_noise(photo, 25.0, seed=5)
    src, half, full = tmp_path / "in.png", tmp_path / "half.png", tmp_path / "full.png"
    save_image(src, noisy)
    assert main(["denoise", str(src), "-o", str(full), "--method", "median"]) == 0
    assert main(["denoise", str(src), "-o", str(half), "--method", "median", "--strength", "50"]) == 0
    out = capsys.readouterr().out
    assert "gaussian noise of about" in out and "50 % strength" in out
    expected = np.rint((noisy.astype(np.float32) + load_image(full).pixels) / 2)
    assert np.abs(load_image(half).pixels.astype(np.float32) - expected).max() <= 1
    assert main(["denoise", str(src), "-o", str(half), "--method", "median", "--strength", "150"]) != 0
