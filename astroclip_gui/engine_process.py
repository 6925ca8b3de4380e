"""Engine commands in child processes: `EngineProcess` runs one `astroclip ...` call (or any
program) and reads its `--progress json` events; `CommandChain` runs several in sequence.

Every engine job the GUI starts (data checks, mock generation, device detection, checkpoint
checks, training, embed + UMAP + evaluate, the demo) runs as a child process: importing torch or
reading a corrupt file can then never stall or crash the window. Controllers start them; widgets
only show their signals (docs/architecture.md).
"""

from __future__ import annotations

import collections
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

import astroclip_engine
from astroclip_engine.jobs import Progress
from astroclip_engine.training.run_dir import ProgressEvent

TRAINING_EVENTS = frozenset({"start", "step", "epoch", "checkpoint", "end", "error"})
TAIL_LINES = 50


def engine_argv(*args: str) -> list[str]:
    """Arguments for QProcess after `sys.executable` that run `astroclip ARGS`.

    From source: `python -m astroclip_engine.cli ARGS`; in a PyInstaller bundle `sys.executable`
    is the app itself, whose `--engine` flag runs the engine CLI (astroclip_gui/__main__.py).
    """
    if getattr(sys, "frozen", False):
        return ["--engine", *args]
    return ["-m", "astroclip_engine.cli", *args]


def child_environment() -> QProcessEnvironment:
    """The GUI's environment, unbuffered, with this checkout importable by the child."""
    env = QProcessEnvironment.systemEnvironment()
    env.insert("PYTHONUNBUFFERED", "1")
    root = str(Path(astroclip_engine.__file__).resolve().parents[1])
    existing = env.value("PYTHONPATH", "")
    env.insert("PYTHONPATH", root + (os.pathsep + existing if existing else ""))
    return env


def split_lines(buffer: str, data: str) -> tuple[list[str], str]:
    """Complete lines of `buffer + data` and the unfinished tail (tqdm's \\r counts as a break)."""
    text = (buffer + data).replace("\r\n", "\n").replace("\r", "\n")
    *lines, tail = text.split("\n")
    return [line for line in lines if line.strip()], tail


def parse_progress_line(line: str) -> ProgressEvent | None:
    """A training ProgressEvent if `line` is one JSON progress object, else None."""
    data = _json_object(line)
    if data is None or data.get("event") not in TRAINING_EVENTS:
        return None
    try:
        return ProgressEvent.from_json(line.strip())
    except (TypeError, ValueError):
        return None


def parse_job_progress(line: str) -> Progress | None:
    """A job Progress (JsonLinesReporter: {"job", "current", "total", ...}) or None."""
    data = _json_object(line)
    if data is None or not isinstance(data.get("job"), str) or \
            not isinstance(data.get("current"), int):
        return None
    total = data.get("total")
    return Progress(data["job"], data["current"], total if isinstance(total, int) else None,
                    str(data.get("message", "")), dict(data.get("metrics") or {}))


