"""Choosing a user-trained restoration network in the Restore panel's Network lists."""

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from artstudio.core.document import Document
from artstudio.core.paths import AppPaths
from artstudio.core.settings import Settings
from artstudio.jobs import denoise, fill_net, upscale
from artstudio.models.registry import sha256_file
from artstudio.ui.restore_workspace import RestoreWorkspace

SHIPPED_FILL = "restore-inpaint (shipped)"


def write_card(folder, name, task, sha256="0" * 64, config=None):
    """A model card as the trainer writes it (the fields the app reads)."""
    architecture = {"inpaint": "gated-unet-v4", "denoise": "unshuffle-resunet-v1",
                    "sr": "espcn-residual-v1"}[task]
    config = config or {"architecture": architecture, "width": 8}
    card = {"name": name, "task": task, "kind": "restore", "architecture": architecture,
            "config": config, "sha256": sha256, "step": 10, "steps": 10}
    (folder / f"{name}.json").write_text(json.dumps(card), encoding="utf-8")
    return folder / f"{name}.safetensors"


def write_inpaint_net(folder, name):
    """A real, tiny inpainting network whose fill is plain white (no shipped net does that)."""
    from safetensors.torch import save_file

    from artstudio.models.inpaint_net import InpaintNet

    net = InpaintNet(width=8)
    net.out.bias.data.fill_(1.0)     # guess + 1, clamped: every filled pixel is 255
    weights = folder / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(weights))
    return write_card(folder, name, "inpaint", sha256_file(weights),
                      {"architecture": "gated-unet-v4", "width": 8})


@pytest.fixture
def app_threads():
    """torch's threads as the window's device probe sets them (one core kept for the GUI):
    with torch's default on a busy 2-core machine the tiny fill takes 5 s instead of 0.1 s."""
    import torch

    from artstudio.jobs.base import usable_cpus

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, usable_cpus() - 1))
    yield
    torch.set_num_threads(before)


@pytest.fixture
def paths():
    return AppPaths.from_environment().ensure()


@pytest.fixture
def make_workspace(qtbot, runner, paths):
    def make():
        ws = RestoreWorkspace(runner, paths, Settings(device="cpu"))
        qtbot.addWidget(ws)
        ws.messages = []
        ws.message.connect(ws.messages.append)
        ws.show()
        return ws
    return make


@pytest.fixture
def photo32():
    """A 32x32 photo with a red blotch that the mask covers."""
    rng = np.random.default_rng(1)
    image = rng.integers(40, 200, (32, 32, 3), dtype=np.uint8)
    mask = np.zeros((32, 32), np.uint8)
    mask[10:18, 12:22] = 255
    image[mask > 0] = (255, 0, 0)
    return image, mask


def labels(combo):
    return [combo.itemText(i) for i in range(combo.count())]


def choose(combo, label):
    combo.setCurrentIndex(combo.findText(label))   # what picking it in the list does
    assert combo.currentText() == label


def click(qtbot, button):
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_each_list_offers_the_shipped_network_then_the_users_for_its_task(make_workspace, paths):
    write_card(paths.models, "my-inpaint", "inpaint")
    write_card(paths.models, "my-denoise", "denoise")
    (paths.models / "garbled.json").write_text("{not json", encoding="utf-8")    # skipped, no crash
    ws = make_workspace()
    p = ws.panel
    assert labels(p.fill_network) == [SHIPPED_FILL, "my-inpaint"]
    assert labels(p.denoise_network) == ["restore-denoise (shipped)", "my-denoise"]
    assert p.fill_network.isVisible() and p.denoise_network.isVisible()
    assert p.fill_network.currentText() == SHIPPED_FILL           # the shipped one until chosen
    assert not p.upscale_network.isVisible()                      # nothing to choose between


def test_without_user_networks_the_panel_shows_no_network_rows(make_workspace):
    ws = make_workspace()
    p = ws.panel
    assert not any(c.isVisible() for c in (p.fill_network, p.denoise_network, p.upscale_network))
    assert p.network("inpaint") == "restore-inpaint"


def test_the_network_list_is_enabled_only_for_the_neural_method(make_workspace, paths):
    write_card(paths.models, "my-inpaint", "inpaint")
    write_card(paths.models, "my-denoise", "denoise")
    ws = make_workspace()
    p = ws.panel
    p.set_method("net")
    assert p.fill_network.isEnabled()
    for method in ("telea", "dip"):
        p.set_method(method)
        assert not p.fill_network.isEnabled()
    p.denoise_method.setCurrentIndex(p.denoise_method.findData("nlmeans"))
    assert not p.denoise_network.isEnabled()
    p.denoise_method.setCurrentIndex(p.denoise_method.findData("net"))
    assert p.denoise_network.isEnabled()


