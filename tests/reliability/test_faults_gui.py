"""The explorer under failing, hanging and cancelled workers: responsive, errors in a dialog."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QTimer

from tests.gui.windows import open_window

MAX_STALL_MS = 500.0
"""Longest tolerated gap between 20 ms timer ticks on a shared 2-core CI machine."""


class Heartbeat:
    """A 20 ms QTimer on the GUI thread; records the longest gap between its ticks."""

    def __init__(self) -> None:
        self.ticks = 0
        self.max_gap_ms = 0.0
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.ticks:
            self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000)
        self._last = now
        self.ticks += 1


def errors(window) -> list:
    return [m for m in window.messages if m.objectName() == "errorDialog"]


def test_failing_and_hanging_workers(qtbot, tmp_path: Path, record_case) -> None:
    case = record_case(
        "explorer worker that raises, one that hangs until cancelled, one cancelled early",
        "jobs submitted to the window's JobRunner (QThreadPool); a 20 ms heartbeat QTimer",
        f"window stays responsive (heartbeat gap < {MAX_STALL_MS:.0f} ms); the failure is shown "
        "in a non-blocking error dialog with the traceback; cancelled jobs show no error")
    window = open_window(qtbot, tmp_path / "settings")
    beat = Heartbeat()

    def explode(reporter, cancel):
        raise ValueError("synthetic worker failure")

    window.runner.submit("Exploding job", explode)
    qtbot.waitUntil(lambda: len(errors(window)) == 1, timeout=5000)
    box = errors(window)[0]
    assert "synthetic worker failure" in box.text() and "ValueError" in box.detailedText()
    assert box.isVisible()  # shown with open(): the test got here, so nothing blocked

    def hang(reporter, cancel):
        while not cancel.cancelled:
            time.sleep(0.01)
        cancel.raise_if_cancelled()

    cancelled = []
    job = window.runner.submit("Hanging job", hang)
    job.signals.cancelled.connect(lambda: cancelled.append(True))
    qtbot.wait(600)  # the GUI keeps ticking while the job hangs
    assert beat.ticks > 10
    window.runner.cancel_all()
    qtbot.waitUntil(lambda: cancelled == [True], timeout=5000)
    early = window.runner.submit("Cancelled job", hang)
    early.cancel_token.cancel()
    qtbot.waitUntil(lambda: not window.runner.active, timeout=5000)
    assert len(errors(window)) == 1  # cancellations are not errors
    beat.timer.stop()
    box.close()
    case.done(f"1 error dialog; 2 cancellations silent; heartbeat {beat.ticks} ticks, "
              f"longest gap {beat.max_gap_ms:.0f} ms", 0)
    assert beat.max_gap_ms < MAX_STALL_MS


def test_opening_a_damaged_store_shows_an_error(qtbot, tmp_path: Path, record_case) -> None:
    case = record_case(
        "explorer asked to open a damaged embeddings store",
        "store file truncated to half its size, opened from the window",
        "an error dialog naming the file; the window keeps working")
    from tests.synthetic import build_synthetic_project

    project = build_synthetic_project(tmp_path / "proj", n=40, image_size=16, seed=1)
    store = project.parent / "embeddings.h5"
    store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    window = open_window(qtbot, tmp_path / "settings")
    beat = Heartbeat()
    window.open(project)
    qtbot.waitUntil(lambda: len(errors(window)) == 1, timeout=10000)
    text = errors(window)[0].text()
    assert "embeddings.h5" in text and window.state.loaded is None
    beat.timer.stop()
    case.done(f"dialog: {text[:80]}...; heartbeat longest gap {beat.max_gap_ms:.0f} ms", 0)