def _json_object(line: str) -> dict | None:
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class EngineProcess(QObject):
    """One child process. Progress JSON lines (training events or job progress) become `event`
    (and `percent`); other lines become `line`; `done` reports the exit with the output."""

    started = Signal()
    line = Signal(str)
    event = Signal(object)
    """ProgressEvent (training) or Progress (any other long command), in order."""
    percent = Signal(int)
    done = Signal(int, str, str)
    """exit code (-1 if it crashed or could not start), stdout (less events), last stderr."""

    def __init__(self, argv: Sequence[str], parent: QObject | None = None,
                 program: str = sys.executable, kill_timeout_ms: int = 3000) -> None:
        super().__init__(parent)
        self.argv = list(argv)
        self.program = program
        self.kill_timeout_ms = kill_timeout_ms
        self.crashed = False
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        """The last log lines of both streams (events left out)."""
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._stdout: list[str] = []
        self._buffers = {"out": "", "err": ""}
        self._reported = False
        self._process = QProcess(self)
        self._process.setProcessEnvironment(child_environment())
        self._process.readyReadStandardOutput.connect(lambda: self._read("out"))
        self._process.readyReadStandardError.connect(lambda: self._read("err"))
        self._process.finished.connect(self._finished)
        self._process.errorOccurred.connect(self._error)
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self.kill)

    # ---- control -------------------------------------------------------------------------
    def start(self) -> None:
        self._process.start(self.program, self.argv)
        self.started.emit()

    def is_running(self) -> bool:
        return self._process.state() != QProcess.ProcessState.NotRunning

    def cancel(self) -> None:
        """SIGTERM (the engine saves its state and exits); killed after `kill_timeout_ms`."""
        if self.is_running():
            self._process.terminate()
            self._kill_timer.start(self.kill_timeout_ms)

    def kill(self) -> None:
        if self.is_running():
            self._log(f"the process did not stop within {self.kill_timeout_ms / 1000:.0f} s: "
                      "killing it")
            self._process.kill()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the child exits (tests and application shutdown only)."""
        return self._process.waitForFinished(msecs)

    def pid(self) -> int | None:
        return int(self._process.processId()) if self.is_running() else None

    # ---- output ----------------------------------------------------------------------------
    def _read(self, stream: str) -> None:
        read = (self._process.readAllStandardOutput if stream == "out"
                else self._process.readAllStandardError)
        text = bytes(read().data()).decode("utf-8", errors="replace")
        lines, self._buffers[stream] = split_lines(self._buffers[stream], text)
        for text_line in lines:
            self._handle(stream, text_line)

    def _handle(self, stream: str, text: str) -> None:
        event = parse_progress_line(text) or parse_job_progress(text)
        if event is None:
            (self._stdout if stream == "out" else self._stderr_tail).append(text)
            self._log(text)
            return
        if isinstance(event, Progress) and event.fraction is not None:
            self.percent.emit(round(100 * event.fraction))
        self.event.emit(event)

    def _log(self, text: str) -> None:
        self.tail.append(text)
        self.line.emit(text)

    # ---- exit ------------------------------------------------------------------------------
    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        for stream in ("out", "err"):
            self._read(stream)
            rest, self._buffers[stream] = self._buffers[stream], ""
            if rest.strip():
                self._handle(stream, rest)
        self.crashed = status == QProcess.ExitStatus.CrashExit
        self._emit_done(-1 if self.crashed else code)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            message = f"could not start {self.program}: {self._process.errorString()}"
            self._stderr_tail.append(message)
            self._log(message)
            self.crashed = True
            self._emit_done(-1)

    def _emit_done(self, code: int) -> None:
        if self._reported:
            return
        self._reported = True
        self._kill_timer.stop()
        self.done.emit(code, "\n".join(self._stdout), "\n".join(self._stderr_tail))


@dataclass(frozen=True)
class ChainStep:
    """One command of a chain, with the label shown while it runs."""

    label: str
    argv: tuple[str, ...]


class CommandChain(QObject):
    """Runs engine commands one after another; stops at the first failure."""

    step_started = Signal(int, int, str)
    """index, number of steps, label."""
    percent = Signal(int)
    line = Signal(str)
    finished = Signal(bool, str)
    """success, message (the failing step's last error lines)."""

    def __init__(self, steps: Sequence[ChainStep], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.steps = list(steps)
        self._index = -1
        self._current: EngineProcess | None = None
        self._cancelled = False

    def start(self) -> None:
        self._index = -1
        self._next()

    def is_running(self) -> bool:
        return self._current is not None and self._current.is_running()

    def cancel(self) -> None:
        self._cancelled = True
        if self._current is not None:
            self._current.cancel()

    def _next(self) -> None:
        self._index += 1
        if self._index >= len(self.steps):
            self._current = None
            self.finished.emit(True, "")
            return
        step = self.steps[self._index]
        self.step_started.emit(self._index, len(self.steps), step.label)
        self._current = EngineProcess(step.argv, self)
        self._current.percent.connect(self.percent)
        self._current.line.connect(self.line)
        self._current.done.connect(self._step_done)
        self._current.start()

    def _step_done(self, code: int, _stdout: str, stderr_tail: str) -> None:
        step = self.steps[self._index]
        if self._cancelled:
            self._current = None
            self.finished.emit(False, f"{step.label}: cancelled")
        elif code != 0:
            self._current = None
            self.finished.emit(False, f"{step.label} failed (exit code {code}):\n{stderr_tail}")
        else:
            self._next()


class EngineJobs(QObject):
    """Starts engine commands on behalf of views, which never create processes themselves (the
    wizard's file checks, device detection, mock generation, batch scripts). A controller (or
    the dialog that composes the views) owns it and hands it to them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.running: set[EngineProcess] = set()

    def run(self, argv: Sequence[str], on_done: Callable[[int, str, str], None],
            on_percent: Callable[[int], None] | None = None,
            program: str = sys.executable) -> EngineProcess:
        """Start `argv` (after `program`); `on_done(code, stdout, stderr)` when it exits."""
        process = EngineProcess(argv, self, program=program)
        process.done.connect(on_done)
        process.done.connect(lambda *_: self._forget(process))
        if on_percent is not None:
            process.percent.connect(on_percent)
        self.running.add(process)
        process.start()
        return process

    def astroclip(self, args: Sequence[str], on_done: Callable[[int, str, str], None],
                  on_percent: Callable[[int], None] | None = None) -> EngineProcess:
        """Start `astroclip ARGS` (see `engine_argv`)."""
        return self.run(engine_argv(*args), on_done, on_percent)

    def cancel_all(self) -> None:
        for process in list(self.running):
            process.cancel()

    def _forget(self, process: EngineProcess) -> None:
        self.running.discard(process)
        process.deleteLater()
