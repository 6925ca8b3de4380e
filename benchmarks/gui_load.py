"""Explorer load: 1,000,000 galaxies open in the density view, stay responsive, and 10,000
clicks in a row do not grow memory.

Measures (one run, one process): project build (not timed), open + first render, the longest
event-loop stall while opening (a 20 ms heartbeat QTimer), a pan/zoom frame in density view
(drawn from the cached `DensityPyramid`, alternating with the previous path that bins every
point, as the reference),
mean click time through `EmbeddingMapView.click_at` (the code a mouse click runs: pick, active
galaxy, neighbour search, image, spectrum, gallery), and process RSS after the first tenth of the
clicks and after all of them.

    python benchmarks/gui_load.py [--quick]      # quick: 200,000 galaxies, 150 clicks
    python -m benchmarks.gui_load --measure N CLICKS FIRST   # one run, JSON
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RSS_GROWTH_TOLERANCE_MB = 30.0


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def explorer_load(n: int, clicks: int, folder: Path, first_mark: int | None = None
                  ) -> dict[str, float]:
    """Open an `n`-galaxy synthetic project and click `clicks` galaxies; returns measures
    (RSS is sampled after `first_mark` clicks, default a tenth, and after all)."""
    from PySide6.QtCore import QEvent, QTimer
    from PySide6.QtWidgets import QApplication

    from astroclip_gui.main_window import MainWindow
    from astroclip_gui.session import Session
    from tests.synthetic import build_synthetic_project

    project = build_synthetic_project(folder / "load", n=n, n_rows=256, dim=16, n_clusters=12,
                                      image_size=32, seed=4)
    app = QApplication.instance() or QApplication([])
    window = MainWindow(Session(directory=folder / "settings"))
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    heartbeat = QTimer(window)
    heartbeat.setInterval(20)
    heartbeat.timeout.connect(tick)
    heartbeat.start()
    rss_start = _rss_mb()
    open_ms = _open(app, window, project)
    view = window.map_view
    open_stall = max(gaps[1:], default=0.0)
    density = view.showing_density
    rss_open = _rss_mb()

    gaps.clear()
    view.wait_for_density_cache()  # built in a worker while the first frames bin every point
    frames = _zoom_frames(app, view)
    view.viewbox.autoRange(padding=0.03)
    view._update_layer()

    mark = first_mark or max(1, clicks // 10)
    click_ms, click_cpu_ms, hits, rss_marks = _click_through(app, view, n, clicks, mark)
    search = window.state.loaded.search
    index_ready = search is not None and search.engine.index_ready("image")
    heartbeat.stop()
    window.runner.wait(10000)
    window.close()
    window.deleteLater()  # destroyed now, not by the garbage collector at interpreter exit
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    return {"n": n, "clicks": clicks, "open_ms": open_ms, "open_stall_ms": open_stall,
            "density_view": float(density), "frame_ms": float(np.median(frames["pyramid"])),
            "frame_previous_ms": float(np.median(frames["previous"])),
            "click_ms": click_ms, "click_cpu_ms": click_cpu_ms,
            "index_ready": float(index_ready), "hits": hits, "rss_start_mb": rss_start,
            "rss_open_mb": rss_open, "rss_first_clicks_mb": rss_marks[mark],
            "rss_all_clicks_mb": rss_marks[clicks],
            "rss_growth_mb": rss_marks[clicks] - rss_marks[mark]}


def _open(app, window, project: Path) -> float:
    """Open `project` and draw its map; milliseconds it took."""
    start = time.perf_counter()
    window.open(project)
    while window.state.loaded is None:
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - start > 300:
            raise TimeoutError("project did not open in 300 s")
    window.map_view.grab()
    return (time.perf_counter() - start) * 1000


def _zoom_frames(app, view) -> dict[str, list[float]]:
    """Milliseconds per frame of twelve zoom steps, drawn in turn from the cached pyramid and
    by the previous path (bin every point), the reference."""
    frames: dict[str, list[float]] = {"pyramid": [], "previous": []}
    pyramid = view._pyramid
    for i in range(12):
        factor = 0.8 if i % 4 < 2 else 1.25
        view.viewbox.scaleBy((factor, factor))
        path = "pyramid" if i % 2 == 0 else "previous"
        view._pyramid = pyramid if path == "pyramid" else None
        t = time.perf_counter()
        view._update_layer()
        view.grab()
        app.processEvents()
        frames[path].append((time.perf_counter() - t) * 1000)
    view._pyramid = pyramid
    return frames


def _click_through(app, view, n: int, clicks: int, mark: int
                   ) -> tuple[float, float, int, dict[int, float]]:
    """Click `clicks` random galaxies: (ms per click, GUI-thread CPU ms per click, hits, RSS
    after `mark` and all clicks). The CPU time hardly depends on other processes' load."""
    rng = np.random.default_rng(0)
    targets = rng.integers(0, n, clicks)
    rss_marks: dict[int, float] = {}
    hits = 0
    t, cpu = time.perf_counter(), time.thread_time()
    for i, index in enumerate(targets, start=1):
        x, y = view.xy[index]
        hits += view.click_at(float(x), float(y)) >= 0
        app.processEvents()
        if i in (mark, clicks):
            gc.collect()
            rss_marks[i] = _rss_mb()
    return ((time.perf_counter() - t) * 1000 / clicks,
            (time.thread_time() - cpu) * 1000 / clicks, hits, rss_marks)


