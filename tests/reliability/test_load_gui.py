"""Load: the explorer with 200,000 galaxies (CI size; 1M in benchmarks/gui_load.py) opens in the
density view, stays responsive, and 300 clicks in a row do not grow memory."""

from __future__ import annotations

import pytest

from benchmarks.gui_load import RSS_GROWTH_TOLERANCE_MB, measure_in_child

N, CLICKS, FIRST = 200_000, 300, 100
MAX_OPEN_STALL_MS = 1500.0


@pytest.fixture(scope="module")
def load_run() -> dict:
    """One explorer session in a fresh process (the measures, its exit code)."""
    pytest.importorskip("pytestqt")
    return measure_in_child(N, CLICKS, FIRST)


@pytest.mark.slow
def test_explorer_with_many_galaxies_and_clicks(load_run: dict, record_case) -> None:
    case = record_case(
        f"explorer with {N:,} galaxies, {CLICKS:,} clicks in a row",
        "synthetic project opened in MainWindow (fresh process); clicks through "
        "EmbeddingMapView.click_at (pick -> active galaxy -> search, image, spectrum, gallery); "
        "psutil RSS",
        f"density view; no stall over {MAX_OPEN_STALL_MS:.0f} ms while opening; RSS after "
        f"{CLICKS:,} clicks within {RSS_GROWTH_TOLERANCE_MB:.0f} MB of RSS after {FIRST:,} "
        "(thumbnail cache full by then)")
    m = load_run
    case.done(f"open {m['open_ms']:.0f} ms, longest stall {m['open_stall_ms']:.0f} ms, "
              f"{m['click_ms']:.0f} ms/click, RSS {m['rss_open_mb']:.0f} MB, growth "
              f"{m['rss_growth_mb']:+.1f} MB", 0)
    assert m["density_view"] == 1.0
    assert m["hits"] == CLICKS
    assert m["open_stall_ms"] < MAX_OPEN_STALL_MS
    assert m["rss_growth_mb"] < RSS_GROWTH_TOLERANCE_MB


@pytest.mark.slow
def test_explorer_exits_cleanly_after_the_clicks(load_run: dict, record_case) -> None:
    case = record_case(
        "explorer process exit after the load session",
        "same session: window closed and deleted, process ends through the app's exit path",
        "exit code 0, no fatal error")
    case.done(f"exit {load_run['exit_code']} {load_run['exit_error']}".strip(), 0)
    assert load_run["exit_code"] == 0, load_run["exit_error"]
