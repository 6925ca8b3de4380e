"""Shared fixtures of the explorer tests: a tiny synthetic project and an opened main window."""

from __future__ import annotations

from pathlib import Path

import pytest

from astroclip_gui.synthetic import build_synthetic_project

N_GALAXIES = 120


@pytest.fixture(scope="session")
def explorer_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """project.yaml of a 120-galaxy synthetic project (32 px images)."""
    return build_synthetic_project(tmp_path_factory.mktemp("explorer") / "proj", n=N_GALAXIES,
                                   image_size=32, seed=3)


def open_window(qtbot, settings_dir: Path, project: Path | None = None):
    """A MainWindow with its settings in `settings_dir`, optionally with `project` loaded."""
    from astroclip_gui.main_window import MainWindow
    from astroclip_gui.session import Session

    window = MainWindow(Session(directory=settings_dir))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    if project is not None:
        window.open(project)
        qtbot.waitUntil(lambda: window.state.loaded is not None, timeout=15000)
    return window


@pytest.fixture
def window(qtbot, tmp_path: Path, explorer_project: Path):
    w = open_window(qtbot, tmp_path / "settings", explorer_project)
    yield w
    w.runner.wait(10000)
