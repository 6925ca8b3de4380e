"""File > Open demo project: build the demo project (`astroclip demo`) in a child process with
visible progress, then open it. A finished demo project opens at once."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QProgressDialog

from astroclip_engine.project import PROJECT_FILE
from astroclip_gui.engine_process import ChainStep, CommandChain, engine_argv


def default_demo_dir() -> Path:
    """Where the app keeps its demo project (ASTROCLIP_DEMO_DIR overrides)."""
    override = os.environ.get("ASTROCLIP_DEMO_DIR")
    return Path(override) if override else Path.home() / "AstroCLIP Studio" / "demo_project"


class DemoLauncher:
    """Builds the demo project once (resuming an interrupted build) and opens it."""

    def __init__(self, window: QMainWindow, directory: Path | None = None) -> None:
        self.window = window
        self.directory = directory or default_demo_dir()
        self.chain: CommandChain | None = None
        self.dialog: QProgressDialog | None = None

    def open_demo(self) -> None:
        if (self.directory / PROJECT_FILE).exists():
            self.window.open(self.directory)
            return
        if self.chain is not None and self.chain.is_running():
            return
        label = "Building the demo project (mock survey, training, embeddings, UMAP, evaluation)"
        step = ChainStep(label, tuple(engine_argv("demo", "--project", str(self.directory))))
        self.chain = CommandChain([step], self.window)
        self.dialog = QProgressDialog(step.label, "Cancel", 0, 0, self.window)
        self.dialog.setWindowTitle("AstroCLIP demo")
        self.dialog.setMinimumWidth(560)
        self.dialog.canceled.connect(self.chain.cancel)
        self.chain.line.connect(self._show_line)
        self.chain.finished.connect(self._finished)
        self.dialog.show()
        self.chain.start()

    def _show_line(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.setLabelText(text.strip()[-160:])

    def _finished(self, ok: bool, message: str) -> None:
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.hide()
        if ok:
            self.window.open(self.directory)
        elif "cancelled" not in message:
            error = getattr(self.window, "_error", None)
            if callable(error):
                error("Demo project", "Building the demo project failed; choose the menu item "
                      "again to resume.", message)


def install_demo_action(window: QMainWindow, file_menu: QMenu,
                        directory: Path | None = None) -> DemoLauncher:
    """Add File > Open demo project to the window."""
    launcher = DemoLauncher(window, directory)
    action = QAction("Open demo project", window)
    action.setStatusTip("Open the built-in demo (built on first use: a few minutes on a laptop)")
    action.triggered.connect(lambda *_: launcher.open_demo())
    file_menu.insertAction(file_menu.actions()[2] if len(file_menu.actions()) > 2 else None,
                           action)
    window.demo_launcher = launcher  # type: ignore[attr-defined]
    return launcher
