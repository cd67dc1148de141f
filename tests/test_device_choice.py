"""Settings ▸ Compute Device on a machine without the chosen device (issue 15 B7:
"CUDA GPU" stayed checked while jobs silently ran on the CPU)."""

from __future__ import annotations

from artstudio.models import device as device_module

from window_helpers import dialogs, window  # noqa: F401


def test_choosing_a_missing_cuda_says_so_and_goes_back_to_automatic(qtbot, window, monkeypatch):
    monkeypatch.setattr(device_module, "available_devices", lambda: ("cpu",))   # any machine: no CUDA
    cuda, auto = window.device_actions["cuda"], window.device_actions["auto"]
    cuda.trigger()
    qtbot.waitUntil(lambda: "No CUDA GPU here" in window.status.currentMessage(), timeout=30000)
    assert "jobs run on the CPU" in window.status.currentMessage()
    assert auto.isChecked() and not cuda.isChecked()
    assert window.settings.device == "auto" and window.restore.settings.device == "auto"
    assert not cuda.isEnabled() and "Not found on this machine" in cuda.toolTip()
    assert window.status.device_label.text().startswith("CPU")


def test_an_available_choice_is_kept(qtbot, window, monkeypatch):
    monkeypatch.setattr(device_module, "available_devices", lambda: ("cpu",))
    window.device_actions["cpu"].trigger()
    qtbot.waitUntil(lambda: window.status.device_label.text().startswith("CPU"), timeout=30000)
    qtbot.waitUntil(lambda: window.status.currentMessage() == "Ready", timeout=30000)
    assert window.device_actions["cpu"].isChecked() and window.settings.device == "cpu"


def test_the_restore_training_badge_leads_to_the_train_workspace(qtbot, window):
    window.restore.training.show_train.emit()
    assert window.stack.currentWidget() is window.train
