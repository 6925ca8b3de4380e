"""Screenshots of the explorer's insight views into docs/screenshots/ (offscreen,
QWidget.grab()): explorer_property_ranges.png (redshift and sSFR brushed),
explorer_clusters.png (a cluster chosen in the table, names and density contours) and
explorer_two_models.png (File > Compare with another store..., coloured by neighbour overlap).

    python scripts/insight_screenshots.py PROJECT SECOND_STORE [--modality spectrum] [--out DIR]

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
    out = Path(args.out)
    property_ranges(app, window, out / "explorer_property_ranges.png")
    clusters(app, window, out / "explorer_clusters.png")
    QFileDialog.getOpenFileName = lambda *a, **k: (args.second_store, "")  # type: ignore
    window.actions.actions["compare"].trigger()
    compare, view = window.insights.compare, window.insights.compare_view
    if not wait_for(app, lambda: compare.comparison is not None):
        print("comparison failed:", [m.text() for m in window.messages], file=sys.stderr)
        return 1
    wanted = (args.modality, args.modality)
    compare.open(args.second_store, wanted)
    if not wait_for(app, lambda: compare.comparison.modalities == wanted):
        print("no comparison of", wanted, file=sys.stderr)
        return 1
    view.colour_box.setChecked(True)
    settle(app, 1.0)
    click(app, window, int(compare.comparison.overlap_a.argmax()))
    window.grab().save(str(out / "explorer_two_models.png"))
    print("wrote", out / "explorer_two_models.png", "mean overlap",
          float(compare.comparison.overlap_a.mean()))
    return 0


def click(app, window, index: int) -> None:
    """Click galaxy `index` on the map as the mouse does, and let the views fill."""
    x, y = window.map_view.xy[index]
    window.map_view.click_at(float(x), float(y))
    settle(app, 2.0)


def property_ranges(app, window, path: Path) -> None:
    """Brush redshift 0.3-0.5 and log sSFR -13 to -11, click a galaxy inside, grab."""
    panel = window.insights.panel
    panel.plots["redshift"].region.setRegion((0.3, 0.5))
    panel.plots["log_ssfr"].region.setRegion((-13.0, -11.0))
    settle(app, 1.5)
    if window.state.brush is not None and len(window.state.brush):
        click(app, window, int(window.state.brush[len(window.state.brush) // 2]))
    window.grab().save(str(path))
    print("wrote", path)
    panel.clear_button.click()
    settle(app, 0.5)


def clusters(app, window, path: Path) -> None:
    """Show the cluster table, choose its second row, names and contours on, grab."""
    insights = window.insights
    insights.docks["clusters"].raise_()
    if not insights.cluster_table.contours_box.isChecked():
        insights.cluster_table.contours_box.click()
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    table = insights.cluster_table.table
    rect = table.visualItemRect(table.item(min(1, table.rowCount() - 1), 1))
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle(app, 1.0)
    selection = window.state.selection.indices
    if len(selection):
        click(app, window, int(selection[len(selection) // 2]))
    window.grab().save(str(path))
    print("wrote", path)
    window.docks["spectrum"].raise_()


if __name__ == "__main__":
    raise SystemExit(main())
