"""Render PNG screenshots of the explorer into docs/screenshots/ (offscreen, QWidget.grab()).

    python scripts/screenshots.py [PROJECT] [--out docs/screenshots]

PROJECT defaults to a synthetic project (tests.synthetic) built in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def settle(app, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", nargs="?")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    from astroclip_gui.explorer.selection import box_polygon
    from astroclip_gui.main_window import MainWindow
    from astroclip_gui.session import Session
    from tests.synthetic import build_synthetic_project

    tmp = tempfile.TemporaryDirectory()
    project = args.project or build_synthetic_project(Path(tmp.name) / "synthetic-demo",
                                                      n=3000, n_rows=600, dim=32, image_size=96)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Session(directory=Path(tmp.name) / "settings"))
    window.resize(1600, 1000)
    window.show()
    window.open(project)
    window.runner.wait(120000)
    settle(app, 1.0)
    loaded = window.state.loaded
    if loaded is None:
        print("could not open", project, [m.text() for m in window.messages], file=sys.stderr)
        return 1
    xy = loaded.maps[window.state.map_modality]
    centre = np.median(xy, axis=0)
    window.state.set_active(int(np.argmin(np.linalg.norm(xy - centre, axis=1))))
    settle(app)
    shots = {}
    for style in ("dark", "light"):
        window.set_style(style)
        settle(app)
        shots[f"explorer_{style}.png"] = window.grab()
    window.set_style("dark")
    x0, x1 = np.percentile(xy[:, 0], [10, 45])
    y0, y1 = np.percentile(xy[:, 1], [30, 90])
    window.map_view.select_polygon(box_polygon(x0, y0, x1, y1))
    window.map_controls.colour_box.setCurrentText(
        next((c for c in loaded.columns if c.startswith("cluster")), "redshift"))
    settle(app)
    shots["explorer_selection.png"] = window.grab()
    shots["map_only.png"] = window.map_view.grab()
    for name, pixmap in shots.items():
        pixmap.save(str(out / name), "PNG")
        print(out / name)
    window.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
