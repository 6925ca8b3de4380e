"""Progress reporting and cancellation for long jobs (one protocol for CLI, GUI and tests)."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TextIO, TypeVar

from astroclip_engine.errors import JobCancelled

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """One progress event of a long job."""

    job: str
    current: int
    total: int | None = None
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.current / self.total)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=float)


class Reporter(Protocol):
    """Anything that receives progress events."""

    def __call__(self, progress: Progress) -> None: ...


def null_reporter(progress: Progress) -> None:
    """A reporter that ignores every event."""


class CancelToken:
    """A thread-safe flag a job checks between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise JobCancelled("cancelled by the user")


class TqdmReporter:
    """Shows progress events as a tqdm bar on stderr (the CLI's reporter)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._bars: dict[str, Any] = {}
        self._finished: set[str] = set()

    def __call__(self, progress: Progress) -> None:
        from tqdm import tqdm

        complete = progress.total is not None and progress.current >= progress.total
        if progress.job in self._finished and complete:
            return  # news after the end (a checkpoint saved, "finished"): no second full bar
        self._finished.discard(progress.job)
        bar = self._bars.get(progress.job)
        if bar is None:
            bar = tqdm(total=progress.total, desc=progress.job, file=self._stream, leave=True)
            self._bars[progress.job] = bar
        if progress.total is not None and bar.total != progress.total:
            bar.total = progress.total
        bar.n = progress.current
        if progress.message:
            bar.set_postfix_str(progress.message, refresh=False)
        bar.refresh()
        if complete:
            bar.close()
            del self._bars[progress.job]
            self._finished.add(progress.job)


class JsonLinesReporter:
    """Writes each event as one JSON line (machine-readable progress for the GUI)."""

    def __init__(self, stream: TextIO | None = None, min_interval_s: float = 0.0) -> None:
        self._stream = stream or sys.stdout
        self._min_interval_s = min_interval_s
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        done = progress.total is not None and progress.current >= progress.total
        if not done and now - self._last < self._min_interval_s:
            return
        self._last = now
        self._stream.write(progress.to_json() + "\n")
        self._stream.flush()


def track(
    items: Iterable[T],
    job: str,
    total: int | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
    every: int = 1,
) -> Iterator[T]:
    """Yield items, reporting progress every `every` items and honouring cancellation."""
    report = reporter or null_reporter
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    report(Progress(job, 0, total))
    count = 0
    for count, item in enumerate(items, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        yield item
        if count % every == 0:
            report(Progress(job, count, total))
    if count % every != 0 or count == 0:
        report(Progress(job, count, total if total is not None else count))
