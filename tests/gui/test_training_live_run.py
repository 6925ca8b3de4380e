"""A REAL tiny `astroclip train` child process driven from the GUI side: progress reaches the
monitor, cancel (SIGTERM) keeps the checkpoint, resume finishes, the runs panel shows it; a
child that dies is marked failed with its last log lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from astroclip_engine.config import load_preset
from astroclip_engine.training.run_dir import RunDir
from astroclip_gui.training.monitor import TrainingMonitorWidget
from astroclip_gui.training.process import TrainingProcess
from astroclip_gui.training.request import TrainRequest
from astroclip_gui.training.runs_panel import RunsPanelWidget

RUN_MS = 240000


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from astroclip_engine.data.mock import generate_mock

    path = tmp_path_factory.mktemp("train_mock") / "mock.h5"
    generate_mock(path, n=48, seed=11, image_size=32)
    return path


@pytest.mark.slow
def test_train_cancel_resume_finish(qtbot, tmp_path: Path, tiny_data: Path) -> None:
    config = load_preset("demo-cpu").replace(
        model={"embedding_dim": 8}, trainer={"max_epochs": 3, "batch_size": 16},
        data={"num_workers": 0})
    request = TrainRequest("tiny", tmp_path, tiny_data, config, "demo-cpu")
    request.prepare()
    process = TrainingProcess(request.train_args(), request.run_dir)
    monitor = TrainingMonitorWidget()
    qtbot.addWidget(monitor)
    monitor.attach(process)
    panel = RunsPanelWidget(tmp_path, poll_ms=200)
    qtbot.addWidget(panel)

    # start; the first finished epoch arrives as a progress event -> cancel (SIGTERM)
    with qtbot.waitSignal(process.event, timeout=RUN_MS,
                          check_params_cb=lambda e: e.event == "checkpoint"):
        process.start()
    assert monitor.state == "running" and monitor.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: any(s.state == "running" for s in panel.summaries), timeout=5000)
    with qtbot.waitSignal(process.finished, timeout=RUN_MS) as blocker:
        monitor.cancel_button.click()
    assert blocker.args == ["cancelled"]
    run = RunDir(request.run_dir)
    assert run.read_status().state == "cancelled" and run.last_checkpoint.exists()
    assert monitor.resume_button.isEnabled()
    epochs_before = [e.epoch for e in run.read_progress() if e.event == "epoch"]
    assert epochs_before and epochs_before[-1] < 3  # stopped early, at an epoch boundary

    # resume from last.ckpt and finish
    with qtbot.waitSignal(process.finished, timeout=RUN_MS) as blocker:
        monitor.resume_button.click()
    assert blocker.args == ["finished"], "\n".join(process.tail)
    status = run.read_status()
    assert status.state == "finished" and status.epoch == 3
    assert status.best_val_loss is not None and set(status.r2) >= {"image_image"}
    epochs = [e.epoch for e in run.read_progress() if e.event == "epoch"]
    assert epochs[-1] == 3 and sorted(set(epochs)) == [1, 2, 3], epochs
    # the monitor drops points a resume replays: one R² point per epoch, in order
    assert monitor.curve_points("image_image")[0] == [1, 2, 3]
    xs, ys = monitor.curve_points("val")
    assert len(ys) == 3 and all(y > 0 for y in ys) and xs == sorted(xs)
    assert monitor.open_button.isEnabled()

    # the runs panel lists it with its status and results
    qtbot.waitUntil(lambda: any(s.state == "finished" for s in panel.summaries), timeout=5000)
    row = next(s for s in panel.summaries if s.name == "tiny")
    assert row.embedding_dim == 8 and row.epochs_text == "3 / 3"
    assert panel.table.item(0, 4).text() == "finished"
    assert panel.table.item(0, 5).text() == f"{status.best_val_loss:.3f}"
    panel.select_run(request.run_dir)
    assert panel.analyse_button.isEnabled() and not panel.resume_button.isEnabled()

    # a finished run replays from its files
    replay = TrainingMonitorWidget()
    qtbot.addWidget(replay)
    replay.replay(request.run_dir)
    assert replay.state == "finished" and replay.curve_points("image_image")[0] == [1, 2, 3]


def test_child_that_dies_is_marked_failed(qtbot, tmp_path: Path) -> None:
    run = tmp_path / "broken"
    run.mkdir()
    RunDir(run).write_config(load_preset("demo-cpu"))
    process = TrainingProcess(["train", "--data", str(tmp_path / "missing.h5"), "--preset",
                               "demo-cpu", "--out", str(run)], run)
    monitor = TrainingMonitorWidget()
    qtbot.addWidget(monitor)
    monitor.attach(process)
    with qtbot.waitSignal(process.finished, timeout=RUN_MS) as blocker:
        process.start()
    assert blocker.args == ["failed"] and process.exit_code == 2
    assert any("missing.h5" in line for line in process.tail)
    assert "missing.h5" in monitor.log.toPlainText()
    assert monitor.state == "failed" and monitor.resume_button.isEnabled()
    status = RunDir(run).read_status()
    assert status.state == "failed" and "missing.h5" in status.message
