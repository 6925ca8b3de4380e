"""Brushing the property panel at 200,000 galaxies (docs/architecture.md, GUI; issue 11).

One brush update = the range's new mask and the brushed set, the map highlight and the
panel's histogram overlays, all run by the signal a drag emits; "+ repaint" adds an offscreen
render of the map. The neighbour search restricted to the brushed set runs once the brush
rests (150 ms later): its own row.

    python benchmarks/gui_brush.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.table import print_table

TARGET_MS = 100.0
FRACTIONS = (0.05, 0.2, 0.5, 0.9)
"""Redshift ranges holding these fractions of the galaxies."""


def _brushes(app, window, fractions: tuple[float, ...], repaint: bool) -> list[float]:
    panel = window.insights.panel
    z = window.state.loaded.columns["redshift"]
    times = []
    for fraction in fractions:
        low, high = np.nanpercentile(z, [50 - 50 * fraction, 50 + 50 * fraction])
        panel.plots["redshift"].region.blockSignals(True)
        panel.plots["redshift"].region.setRegion((low, high))
        panel.plots["redshift"].region.blockSignals(False)
        panel._pending.add("redshift")
        t = time.perf_counter()
        panel._emit_pending()  # what the drag's throttle timer runs
        app.processEvents()
        if repaint:
            window.map_view.grab()
        times.append((time.perf_counter() - t) * 1000)
    return times


def run(quick: bool = False) -> list[dict]:
    from PySide6.QtWidgets import QApplication

    from astroclip_gui.main_window import MainWindow
    from astroclip_gui.session import Session
    from tests.synthetic import build_synthetic_project

    n = 50_000 if quick else 200_000
    tmp = tempfile.TemporaryDirectory()
    project = build_synthetic_project(Path(tmp.name) / "bench", n=n, n_rows=512, dim=128,
                                      n_clusters=12, image_size=32, seed=1)
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Session(directory=Path(tmp.name) / "settings"))
    window.resize(1600, 1000)
    window.show()
    window.open(project)
    while window.state.loaded is None:
        app.processEvents()
        time.sleep(0.002)
    window.map_view.wait_for_density_cache()
    window.state.set_active(0)  # brushing re-runs its (restricted) neighbour search
    app.processEvents()
    _brushes(app, window, (0.3,), repaint=True)  # warm-up
    rows = []
    for repaint in (False, True):
        times = _brushes(app, window, FRACTIONS * (1 if quick else 3), repaint)
        median = float(np.median(times))
        rows.append({"measure": "brush update" + (" + repaint" if repaint else ""), "n": n,
                     "median ms": round(median, 1), "max ms": round(float(np.max(times)), 1),
                     "target ms": TARGET_MS, "ok": "yes" if median <= TARGET_MS else "NO"})
    searches = []
    for _ in range(5 if quick else 10):
        t = time.perf_counter()
        window.controller.run_search()
        searches.append((time.perf_counter() - t) * 1000)
    rows.append({"measure": "neighbour search in the ranges", "n": n,
                 "median ms": round(float(np.median(searches)), 1),
                 "max ms": round(float(np.max(searches)), 1), "target ms": TARGET_MS,
                 "ok": "yes" if np.median(searches) <= TARGET_MS else "NO"})
    window.close()
    tmp.cleanup()
    return rows


def main() -> None:
    print_table(run(quick="--quick" in sys.argv))


if __name__ == "__main__":
    main()
