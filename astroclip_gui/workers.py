"""Run engine jobs off the GUI thread (QThreadPool) with progress, cancel and error signals.

A job is a plain function `fn(reporter, cancel) -> result`; it never touches widgets. Its
progress, result and failure come back to the GUI thread as queued Qt signals.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from shiboken6 import isValid

from astroclip_engine.errors import JobCancelled
from astroclip_engine.jobs import CancelToken, Progress, Reporter

JobFn = Callable[[Reporter, CancelToken], Any]


@dataclass(frozen=True)
class JobFailure:
    """Why a job failed: a one-line message and the full traceback."""

    title: str
    message: str
    details: str


class _JobSignals(QObject):
    progress = Signal(object)  # Progress
    finished = Signal(object)  # result
    failed = Signal(object)  # JobFailure
    cancelled = Signal()


class Job(QRunnable):
    """One cancellable job on the thread pool."""

    def __init__(self, title: str, fn: JobFn) -> None:
        super().__init__()
        self.title = title
        self.fn = fn
        self.cancel_token = CancelToken()
        self.signals = _JobSignals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit, self.cancel_token)
        except JobCancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # every failure becomes a signal, never a crash
            self.signals.failed.emit(JobFailure(self.title, f"{type(exc).__name__}: {exc}",
                                                traceback.format_exc()))
        else:
            self.signals.finished.emit(result)


class JobRunner(QObject):
    """Submits jobs and republishes their lifecycle for the status bar."""

    jobStarted = Signal(object)  # Job
    jobProgress = Signal(object, object)  # Job, Progress
    jobEnded = Signal(object)  # Job
    jobFailed = Signal(object)  # JobFailure

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.active: list[Job] = []

    def submit(self, title: str, fn: JobFn, on_done: Callable[[Any], None] | None = None,
               on_failed: Callable[[JobFailure], None] | None = None) -> Job:
        job = Job(title, fn)
        self.active.append(job)
        job.signals.progress.connect(lambda p, j=job: self._progress(j, p))
        if on_done is not None:
            job.signals.finished.connect(on_done)
        job.signals.failed.connect(on_failed or self.jobFailed.emit)
        for signal in (job.signals.finished, job.signals.failed, job.signals.cancelled):
            signal.connect(lambda *_, j=job: self._end(j))
        self.jobStarted.emit(job)
        self.pool.start(job)
        return job

    def cancel_all(self) -> None:
        for job in self.active:
            job.cancel_token.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)

    def _progress(self, job: Job, progress: Progress) -> None:
        if isValid(self):  # a job may outlive its window (an index build at 1M galaxies)
            self.jobProgress.emit(job, progress)

    def _end(self, job: Job) -> None:
        if job in self.active:
            self.active.remove(job)
        if isValid(self):
            self.jobEnded.emit(job)


def progress_text(progress: Progress) -> str:
    """Short status-bar text of a progress event."""
    text = progress.job
    if progress.total:
        text += f" {progress.current}/{progress.total}"
    return f"{text}: {progress.message}" if progress.message else text
