"""The demo pipeline end to end on a tiny mock: every step runs once, a second run skips all."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from astroclip_engine.cli import main as cli_main
from astroclip_engine.demo import build_demo_project
from astroclip_engine.errors import AstroClipError
from astroclip_engine.project import Project
from astroclip_engine.store import EmbeddingStore


@pytest.mark.slow
def test_demo_builds_a_project_then_skips_every_step(tmp_path: Path) -> None:
    calls: list[str] = []

    def run(argv: Sequence[str]) -> int:
        calls.append(argv[0])
        return cli_main(list(argv))

    project = build_demo_project(tmp_path / "demo", n=160, image_size=32, max_epochs=1,
                                 run_command=run)
    assert calls == ["mock", "stddev", "pretrain", "train", "embed", "umap", "umap", "umap",
                     "evaluate"]
    loaded = Project.load(tmp_path / "demo")
    assert loaded.store == project.store
    with EmbeddingStore(loaded.store) as store:
        assert len(store) == 160
        assert store.umap("joint") is not None
        assert store.cluster_names()
    assert (project.evaluation / "report.md").exists()

    calls.clear()
    build_demo_project(tmp_path / "demo", n=160, image_size=32, max_epochs=1, run_command=run)
    assert calls == []


@pytest.mark.slow
def test_demo_recipe_both_pretrains_each_encoder_then_aligns(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def run(argv: Sequence[str]) -> int:
        calls.append(list(argv))
        return cli_main(list(argv))

    project = build_demo_project(tmp_path / "demo", n=160, image_size=32, max_epochs=1,
                                 run_command=run, recipe="both")
    assert [argv[:3] for argv in calls[2:4]] == [["pretrain", "--modality", "image"],
                                                 ["pretrain", "--modality", "spectrum"]]
    train = calls[4]
    assert train[train.index("--preset") + 1] == "demo-pretrained"
    assert {"--image-checkpoint", "--spectrum-checkpoint"} <= set(train)
    assert {"--pretrained-spectrum", "--pretrained-image"} <= set(calls[-1])
    assert project.store.name == "embeddings-both.h5"
    report = (project.evaluation / "report.md").read_text()
    assert "image encoder alone" in report and "SpecFormer alone" in report


def test_demo_recipes_keep_their_own_runs_stores_and_reports(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def record(argv: Sequence[str]) -> int:
        calls.append(list(argv))
        return 0

    scratch = build_demo_project(tmp_path / "demo", n=10, run_command=record, recipe="scratch")
    assert [argv[0] for argv in calls] == ["mock", "stddev", "train", "embed", "umap", "umap",
                                           "umap", "evaluate"]
    train = calls[2]
    assert train[train.index("--preset") + 1] == "demo-cpu"
    assert "--image-checkpoint" not in train
    calls.clear()
    default = build_demo_project(tmp_path / "demo", n=10, run_command=record)
    pretrain, train = calls[2], calls[3]
    assert pretrain[:3] == ["pretrain", "--modality", "image"]
    assert train[train.index("--preset") + 1] == "demo-scan"
    image_checkpoint = train[train.index("--image-checkpoint") + 1]
    assert image_checkpoint == pretrain[pretrain.index("--out") + 1] + "/checkpoints/best.ckpt"
    assert calls[-1][calls[-1].index("--pretrained-image") + 1] == image_checkpoint
    assert default.store != scratch.store and default.evaluation != scratch.evaluation
    assert default.checkpoint != scratch.checkpoint
    with pytest.raises(AstroClipError, match="unknown demo recipe 'fast'"):
        build_demo_project(tmp_path / "demo", run_command=record, recipe="fast")


def test_demo_failure_names_the_step_and_how_to_resume(tmp_path: Path) -> None:
    with pytest.raises(AstroClipError, match=r"mock survey.*astroclip demo --project"):
        build_demo_project(tmp_path / "demo", n=10, run_command=lambda argv: 3)