def run(quick: bool = False) -> list[dict]:
    n, clicks, first = (200_000, 150, 50) if quick else (1_000_000, 10_000, 1_000)
    m = measure_in_child(n, clicks, first, timeout_s=3600)
    growth_ok = m["rss_growth_mb"] < RSS_GROWTH_TOLERANCE_MB
    return [
        {"measure": "open + first render", "value": round(m["open_ms"]), "unit": "ms",
         "n": n, "note": "density view" if m["density_view"] else "points"},
        {"measure": "longest GUI stall while opening", "value": round(m["open_stall_ms"]),
         "unit": "ms", "n": n, "note": "20 ms heartbeat QTimer"},
        {"measure": "pan/zoom frame (median)", "value": round(m["frame_ms"], 1), "unit": "ms",
         "n": n, "note": f"target 50 ms; {m['frame_ms'] / m['frame_previous_ms']:.2f} x the "
                         "previous path"},
        {"measure": "pan/zoom frame, previous path (bin every point)",
         "value": round(m["frame_previous_ms"], 1), "unit": "ms", "n": n,
         "note": "reference, same run"},
        {"measure": "click (pick + search + views)", "value": round(m["click_ms"], 2),
         "unit": "ms", "n": n, "note": f"{m['hits']}/{clicks} hits; "
                                       + ("ANN index built" if m.get("index_ready")
                                          else "exact search, index building")},
        {"measure": "click, GUI-thread CPU time", "value": round(m["click_cpu_ms"], 2),
         "unit": "ms", "n": n, "note": "= wall time with a core free"},
        {"measure": "RSS after opening", "value": round(m["rss_open_mb"]), "unit": "MB",
         "n": n, "note": f"{round(m['rss_start_mb'])} MB before"},
        {"measure": f"RSS growth clicks {first:,} -> {clicks:,}",
         "value": round(m["rss_growth_mb"], 1), "unit": "MB", "n": n,
         "note": f"limit {RSS_GROWTH_TOLERANCE_MB:.0f} MB: {'ok' if growth_ok else 'GROWS'}"},
        {"measure": "process exit code", "value": m["exit_code"], "unit": "", "n": n,
         "note": m["exit_error"][:60]},
    ]


def measure_in_child(n: int, clicks: int, first_mark: int, timeout_s: int = 600
                     ) -> dict[str, float]:
    """`explorer_load` in a fresh Python process (tests: no Qt state shared with pytest); the
    child's exit code is returned as "exit_code" (the measures print before the exit)."""
    import json
    import subprocess

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "benchmarks.gui_load", "--measure", str(n),
                          str(clicks), str(first_mark)], cwd=root, capture_output=True,
                         text=True, timeout=timeout_s,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"load run failed (exit {out.returncode}): {out.stderr[-2000:]}")
    return {**json.loads(lines[-1]), "exit_code": out.returncode,
            "exit_error": next((line for line in out.stderr.splitlines()
                                if line.startswith("Fatal Python error")), "")}


if __name__ == "__main__":
    if "--measure" in sys.argv:
        import json

        at = sys.argv.index("--measure")
        n, clicks, first = (int(v) for v in sys.argv[at + 1: at + 4])
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(explorer_load(n, clicks, Path(tmp), first)))
        from astroclip_gui.app import exit_without_teardown

        exit_without_teardown(0)  # the app's own exit path
    else:
        from benchmarks.table import print_table

        print_table(run(quick="--quick" in sys.argv))
