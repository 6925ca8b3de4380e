"""Paths read from files are never executed and never used to write outside the chosen place."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import yaml

from astroclip_engine.project import Project


def tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def test_project_yaml_pointing_outside_writes_nothing_there(qtbot, tmp_path: Path,
                                                           record_case) -> None:
    case = record_case(
        "project.yaml / store attributes naming paths outside the project, or shell commands",
        "project.yaml store '../outside/embeddings.h5'; dataset and the store's dataset_path "
        "set to '$(touch MARKER)' and '; touch MARKER'; opened in the explorer",
        "the project opens read-only: no file outside is created or modified; nothing "
        "executed (no marker)")
    from tests.gui.windows import open_window
    from tests.synthetic import build_synthetic_project

    outside = tmp_path / "outside"
    build_synthetic_project(outside, n=40, image_size=16, seed=2)
    marker = tmp_path / "MARKER"
    with h5py.File(outside / "embeddings.h5", "r+") as f:
        f.attrs["dataset_path"] = f"; touch {marker}"
    os.utime(outside / "embeddings.h5", ns=(1, 1))
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    (project_dir / "project.yaml").write_text(yaml.safe_dump({
        "name": "p", "store": "../outside/embeddings.h5", "dataset": f"$(touch {marker})"}))
    before = tree_state(outside)
    window = open_window(qtbot, tmp_path / "settings")
    asked: list[str] = []
    window.controller.ask_dataset = lambda recorded: asked.append(recorded)  # user cancels
    window.open(project_dir)
    qtbot.waitUntil(lambda: window.state.loaded is not None, timeout=15000)
    window.state.set_active(3)
    qtbot.wait(200)
    window.runner.wait(10000)
    assert window.state.loaded is not None and window.state.loaded.dataset is None
    assert asked and all(marker.name in path for path in asked)  # shown, never run
    assert tree_state(outside) == before and not marker.exists()
    assert not list(tmp_path.glob("*touch*")) and not list(project_dir.glob("*touch*"))
    window.close()
    case.done("opened with the dataset marked missing; outside folder unchanged; no marker", 0)


def test_checkpoint_config_paths_are_not_followed(tiny_checkpoint: Path, tiny_mock: Path,
                                                  tmp_path: Path, record_case) -> None:
    case = record_case(
        "checkpoint whose config names pretrained files / data paths elsewhere",
        "config.model.image_checkpoint and data.path set to '/nonexistent/$(touch MARKER)' in a "
        "saved export, then `embed_dataset` into a chosen folder",
        "the paths are neither read nor executed; outputs only in the chosen folder")
    from astroclip_engine.embed import embed_dataset
    from astroclip_engine.models.checkpoints import load_astroclip, save_astroclip

    marker = tmp_path / "MARKER"
    model, config = load_astroclip(tiny_checkpoint)
    hostile = config.replace(model={"image_checkpoint": f"/nonexistent/$(touch {marker})"},
                             data={"path": f"/nonexistent/; touch {marker}"})
    ckpt = save_astroclip(tmp_path / "ckpt" / "m.ckpt", model, hostile)
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    embed_dataset(ckpt, tiny_mock, chosen / "emb.h5", batch_size=16, device="cpu")
    assert sorted(p.name for p in chosen.iterdir()) == ["emb.h5"]
    assert not marker.exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "chosen", "ckpt"]
    case.done("store written only at the chosen path; config paths ignored; no marker", 0)


def test_exports_replace_links_and_stay_in_the_chosen_folder(tmp_path: Path,
                                                             record_case) -> None:
    case = record_case(
        "export / atomic write to a chosen path that is a symlink to a file elsewhere",
        "CSV export and project.yaml save over a symlink pointing outside the folder",
        "the link itself is replaced; the outside file is untouched; no other file appears")
    import numpy as np

    from astroclip_gui.explorer.export import export_rows_csv

    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("do not overwrite")
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    link = chosen / "selection.csv"
    link.symlink_to(secret)
    export_rows_csv(link, np.arange(3), np.arange(3), None, {"z": np.ones(3)})
    project = Project(root=chosen, name="p", store=chosen / "embeddings.h5")
    (chosen / "project.yaml").symlink_to(secret)
    project.save()
    assert secret.read_text() == "do not overwrite"
    assert not link.is_symlink() and link.read_text().startswith("targetid")
    assert sorted(p.name for p in chosen.iterdir()) == ["project.yaml", "selection.csv"]
    assert Project.load(chosen).store == chosen / "embeddings.h5"
    case.done("links replaced by regular files; outside file intact; no stray files", 0)
