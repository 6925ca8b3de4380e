"""The pretraining dialog and the runs panel's view of pretraining runs."""

from __future__ import annotations

from pathlib import Path

from astroclip_engine.config import load_preset
from astroclip_engine.training.run_dir import RunDir
from astroclip_gui.training.pretrain_dialog import PretrainDialog, pretrain_args
from astroclip_gui.training.run_summary import resume_args, summarize


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
