"""Explorer performance at 200,000 galaxies (docs/architecture.md, GUI).

Measures: opening a store and showing the map, frame time of pan/zoom (offscreen renders),
click-to-gallery latency (search + k thumbnails read from HDF5), lasso time, process RSS.

    python benchmarks/gui_explorer.py [--quick]
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

TARGETS = {"open + show map": 2000.0, "pan/zoom frame": 50.0, "click-to-gallery": 100.0,
           "click-to-gallery, GUI-thread CPU": 100.0, "lasso": 100.0,
           "process RSS (MB)": 2048.0}


def _pan_zoom_frames(view, steps: int) -> list[float]:
    """Milliseconds per frame of `steps` zoom + pan steps."""
    frames = []
    for i in range(steps):
        factor = 0.8 if i % 2 == 0 else 1.25
        view.viewbox.scaleBy((factor, factor))
        view.viewbox.translateBy((0.3, -0.2))
        t = time.perf_counter()
        view._update_layer()  # what the throttled range timer runs
        view.grab()
        frames.append((time.perf_counter() - t) * 1000)
    return frames


def _gallery_clicks(app, window, indices: np.ndarray) -> tuple[list[float], list[float]]:
    """Milliseconds from making a galaxy active to its gallery shown (thumbnails read again):
    wall time, and the GUI thread's CPU time (the wall time with a core free; on a loaded
    machine the wall time grows with the load, the CPU time hardly)."""
    clicks, cpu = [], []
    for index in indices:
        window.gallery.clear_cache()  # every thumbnail read from HDF5 again
        t, c = time.perf_counter(), time.thread_time()
        window.state.set_active(int(index))
        app.processEvents()
        clicks.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return clicks, cpu


def _lassos(app, view, centres: np.ndarray) -> list[float]:
    """Milliseconds per lasso selection: a 200-point circle around each centre."""
    lassos = []
    angles = np.linspace(0, 2 * np.pi, 200)
    for centre in centres:
        polygon = centre + 3.0 * np.c_[np.cos(angles), np.sin(angles)]
        t = time.perf_counter()
        view.select_polygon(polygon)
        app.processEvents()
        lassos.append((time.perf_counter() - t) * 1000)
    return lassos


def run(quick: bool = False) -> list[dict]:
    import psutil
    from PySide6.QtWidgets import QApplication

    from astroclip_gui.explorer.selection import box_polygon
    from astroclip_gui.main_window import MainWindow
    from astroclip_gui.session import Session
    from tests.synthetic import build_synthetic_project

    n = 50_000 if quick else 200_000
    tmp = tempfile.TemporaryDirectory()
    project = build_synthetic_project(Path(tmp.name) / "bench", n=n, n_rows=512, dim=128,
                                      n_clusters=12, image_size=152, seed=1)
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Session(directory=Path(tmp.name) / "settings"))
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    rows: list[dict] = []

    def add(name: str, values_ms: list[float], unit: str = "ms") -> None:
        target = TARGETS[name]
        median = float(np.median(values_ms))
        rows.append({"measure": name, "n": n, "median": round(median, 1),
                     "max": round(float(np.max(values_ms)), 1), "unit": unit,
                     "target": target, "ok": "yes" if median < target else "NO"})

    start = time.perf_counter()
    window.open(project)
    while window.state.loaded is None:
        app.processEvents()
        time.sleep(0.002)
    window.map_view.grab()  # first full render of the map
    add("open + show map", [(time.perf_counter() - start) * 1000])

    view = window.map_view
    frames = _pan_zoom_frames(view, 5 if quick else 12)
    add("pan/zoom frame", frames)

    rng = np.random.default_rng(0)
    clicks, cpu = _gallery_clicks(app, window, rng.integers(0, n, 5 if quick else 10))
    add("click-to-gallery", clicks)
    add("click-to-gallery, GUI-thread CPU", cpu)

    xy = window.state.loaded.maps["joint"]
    lassos = _lassos(app, view, xy[rng.integers(0, n, 3 if quick else 6)])
    add("lasso", lassos)
    view.select_polygon(box_polygon(0, 0, 0, 0))
    add("process RSS (MB)", [psutil.Process().memory_info().rss / 2**20], "MB")
    window.close()
    tmp.cleanup()
    return rows


def main() -> None:
    rows = run(quick="--quick" in sys.argv)
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
