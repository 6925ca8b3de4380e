"""The pretraining dialog and the runs panel's view of pretraining runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from astroclip_engine.config import load_preset
from astroclip_engine.training.run_dir import RunDir
from astroclip_gui.training.pretrain_dialog import PretrainDialog, pretrain_args
from astroclip_gui.training.run_summary import analysis_commands, resume_args, summarize


def test_dialog_builds_the_pretrain_command_and_emits_it(qtbot, tmp_path: Path) -> None:
    dialog = PretrainDialog(tmp_path)
    qtbot.addWidget(dialog)
    assert not dialog.start_button.isEnabled()  # no data yet
    dialog.data.setText("/data/m.h5")
    dialog.epochs.setValue(5)
    assert dialog.start_button.isEnabled()
    assert dialog.args() == ["pretrain", "--modality", "spectrum", "--data", "/data/m.h5",
                             "--preset", "pretrain-spectrum-small",
                             "--out", str(tmp_path / "pretrain-spectrum"), "--max-epochs", "5"]
    assert "astroclip pretrain --modality spectrum" in dialog.command.text()
    with qtbot.waitSignal(dialog.start_requested) as signal:
        dialog.start_button.click()
    assert signal.args == [dialog.args(), tmp_path / "pretrain-spectrum"]


def test_choosing_the_official_preset_takes_its_epochs_and_batch(qtbot, tmp_path: Path) -> None:
    dialog = PretrainDialog(tmp_path)
    qtbot.addWidget(dialog)
    dialog.preset.setCurrentIndex(dialog.preset.findData("pretrain-spectrum"))
    official = load_preset("pretrain-spectrum").trainer
    assert (dialog.epochs.value(), dialog.batch.value()) == (official.max_epochs,
                                                              official.batch_size)


def test_an_existing_run_folder_cannot_be_started_again(qtbot, tmp_path: Path) -> None:
    (tmp_path / "pretrain-spectrum").mkdir()
    dialog = PretrainDialog(tmp_path)
    qtbot.addWidget(dialog)
    dialog.data.setText("/data/m.h5")
    assert not dialog.start_button.isEnabled()
    assert "exists" in dialog.command.text()


def test_runs_panel_names_pretraining_runs_and_resumes_them_with_pretrain(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "pt")
    run.path.mkdir()
    run.write_config(load_preset("pretrain-spectrum-small"))
    summary = summarize(run)
    assert summary.encoders == "pretraining: small SpecFormer (masked spectra)"
    assert summary.pretraining and summary.embedding_dim is None
    assert resume_args(run)[:3] == ["pretrain", "--modality", "spectrum"]
    assert pretrain_args("m.h5", run.path, "pretrain-spectrum-small", 2, 64) == [
        "pretrain", "--modality", "spectrum", "--data", "m.h5", "--preset",
        "pretrain-spectrum-small", "--out", str(run.path)]


def test_choosing_images_builds_the_image_pretrain_command(qtbot, tmp_path: Path) -> None:
    dialog = PretrainDialog(tmp_path)
    qtbot.addWidget(dialog)
    dialog.stddev.setText("/data/std.npy")
    dialog.modality.setCurrentIndex(dialog.modality.findData("image"))
    presets = [dialog.preset.itemData(i) for i in range(dialog.preset.count())]
    assert presets == ["pretrain-image-small", "pretrain-image"]
    assert not dialog.stddev_row.isEnabled() and dialog.stddev.text() == ""
    assert "MoCo" in dialog.intro.text()
    dialog.data.setText("/data/m.h5")
    small = load_preset("pretrain-image-small").trainer
    assert (dialog.epochs.value(), dialog.batch.value()) == (small.max_epochs, small.batch_size)
    assert dialog.args() == ["pretrain", "--modality", "image", "--data", "/data/m.h5",
                             "--preset", "pretrain-image-small",
                             "--out", str(tmp_path / "pretrain-image")]
    assert dialog.command.text().startswith("astroclip pretrain --modality image")
    dialog.preset.setCurrentIndex(dialog.preset.findData("pretrain-image"))
    assert dialog.args()[2:3] == ["image"] and dialog.batch.value() == 256
    with qtbot.waitSignal(dialog.start_requested) as signal:
        dialog.start_button.click()
    assert signal.args == [dialog.args(), tmp_path / "pretrain-image"]


def test_runs_panel_names_image_pretraining_runs_and_their_aligned_runs(tmp_path: Path) -> None:
    pretrain = RunDir(tmp_path / "pti")
    pretrain.path.mkdir()
    pretrain.write_config(load_preset("pretrain-image-small"))
    summary = summarize(pretrain)
    assert summary.encoders == "pretraining: small ResNet (MoCo images)"
    assert summary.pretraining and summary.embedding_dim is None
    assert resume_args(pretrain)[:3] == ["pretrain", "--modality", "image"]
    aligned = RunDir(tmp_path / "aligned")
    aligned.path.mkdir()
    demo = load_preset("demo-cpu")
    checkpoint = str(pretrain.best_checkpoint)
    aligned.write_config(replace(demo, model=replace(demo.model, image_checkpoint=checkpoint)))
    assert summarize(aligned).encoders.startswith("pretrained small ResNet + ")
    evaluate = analysis_commands(aligned, "m.h5")[-1][1]
    assert evaluate[evaluate.index("--pretrained-image") + 1] == checkpoint
