"""The Quality chart: measured at the start and at each checkpoint of a GAN/VAE run, shown in Train."""

from __future__ import annotations

import json

import numpy as np
import pytest

from artstudio.jobs.base import CancelToken, Progress, run_sync
from artstudio.jobs.quality import CHART, QualityPoint
from artstudio.jobs.train_common import TrainLog
from artstudio.jobs.train_gen import TrainGenRequest, run_train_gen
from test_evaluate_cli import write_photos


def request(tmp_path, data, **changes) -> TrainGenRequest:
    base = dict(kind="gan", data=data, out=tmp_path / "models", name="q", preset="stable", size=64, steps=1,
                batch=4, width=8, seed=1, checkpoint_every=1, sample_every=0, device="cpu", crop="center")
    return TrainGenRequest(**{**base, **changes})


def events(job):
    found = []
    result = run_sync(job, found.append)
    return found, result


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_photos(tmp_path_factory.mktemp("train") / "photos", 40)


def test_a_run_measures_quality_at_the_start_and_at_each_checkpoint_and_trains_the_same(tmp_path, folder,
                                                                                       monkeypatch):
    monkeypatch.setattr("artstudio.core.metrics.MIN_IMAGES", 32)          # the real 200 is slow to test with
    seen, result = events(run_train_gen(request(tmp_path, folder, quality=256), CancelToken()))
    points = [e for e in seen if isinstance(e, QualityPoint)]
    assert [p.step for p in points] == [0, 1]
    assert "(40 samples vs 40 training images" in next(e.line for e in seen if isinstance(e, TrainLog)
                                                      and e.line.startswith("Quality at step 1"))
    for point in points:
        assert set(point.figures) == {"FD", "KID", "SWD", "precision", "recall"}
        assert all(np.isfinite(v) for v in point.figures.values()) and point.seconds > 0
    logs = [e.line for e in seen if isinstance(e, TrainLog)]
    assert sum(line.startswith("Quality at step") for line in logs) == 2
    assert any(isinstance(e, Progress) and "Measuring quality" in e.message for e in seen)
    # Measuring changes no weight and no recipe: the same run without it ends bit for bit the same.
    plain = run_sync(run_train_gen(request(tmp_path, folder, name="plain"), CancelToken()))
    assert plain.digest == result.digest
    card, plain_card = (json.loads((tmp_path / "models" / f"{n}.json").read_text()) for n in ("q", "plain"))
    assert card["recipe"] == {**plain_card["recipe"], "name": "q"}


def test_a_folder_below_the_minimum_turns_the_chart_off_with_one_line(tmp_path):
    few = write_photos(tmp_path / "few", 8)
    seen, _ = events(run_train_gen(request(tmp_path, few, quality=256), CancelToken()))
    assert not any(isinstance(e, QualityPoint) for e in seen)
    off = [e.line for e in seen if isinstance(e, TrainLog) and "Quality chart off" in e.line]
    assert off == ["Quality chart off: the folder has 8 images, and a stable figure needs at least 200."]


def test_the_workspace_draws_quality_points_relative_to_the_first(qtbot, runner):
    from artstudio.core.paths import AppPaths
    from artstudio.core.settings import Settings
    from artstudio.ui.train_workspace import TrainWorkspace

    ws = TrainWorkspace(runner, AppPaths.from_environment().ensure(), Settings())
    qtbot.addWidget(ws)
    ws.resize(1200, 800)
    ws.show()
    chart = ws.monitor.quality
    blank = chart.grab().toImage()
    ws.job_id = 7
    for step, fd in ((0, 400.0), (500, 200.0), (1000, 100.0)):
        ws._on_runner_event(7, QualityPoint(step, {"FD": fd, "KID": fd / 100, "SWD": 50.0, "precision": 0.5,
                                                   "recall": 0.2}, 1.0))
    ws._on_runner_event(8, QualityPoint(1500, {"FD": 1.0}, 1.0))          # another job's: ignored
    assert tuple(chart.series) == CHART
    assert chart.series["FD"] == [(0, 1.0), (500, 0.5), (1000, 0.25)]
    assert chart.legend_label("FD", chart.series["FD"]) == "FD 100"
    assert chart.grab().toImage() != blank
    ws.monitor.begin(2000)                                                # a new run starts a new chart
    assert chart.series == {} and chart.raw == {}
