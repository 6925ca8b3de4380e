"""Fixtures of the GUI tests: a tiny synthetic project and a main window that has it open."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gui.windows import N_GALAXIES, open_window
from tests.synthetic import build_synthetic_project


@pytest.fixture(scope="session")
def explorer_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """project.yaml of a 120-galaxy synthetic project (32 px images)."""
    return build_synthetic_project(tmp_path_factory.mktemp("explorer") / "proj", n=N_GALAXIES,
                                   image_size=32, seed=3)


@pytest.fixture
def window(qtbot, tmp_path: Path, explorer_project: Path):
    w = open_window(qtbot, tmp_path / "settings", explorer_project)
    yield w
    w.runner.wait(10000)
