"""The training monitor's plots are readable: legends sit above the plot area (never over the
curves), every curve is named there, and the axes carry their units."""

from __future__ import annotations

from pathlib import Path

from astroclip_engine.training.run_dir import ProgressEvent, RunDir, RunStatus
from astroclip_gui.training.monitor import R2_CURVES, TrainingMonitorWidget


def _write_run(path: Path) -> RunDir:
    """A two-epoch run's progress.jsonl and status.json, written by the run's own writers."""
    run = RunDir(path)
    run.append_progress(ProgressEvent("start", total_steps=8))
    for step in range(1, 9):
        run.append_progress(ProgressEvent("step", epoch=(step - 1) // 4 + 1, step=step,
                                          total_steps=8, train_loss=4.5 - 0.1 * step,
                                          lr=1e-3 / step))
        if step % 4 == 0:
            r2 = {key: 0.1 * step - 0.2 * i for i, key in enumerate(R2_CURVES)}
            run.append_progress(ProgressEvent("epoch", epoch=step // 4, step=step,
                                              total_steps=8, val_loss=4.2 - 0.1 * step, r2=r2))
    run.append_progress(ProgressEvent("end", epoch=2, step=8, total_steps=8))
    run.write_status(RunStatus("finished", epoch=2, step=8))
    return run


def test_legends_sit_above_the_curves_and_axes_have_units(qtbot, tmp_path: Path) -> None:
    monitor = TrainingMonitorWidget()
    qtbot.addWidget(monitor)
    monitor.resize(900, 640)
    monitor.show()
    monitor.replay(_write_run(tmp_path / "run").path)
    qtbot.waitUntil(lambda: monitor.r2_curves["image_image"].getData()[0] is not None)
    assert list(monitor.r2_curves["image_image"].getData()[0]) == [1, 2]
    for plot in (monitor.loss_plot, monitor.lr_plot, monitor.r2_plot):
        item = plot.getPlotItem()
        assert item.legend is None  # no legend box inside the plot area
        title = item.titleLabel.sceneBoundingRect()
        view = item.getViewBox().sceneBoundingRect()
        assert title.bottom() <= view.top() + 1, "the title (and legend) overlaps the curves"
    loss_title = monitor.loss_plot.getPlotItem().titleLabel.text
    assert "train" in loss_title and "validation" in loss_title
    r2_title = monitor.r2_plot.getPlotItem().titleLabel.text
    assert all(label in r2_title for label, _ in R2_CURVES.values())
    labels = {name: plot.getAxis(side).labelText for name, plot, side in (
        ("step", monitor.loss_plot, "bottom"), ("loss", monitor.loss_plot, "left"),
        ("r2", monitor.r2_plot, "left"), ("epoch", monitor.r2_plot, "bottom"))}
    assert labels["step"] == "optimizer step" and "(nats)" in labels["loss"]
    assert labels["r2"].startswith("R²") and "(" in labels["r2"] and labels["epoch"] == "epoch"


def test_runs_panel_legends_name_each_run_above_the_curves(qtbot, tmp_path: Path) -> None:
    from astroclip_engine.config import load_preset
    from astroclip_gui.training.runs_panel import RunsPanelWidget

    run = _write_run(tmp_path / "runs" / "tiny")
    run.write_config(load_preset("demo-cpu"))
    panel = RunsPanelWidget(run.path.parent)
    qtbot.addWidget(panel)
    panel.resize(900, 640)
    panel.show()
    panel.select_run(run.path)
    for plot in (panel.loss_plot, panel.r2_plot):
        assert plot.getPlotItem().legend is None
    assert "tiny" in panel.loss_plot.getPlotItem().titleLabel.text
    assert "(nats)" in panel.loss_plot.getAxis("left").labelText
