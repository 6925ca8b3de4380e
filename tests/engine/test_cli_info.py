"""`astroclip info` knows every file the project writes (projects, stores, runs, folders of runs,
configurations, checkpoints, evaluation reports, stddev files) and every file it reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from astroclip_engine.cli import main as cli_main
from astroclip_engine.config import load_preset
from astroclip_engine.file_info import detect_kind
from astroclip_engine.training.run_dir import ProgressEvent, RunDir, RunStatus
from tests.engine.test_training_run import tiny_config
from tests.synthetic import build_synthetic_project


def info(path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> dict[str, Any]:
    assert cli_main(["info", str(path), "--json", *flags]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic project, its evaluation, a run directory written by the run writers, with a
    checkpoint of its model, under runs/."""
    import torch

    from astroclip_engine.models.factory import build_model, save_astroclip

    root = build_synthetic_project(tmp_path_factory.mktemp("info") / "project").parent
    assert cli_main(["evaluate", str(root / "embeddings.h5"), "--out", str(root / "evaluation"),
                     "--no-image-baseline", "--no-few-shot", "--progress", "none"]) == 0
    config = tiny_config(root / "dataset.h5")
    run = RunDir(root / "runs" / "tiny")
    run.write_config(config)
    for event in (ProgressEvent("start", total_steps=4), ProgressEvent("step", step=2,
                  train_loss=2.5), ProgressEvent("end", epoch=1, step=4, val_loss=2.0)):
        run.append_progress(event)
    run.write_status(RunStatus("finished", epoch=1, step=4, best_val_loss=2.0,
                               r2={"image_image": 0.4}))
    run.checkpoints_dir.mkdir()
    torch.manual_seed(0)
    save_astroclip(run.best_checkpoint, build_model(config.model), config)
    (root / "project.yaml").write_text((root / "project.yaml").read_text()
                                       + "runs_dir: runs\nevaluation: evaluation\n")
    return root


def test_our_embeddings_store(project: Path, capsys) -> None:
    store = info(project / "embeddings.h5", capsys)
    assert store["kind"] == "embeddings store"
    assert store["galaxies"] == 200 and store["embedding_dim"] == 16
    assert store["train"] + store["test"] == 200
    assert "redshift" in store["properties"]


def test_a_partial_store(project: Path, tmp_path: Path, capsys) -> None:
    import h5py

    partial = tmp_path / "embeddings.h5.partial"
    shutil.copy(project / "embeddings.h5", partial)
    with h5py.File(partial, "r+") as f:
        f.attrs["rows_done"], f.attrs["n_rows"] = 64, 200
    described = info(partial, capsys)
    assert described["kind"] == "embeddings store (partial)"
    assert (described["rows_done"], described["rows"]) == (64, 200)


def test_project_folder_and_file(project: Path, capsys) -> None:
    for path in (project, project / "project.yaml"):
        described = info(path, capsys)
        assert described["kind"] == "project" and described["galaxies"] == 200
        assert [r["run"] for r in described["runs"]] == ["tiny"]
        assert described["evaluation"] == str((project / "evaluation").resolve())


def test_run_directory_and_its_files(project: Path, capsys) -> None:
    run = project / "runs" / "tiny"
    for path in (run, run / "status.json", run / "progress.jsonl", run / "config.yaml"):
        described = info(path, capsys)
        assert described["kind"] == "run directory"
        assert described["state"] == "finished" and described["progress_events"] == 3
        assert described["model"]["embedding_dim"] == 8
        assert list(described["checkpoints"]) == ["best.ckpt"]


def test_folder_of_runs(project: Path, capsys) -> None:
    described = info(project / "runs", capsys)
    assert described["kind"] == "folder of runs"
    assert described["runs"][0]["run"] == "tiny" and described["runs"][0]["state"] == "finished"


def test_our_checkpoint(project: Path, capsys) -> None:
    described = info(project / "runs" / "tiny" / "checkpoints" / "best.ckpt", capsys)
    assert described["kind"] == "model checkpoint" and described["family"] == "astroclip-studio"
    assert described["embedding_dim"] == 8


def test_evaluation_folder_and_report(project: Path, capsys) -> None:
    for path in (project / "evaluation", project / "evaluation" / "report.md"):
        described = info(path, capsys)
        assert described["kind"] == "evaluation report" and described["test"] > 0
        rows = {row["method"]: row for row in described["zero_shot_r2"]}
        assert "knn16 image" in rows and "redshift" in rows["knn16 image"]


def test_configuration_and_preset(tmp_path: Path, capsys) -> None:
    preset = tmp_path / "mine.yaml"
    preset.write_text(load_preset("demo-cpu").to_yaml())
    described = info(preset, capsys)
    assert described["kind"] == "run configuration" and described["task"] == "align"


def test_mock_release_property_table_and_stddev(mock_survey: Path, tmp_path: Path,
                                                capsys) -> None:
    release = info(mock_survey, capsys, "--sample", "16")
    assert release["format"] == "hdf5-release" and release["rows"] == 64
    table = info(mock_survey.with_suffix(".provabgs.hdf5"), capsys)
    assert table["format"] == "property-table" and table["rows"] == 64
    stddev = tmp_path / "stddev.npy"
    assert cli_main(["stddev", str(mock_survey), "--out", str(stddev),
                     "--progress", "none"]) == 0
    capsys.readouterr()
    described = info(stddev, capsys)
    assert described["kind"] == "spectrum stddev" and described["bins"] == 7781


def test_published_embeddings(tmp_path: Path, capsys) -> None:
    from tests.published_files import write_official_hdf5

    assert info(write_official_hdf5(tmp_path / "official.h5"), capsys)["rows"] == 40


def test_real_desi_and_legacy_files(realdata: Path, capsys) -> None:
    coadd = info(realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits", capsys)
    assert coadd["format"] == "desi-coadd" and coadd["targets"] > 0
    cutout = realdata / "legacysurvey" / "astroclip_dr9_grz_357.9087_-54.8817.fits"
    assert info(cutout, capsys)["format"] == "legacy-cutout"


def test_unknown_files_are_refused_by_name(tmp_path: Path, capsys) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not astronomy")
    empty = tmp_path / "empty"
    empty.mkdir()
    for path in (notes, empty, tmp_path / "missing.h5"):
        assert cli_main(["info", str(path)]) == 2
        error = capsys.readouterr().err
        assert str(path) in error and "astroclip: error" in error
    assert "embeddings store" in error or "no such file" in error


@pytest.mark.parametrize("name, kind", [("report.json", "evaluation"),
                                        ("config.yaml", "run"), ("project.yaml", "project")])
def test_detect_kind_by_place(project: Path, name: str, kind: str) -> None:
    where = {"report.json": project / "evaluation", "config.yaml": project / "runs" / "tiny",
             "project.yaml": project}
    assert detect_kind(where[name] / name) == kind
