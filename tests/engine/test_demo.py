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
    assert calls == ["mock", "stddev", "train", "embed", "umap", "umap", "umap", "evaluate"]
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
def test_demo_with_pretraining_pretrains_then_aligns(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def run(argv: Sequence[str]) -> int:
        calls.append(list(argv))
        return cli_main(list(argv))

    build_demo_project(tmp_path / "demo", n=160, image_size=32, max_epochs=1, run_command=run,
                       pretrain=True)
    assert [argv[0] for argv in calls] == ["mock", "stddev", "pretrain", "train", "embed",
                                           "umap", "umap", "umap", "evaluate"]
    train = calls[3]
    assert train[train.index("--preset") + 1] == "demo-pretrained"
    assert "--pretrained-spectrum" in calls[-1]


def test_demo_failure_names_the_step_and_how_to_resume(tmp_path: Path) -> None:
    with pytest.raises(AstroClipError, match=r"mock survey.*astroclip demo --project"):
        build_demo_project(tmp_path / "demo", n=10, run_command=lambda argv: 3)
