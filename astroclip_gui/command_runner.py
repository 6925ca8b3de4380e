"""Engine commands in child processes: one `astroclip ...` call, or a chain of them in sequence.

Every engine job the training UI starts (data checks, mock generation, device detection,
checkpoint checks, embed + UMAP + evaluate) runs as a child Python process: importing torch or
reading a corrupt file can then never stall or crash the window.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

import astroclip_engine

_PERCENT = re.compile(r"(\d{1,3})%\|")
"""A tqdm bar on stderr ('embed:  45%|####  | 9/20'): the percentage."""


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


class EngineCommand(QObject):
    """One child process; collects stdout, streams stderr lines, reports tqdm percentages."""

    line = Signal(str)
    percent = Signal(int)
    done = Signal(int, str, str)
    """exit code (-1 if it crashed or could not start), full stdout, last stderr lines."""

    def __init__(self, argv: Sequence[str], parent: QObject | None = None,
                 program: str = sys.executable) -> None:
        super().__init__(parent)
        self.argv = list(argv)
        self.program = program
        self._stdout: list[str] = []
        self._stderr_tail: list[str] = []
        self._buffer = ""
        self._process = QProcess(self)
        self._process.setProcessEnvironment(child_environment())
        self._process.readyReadStandardOutput.connect(self._read_stdout)
        self._process.readyReadStandardError.connect(self._read_stderr)
        self._process.finished.connect(self._finished)
        self._process.errorOccurred.connect(self._error)
        self._reported = False

    def start(self) -> None:
        self._process.start(self.program, self.argv)

    def is_running(self) -> bool:
        return self._process.state() != QProcess.ProcessState.NotRunning

    def cancel(self) -> None:
        if self.is_running():
            self._process.terminate()
            if not self._process.waitForFinished(3000):
                self._process.kill()

    def wait(self, msecs: int = 30000) -> bool:
        return self._process.waitForFinished(msecs)

    def _read_stdout(self) -> None:
        self._stdout.append(bytes(self._process.readAllStandardOutput().data()).decode(
            "utf-8", errors="replace"))

    def _read_stderr(self) -> None:
        data = bytes(self._process.readAllStandardError().data()).decode("utf-8", "replace")
        lines, self._buffer = split_lines(self._buffer, data)
        for text in lines:
            match = _PERCENT.search(text)
            if match:
                self.percent.emit(min(100, int(match.group(1))))
            self._stderr_tail = [*self._stderr_tail[-49:], text]
            self.line.emit(text)

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        if self._buffer.strip():
            self._stderr_tail.append(self._buffer)
            self.line.emit(self._buffer)
            self._buffer = ""
        crashed = status == QProcess.ExitStatus.CrashExit
        self._emit_done(-1 if crashed else code)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            reason = self._process.errorString()
            self._stderr_tail.append(f"could not start {self.program}: {reason}")
            self._emit_done(-1)

    def _emit_done(self, code: int) -> None:
        if self._reported:
            return
        self._reported = True
        self.done.emit(code, "".join(self._stdout), "\n".join(self._stderr_tail[-20:]))


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
        self._current: EngineCommand | None = None
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
        self._current = EngineCommand(step.argv, self)
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
