"""Screenshot of two models side by side (File > Compare with another store...) into
docs/screenshots/explorer_two_models.png (offscreen, QWidget.grab()).

    python scripts/compare_screenshot.py PROJECT SECOND_STORE [--modality spectrum] [--out DIR]

PROJECT: a project folder or store (e.g. the demo); SECOND_STORE: a store of the same galaxies
from another model (e.g. `astroclip demo --recipe scratch`'s embeddings-scratch.h5).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def settle(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait_for(app, done, timeout: float = 120.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and not done():
        settle(app, 0.1)
    return bool(done())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project")
    parser.add_argument("second_store")
    parser.add_argument("--modality", default="spectrum")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication, QFileDialog

    from astroclip_gui.main_window import MainWindow
    from astroclip_gui.session import Session

    tmp = tempfile.TemporaryDirectory()
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Session(directory=Path(tmp.name) / "settings"))
    window.resize(1700, 1000)
    window.show()
    window.open(args.project)
    if not wait_for(app, lambda: window.state.loaded is not None):
        print("could not open", args.project, file=sys.stderr)
        return 1
    QFileDialog.getOpenFileName = lambda *a, **k: (args.second_store, "")  # type: ignore
    window.actions.actions["compare"].trigger()
    compare, view = window.insights.compare, window.insights.compare_view
    if not wait_for(app, lambda: compare.comparison is not None):
        print("comparison failed:", [m.text() for m in window.messages], file=sys.stderr)
        return 1
    view.set_modalities(args.modality, args.modality)
    view.modality_a.setCurrentText(args.modality)
    view.modality_b.setCurrentText(args.modality)
    wait_for(app, lambda: compare.comparison.modalities == (args.modality, args.modality))
    view.colour_box.setChecked(True)
    settle(app, 1.0)
    x, y = window.map_view.xy[int(compare.comparison.overlap_a.argmax())]
    window.map_view.click_at(float(x), float(y))
    settle(app, 2.0)
    out = Path(args.out) / "explorer_two_models.png"
    window.grab().save(str(out))
    print("wrote", out, "mean overlap", float(compare.comparison.overlap_a.mean()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
