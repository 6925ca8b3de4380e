"""`astroclip-studio [PROJECT] [--smoke]`: start the explorer."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from astroclip_gui.session import APPLICATION, ORGANIZATION, Session

SMOKE_MS = 1000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="astroclip-studio",
                                     description="AstroCLIP Studio: explore galaxy embeddings.")
    parser.add_argument("project", nargs="?", help="project folder, project.yaml or store .h5")
    parser.add_argument("--smoke", action="store_true",
                        help="open the window, process events for about 1 s, save nothing, exit 0")
    parser.add_argument("--settings-dir", help="keep settings in this folder (default: per user)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    from astroclip_gui.explorer.demo_ui import install_demo_action
    from astroclip_gui.main_window import MainWindow
    from astroclip_gui.training.controller import install_training_ui

    if args.smoke:  # a throwaway settings file: a smoke run saves nothing
        import tempfile

        tmp = tempfile.TemporaryDirectory()
        session = Session(directory=tmp.name)
    else:
        session = Session(directory=args.settings_dir) if args.settings_dir else Session()
    window = MainWindow(session)
    install_demo_action(window, window.actions.file_menu)
    install_training_ui(window)
    window.show()
    if args.project:
        window.open(args.project)
    elif not args.smoke:
        window.restore_session()
    if args.smoke:
        loop = QEventLoop()  # a local loop: quitting the application would stop later
        QTimer.singleShot(SMOKE_MS, loop.quit)  # cross-thread signals in the same process
        loop.exec()
        window.runner.wait(10000)
        failed = [m for m in window.messages if m.objectName() == "errorDialog"]
        for box in failed:
            print(f"astroclip-studio: {box.text()}", file=sys.stderr)
        window.close()
        tmp.cleanup()
        return 1 if failed else 0
    return app.exec()


def exit_without_teardown(code: int) -> None:
    """End the process the way the app does: run atexit callbacks, flush, then os._exit.

    Freeing PySide6/pyqtgraph objects after the QApplication is gone can crash the interpreter
    at exit ("none_dealloc" after a long session); by then the window is closed and the session
    saved, so the app skips that teardown (pyqtgraph's own `pyqtgraph.exit()` does the same)."""
    import atexit
    import os

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def console_main() -> None:
    """The `astroclip-studio` command."""
    exit_without_teardown(main())


if __name__ == "__main__":
    console_main()
