"""File > Open demo project: a finished demo project opens at once, a missing one is built by a
child `astroclip demo` process whose failure is reported, not raised."""

from __future__ import annotations

from pathlib import Path

from astroclip_engine.project import PROJECT_FILE
from astroclip_gui.explorer.demo_ui import DemoLauncher, install_demo_action


class FakeWindow:
    def __init__(self) -> None:
        self.opened: list[Path] = []
        self.errors: list[tuple[str, str, str]] = []

    def open(self, path: Path) -> None:
        self.opened.append(Path(path))

    def _error(self, title: str, message: str, details: str) -> None:
        self.errors.append((title, message, details))


def test_existing_demo_project_opens_immediately(tmp_path: Path, qtbot) -> None:
    (tmp_path / PROJECT_FILE).write_text("store: embeddings.h5\n")
    window = FakeWindow()
    DemoLauncher(window, tmp_path).open_demo()  # type: ignore[arg-type]
    assert window.opened == [tmp_path]


def test_failed_build_is_reported(tmp_path: Path, qtbot) -> None:
    from PySide6.QtWidgets import QMainWindow

    class Host(QMainWindow, FakeWindow):
        def __init__(self) -> None:
            QMainWindow.__init__(self)
            FakeWindow.__init__(self)

    host = Host()
    qtbot.addWidget(host)
    # a file stands where the project folder's parent should be: `astroclip demo` fails
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    launcher = DemoLauncher(host, blocker / "demo")
    launcher.open_demo()
    qtbot.waitUntil(lambda: bool(host.errors), timeout=60000)
    assert host.opened == []
    assert host.errors[0][0] == "Demo project"


def test_menu_item_is_added(qtbot) -> None:
    from PySide6.QtWidgets import QMainWindow

    host = QMainWindow()
    qtbot.addWidget(host)
    menu = host.menuBar().addMenu("&File")
    install_demo_action(host, menu)
    assert any(a.text() == "Open demo project" for a in menu.actions())
