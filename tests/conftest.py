"""Shared fixtures. Every test runs offscreen with its own ARTSTUDIO_HOME."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "artstudio-home"
    monkeypatch.setenv("ARTSTUDIO_HOME", str(home))
    monkeypatch.delenv("ARTSTUDIO_DEVICE", raising=False)
    return home


@pytest.fixture
def photo():
    """A 96x128 photo-like RGB image: smooth gradients plus texture, seeded."""
    rng = np.random.default_rng(0)
    h, w = 96, 128
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x / w * 200 + 30, y / h * 180 + 40, (x + y) / (w + h) * 150 + 60], axis=-1)
    texture = rng.normal(0, 6, (h, w, 3))
    return np.clip(base + texture, 0, 255).astype(np.uint8)


@pytest.fixture
def scratch(photo):
    """A mask with one diagonal scratch and a square blotch over ``photo``."""
    import cv2

    mask = np.zeros(photo.shape[:2], np.uint8)
    cv2.line(mask, (10, 10), (110, 80), 255, 3)
    mask[60:70, 20:30] = 255
    return mask


@pytest.fixture
def runner(qtbot):
    """A started job runner, shut down (and checked stopped) after the test."""
    from artstudio.ui.job_runner import JobRunner

    r = JobRunner()
    r.start()
    yield r
    r.shutdown()
    assert not r.isRunning()


@pytest.fixture
def workspace(qtbot, runner):
    """A shown Restore workspace on the test runner, on the CPU; ``ws.messages`` collects its status lines."""
    from artstudio.core.paths import AppPaths
    from artstudio.core.settings import Settings
    from artstudio.ui.restore_workspace import RestoreWorkspace

    ws = RestoreWorkspace(runner, AppPaths.from_environment().ensure(), Settings(device="cpu"))
    qtbot.addWidget(ws)
    ws.messages = []
    ws.message.connect(ws.messages.append)
    ws.resize(1200, 800)
    ws.show()
    return ws


@pytest.fixture
def no_ghostscript(monkeypatch):
    """Fail the test if the EPS decoder is consulted or any process starts."""
    import subprocess

    from PIL import EpsImagePlugin

    reached = []

    def refuse(*args, **kwargs):
        reached.append(args)
        raise AssertionError("a hostile file reached an external program")

    original = EpsImagePlugin.EpsImageFile._open

    def spy(self):
        reached.append("eps")
        return original(self)

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", spy)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "check_call", refuse)
    return reached


@pytest.fixture
def canvas(qtbot, photo):
    """A shown canvas on a copy of ``photo`` with a 6 px hard brush (tests of painting and tools)."""
    from artstudio.core.brush import Brush
    from artstudio.core.document import Document
    from artstudio.ui.canvas import CanvasWidget

    c = CanvasWidget()
    qtbot.addWidget(c)
    c.resize(520, 400)
    c.show()
    qtbot.waitExposed(c)
    c.set_document(Document(photo.copy()))
    c.set_brush(Brush(size=6, hardness=1.0))
    return c