def test_fill_with_a_user_network_runs_it_and_changes_only_the_masked_pixels(
        qtbot, make_workspace, paths, photo32, monkeypatch, app_threads):
    weights = write_inpaint_net(paths.models, "my-inpaint")
    requests = []
    real = fill_net.run_net_fill
    monkeypatch.setattr(fill_net, "run_net_fill", lambda r, t: requests.append(r) or real(r, t))
    ws = make_workspace()
    image, mask = photo32
    ws.set_document(Document(image.copy(), mask.copy()))
    ws.panel.set_method("net")
    choose(ws.panel.fill_network, "my-inpaint")
    with qtbot.waitSignal(ws.runner.job_finished, timeout=20000):
        click(qtbot, ws.panel.fill_button)
    assert requests[0].model == str(weights)
    result = ws.document.proposal
    assert result is not None and ws.canvas.comparing
    assert np.array_equal(result[mask == 0], image[mask == 0])    # bit-identical outside the mask
    assert (result[mask > 0] >= 250).all()                        # this network's white fill
    assert any("Neural fill with my-inpaint: done" in m for m in ws.messages)


def test_denoise_and_upscale_send_the_chosen_network(qtbot, make_workspace, paths, photo32, monkeypatch):
    denoiser = write_card(paths.models, "my-denoise", "denoise")
    requests = []

    def fake(request, token):
        requests.append(request)
        return
        yield

    monkeypatch.setattr(denoise, "run_denoise", fake)
    monkeypatch.setattr(upscale, "run_upscale", fake)
    ws = make_workspace()
    ws.set_document(Document(photo32[0].copy()))
    choose(ws.panel.denoise_network, "my-denoise")
    with qtbot.waitSignal(ws.runner.job_finished, timeout=5000):
        click(qtbot, ws.panel.denoise_button)
    with qtbot.waitSignal(ws.runner.job_finished, timeout=5000):
        click(qtbot, ws.panel.upscale_button)
    assert [(r.method, r.model) for r in requests] == [("net", str(denoiser)), ("net", "restore-sr")]


def test_the_lists_follow_the_models_folder_each_time_the_workspace_is_shown(make_workspace, paths):
    first = write_card(paths.models, "my-inpaint", "inpaint")
    ws = make_workspace()
    p = ws.panel
    choose(p.fill_network, "my-inpaint")
    write_card(paths.models, "another", "inpaint")     # a training run just finished
    ws.hide()
    ws.show()
    assert labels(p.fill_network) == [SHIPPED_FILL, "another", "my-inpaint"]
    assert p.network("inpaint") == str(first)          # the choice is remembered
    first.with_suffix(".json").unlink()
    ws.refresh_networks()
    assert p.fill_network.currentText() == SHIPPED_FILL
    assert p.network("inpaint") == "restore-inpaint"
    assert "'my-inpaint' is no longer in the models folder" in ws.messages[-1]
    (paths.models / "another.json").unlink()
    ws.refresh_networks()
    assert not p.fill_network.isVisible() and p.network("inpaint") == "restore-inpaint"


def test_a_user_network_with_a_wrong_checksum_fails_its_job_with_one_line(
        qtbot, make_workspace, paths, photo32):
    write_inpaint_net(paths.models, "tampered")
    write_card(paths.models, "tampered", "inpaint", sha256="0" * 64)   # the card no longer fits its file
    ws = make_workspace()
    ws.set_document(Document(*(a.copy() for a in photo32)))
    ws.panel.set_method("net")
    choose(ws.panel.fill_network, "tampered")
    with qtbot.waitSignal(ws.runner.job_failed, timeout=20000) as failed:
        click(qtbot, ws.panel.fill_button)
    assert "checksum mismatch" in failed.args[1]
    assert ws.panel.fill_button.isEnabled() and ws.document.proposal is None


def test_the_panel_menus_come_from_the_restore_operation_registry(qtbot, monkeypatch):
    """A registry entry is all a method needs to appear, with the options it reads enabled."""
    import dataclasses

    from artstudio.jobs import operations as registry
    from artstudio.ui.restore_panel import RestorePanel

    extra = dataclasses.replace(registry.operation("fill", "telea"), key="extra", label="Extra fill")
    monkeypatch.setattr(registry, "OPERATIONS", registry.OPERATIONS + (extra,))
    panel = RestorePanel()
    qtbot.addWidget(panel)
    assert labels(panel.method_combo) == ["Auto",
                                          "Content-aware", "Neural fill", "OpenCV Telea", "OpenCV Navier-Stokes",
                                          "scikit-image biharmonic", "Deep Image Prior", "Extra fill"]
    assert labels(panel.upscale_method) == ["Neural upscaler", "Lanczos", "Deep Image Prior"]
    assert labels(panel.upscale_factor) == ["×2", "×4"]
    panel.set_method("extra")
    assert panel.method() == "extra" and panel.radius_spin.isEnabled()
    panel.set_method("biharmonic")
    assert not panel.radius_spin.isEnabled()
