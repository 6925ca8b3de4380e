"""A background job (e.g. the neighbour index build at 1M galaxies, minutes long) may finish
after its window and job runner are gone: its late signals are dropped, not raised."""

from __future__ import annotations

import time

import shiboken6

from astroclip_engine.jobs import Progress
from astroclip_gui.workers import JobRunner


def test_late_signals_of_a_job_whose_runner_was_deleted(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    runner = JobRunner()
    ended: list[object] = []
    runner.jobEnded.connect(ended.append)

    def slow(report, cancel) -> str:
        time.sleep(0.2)
        report(Progress("slow", 1, 1))
        return "done"

    runner.submit("slow", slow)
    shiboken6.delete(runner)  # its thread pool waits for the job; the signals are queued
    assert not shiboken6.isValid(runner)
    for _ in range(5):  # deliver them: with pytest-qt an exception here fails the test
        QApplication.processEvents()
        time.sleep(0.01)
    assert ended == []
