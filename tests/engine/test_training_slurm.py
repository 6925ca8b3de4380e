"""SLURM script writer, `astroclip slurm`, `astroclip sweep` skipping and `astroclip runs`."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from astroclip_engine.cli import main
from astroclip_engine.errors import ConfigError
from astroclip_engine.training import slurm
from astroclip_engine.training.run_dir import RunDir, RunStatus
from astroclip_engine.training.slurm import SlurmOptions, sbatch_script, write_sbatch
from astroclip_engine.training.sweep import plan_sweep, sweep


def test_script_has_resources_requeue_and_the_matching_train_command(tmp_path: Path) -> None:
    options = SlurmOptions(nodes=2, gpus_per_node=4, time="1-12:00:00", partition="gpu",
                           account="astro", cpus_per_task=8, mem="64G")
    path = write_sbatch(tmp_path / "run", options, ["--data", "/d/x.h5", "--preset", "repro-d8"],
                        command=["astroclip"])
    text = path.read_text()
    assert path == tmp_path / "run" / "submit.sbatch" and text.startswith("#!/bin/bash\n")
    for line in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4", "#SBATCH --gpus-per-node=4",
                 "#SBATCH --time=1-12:00:00", "#SBATCH --partition=gpu",
                 "#SBATCH --account=astro", "#SBATCH --cpus-per-task=8", "#SBATCH --mem=64G",
                 "#SBATCH --requeue", "#SBATCH --signal=USR1@120"):
        assert line in text.splitlines()
    srun = [line for line in text.splitlines() if line.startswith("srun ")]
    assert len(srun) == 1
    argv = shlex.split(srun[0])
    assert argv[:3] == ["srun", "astroclip", "train"]
    for flag, value in (("--devices", "4"), ("--num-nodes", "2"), ("--preset", "repro-d8"),
                        ("--out", str((tmp_path / "run").resolve()))):
        assert argv[argv.index(flag) + 1] == value
    assert "--resume" in argv


def test_slurm_embed_script_runs_data_parallel_embed(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    """`astroclip slurm --embed CKPT`: one `astroclip embed` DDP rank per GPU on every node."""
    checkpoint, data = tmp_path / "model.ckpt", tmp_path / "data.h5"
    checkpoint.write_bytes(b"x")
    code = main(["slurm", "--out", str(tmp_path / "run"), "--nodes", "3", "--gpus-per-node",
                 "4", "--time", "02:00:00", "--data", str(data), "--embed", str(checkpoint),
                 "--batch-size", "256"])
    assert code == 0 and "embed.sbatch" in capsys.readouterr().out
    text = (tmp_path / "run" / "embed.sbatch").read_text()
    assert "#SBATCH --ntasks-per-node=4" in text.splitlines() and "--requeue" in text
    argv = shlex.split(next(line for line in text.splitlines() if line.startswith("srun ")))
    assert "embed" in argv and "train" not in argv and "--resume" not in argv
    for flag, value in (("--devices", "4"), ("--num-nodes", "3"), ("--batch-size", "256"),
                        ("--checkpoint", str(checkpoint.resolve())), ("--accelerator", "gpu"),
                        ("--out", str((tmp_path / "run" / "embeddings.h5").resolve()))):
        assert argv[argv.index(flag) + 1] == value
    assert main(["slurm", "--out", str(tmp_path / "run"), "--gpus-per-node", "1", "--time",
                 "01:00:00", "--data", str(data), "--embed", str(tmp_path / "none.ckpt")]) == 2


@pytest.mark.parametrize("bad", [{"time": "12h"}, {"nodes": 0}, {"gpus_per_node": 0}])
def test_bad_options_are_refused(bad: dict) -> None:
    options = {"nodes": 1, "gpus_per_node": 1, "time": "01:00:00", **bad}
    with pytest.raises(ConfigError):
        sbatch_script(Path("run"), SlurmOptions(**options), [])


def test_slurm_command_writes_script_and_explains_missing_sbatch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(slurm.shutil, "which", lambda name: None)
    data = tmp_path / "data.h5"
    code = main(["slurm", "--out", str(tmp_path / "run"), "--nodes", "1", "--gpus-per-node",
                 "2", "--time", "02:00:00", "--data", str(data), "--preset", "demo-cpu",
                 "--batch-size", "64", "--freeze-backbones", "--submit"])
    assert code == 2
    assert "sbatch not found" in capsys.readouterr().err
    argv = shlex.split((tmp_path / "run" / "submit.sbatch").read_text().splitlines()[-1])
    assert argv[argv.index("--data") + 1] == str(data.resolve())
    assert argv[argv.index("--batch-size") + 1] == "64" and "--freeze-backbones" in argv


def test_sweep_skips_finished_runs_and_resumes_others(tmp_path: Path) -> None:
    calls: list[tuple[str, bool]] = []

    def fake_train(config, run_dir, resume, **_):
        calls.append((Path(run_dir).name, resume))
        run = RunDir(run_dir)
        run.path.mkdir(parents=True, exist_ok=True)
        run.write_config(config)
        status = RunStatus(state="finished", epoch=config.trainer.max_epochs)
        run.write_status(status)
        return status

    overrides = {"data": {"path": str(tmp_path / "d.h5")}, "trainer": {"max_epochs": 2}}
    runs = plan_sweep([2, 4], "repro", tmp_path / "ws", overrides)
    assert [r.config.model.embedding_dim for r in runs] == [2, 4]
    assert all(r.config.trainer.max_epochs == 2 for r in runs)
    sweep(runs, train=fake_train)
    assert calls == [("repro-d2", False), ("repro-d4", False)]
    # d4 was interrupted: the next sweep skips d2 and resumes d4
    RunDir(tmp_path / "ws" / "repro-d4").write_status(RunStatus(state="cancelled"))
    calls.clear()
    results = sweep(plan_sweep([2, 4], "repro", tmp_path / "ws", overrides), train=fake_train)
    assert calls == [("repro-d4", True)]
    assert [status.state for _, status in results] == ["finished", "finished"]


def test_runs_lists_state_loss_and_r2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from astroclip_engine.config import load_preset

    for name, state, loss in (("a", "finished", 1.5), ("b", "running", None)):
        run = RunDir(tmp_path / name)
        run.path.mkdir()
        run.write_config(load_preset("demo-cpu"))
        run.write_status(RunStatus(state=state, pid=2**22 + 12345, epoch=3, best_val_loss=loss,
                                   r2={"image_image": 0.61, "spectrum_spectrum": 0.97}))
    assert main(["runs", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["run", "state"]
    row = {line.split()[0]: line.split() for line in lines[1:]}
    assert row["a"][1:6] == ["finished", "3/6", "1.5000", "0.610", "0.970"]
    assert row["b"][1] == "interrupted"  # its pid does not exist
