"""The runs panel's "Reproducible map (seeded, slower)" option reaches the `astroclip umap`
command lines of the analysis the training controller starts (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from astroclip_engine.analysis import REPRODUCIBLE_UMAP_SEED
from astroclip_engine.cli import build_parser
from astroclip_engine.config import load_preset
from astroclip_engine.training.run_dir import RunDir, RunStatus
from astroclip_gui.engine_process import CommandChain
from astroclip_gui.training.controller import install_training_ui


def _finished_run(workspace: Path) -> RunDir:
    run = RunDir(workspace / "done")
    run.path.mkdir(parents=True)
    run.write_config(load_preset("demo-cpu"))
    run.write_status(RunStatus(state="finished"))
    return run


def _umap_argvs(chain: CommandChain) -> list[list[str]]:
    """The `astroclip` arguments (after `python -m astroclip_engine.cli`) of the UMAP steps."""
    argvs = [list(step.argv) for step in chain.steps if step.label.startswith("UMAP")]
    return [argv[argv.index("astroclip_engine.cli") + 1:] for argv in argvs]


@pytest.mark.parametrize("reproducible", [False, True])
def test_reproducible_map_option_reaches_the_umap_command(qtbot, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          reproducible: bool) -> None:
    from PySide6.QtWidgets import QMainWindow

    started: list[CommandChain] = []
    monkeypatch.setattr(CommandChain, "start", lambda chain: started.append(chain))
    run = _finished_run(tmp_path / "runs")
    window = QMainWindow()
    qtbot.addWidget(window)
    controller = install_training_ui(window, tmp_path / "runs")
    panel = controller.runs
    assert panel.reproducible_check.text() == "Reproducible map (seeded, slower)"
    assert not panel.reproducible_check.isChecked()  # unseeded on every core by default
    panel.reproducible_check.setChecked(reproducible)
    panel.analyse(run.path)

    assert len(started) == 1
    umap_argvs = _umap_argvs(started[0])
    assert len(umap_argvs) == 3
    for argv in umap_argvs:
        assert ("--seed" in argv) == reproducible
        args = build_parser().parse_args(argv)  # a valid `astroclip umap` command line
        assert args.seed == (REPRODUCIBLE_UMAP_SEED if reproducible else None)
    embed = started[0].steps[0].argv
    assert "--seed" not in embed  # only the maps are seeded
