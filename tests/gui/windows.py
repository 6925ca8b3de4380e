"""Opening a real MainWindow in tests (the explorer tests' fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

N_GALAXIES = 120
"""Galaxies in the `explorer_project` fixture."""


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
