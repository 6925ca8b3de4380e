"""A training run in a child process: `python -m astroclip_engine.cli train ... --progress json`.

The child owns the run directory; this wrapper only parses its progress stream, forwards log
lines, cancels it (SIGTERM, then kill after a grace period) and, when the child dies without
saying so, marks the run failed in status.json so the runs panel and a later resume see it.
"""

from __future__ import annotations

import collections
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from astroclip_gui.command_runner import child_environment, engine_argv, split_lines
from astroclip_gui.training.runs import ProgressEvent, RunDir, RunStatus

ProcessState = Literal["idle", "running", "cancelling", "finished", "failed", "cancelled"]
EVENT_KINDS = frozenset({"start", "step", "epoch", "checkpoint", "end", "error"})
TAIL_LINES = 40


def parse_progress_line(line: str) -> ProgressEvent | None:
    """A ProgressEvent if `line` is one JSON progress object, else None (a plain log line)."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("event") not in EVENT_KINDS:
        return None
    try:
        return ProgressEvent.from_json(text)
    except (TypeError, ValueError):
        return None


class TrainingProcess(QObject):
    """Runs, cancels and resumes one `astroclip train` child process."""

    started = Signal()
    event = Signal(object)
    """ProgressEvent, in the order the child printed them."""
    log_line = Signal(str)
    finished = Signal(str)
    """The final state: "finished", "failed" or "cancelled"."""

    def __init__(self, train_args: Sequence[str], run_dir: str | Path,
                 parent: QObject | None = None, kill_timeout_ms: int = 20000,
                 program: str = sys.executable, argv_prefix: Sequence[str] | None = None) -> None:
        """`train_args` start with "train" (see TrainRequest.train_args); `argv_prefix` replaces
        `-m astroclip_engine.cli` (tests use it to run a stand-in script)."""
        super().__init__(parent)
        self.train_args = list(train_args)
        self.run_dir = RunDir(run_dir)
        self.kill_timeout_ms = kill_timeout_ms
        self.program = program
        self.argv_prefix = list(argv_prefix) if argv_prefix is not None else engine_argv()
        self.state: ProcessState = "idle"
        self.exit_code: int | None = None
        self.last_event: ProgressEvent | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._buffers = {"out": "", "err": ""}
        self._process: QProcess | None = None
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._kill)

    # ---- control -------------------------------------------------------------------------
    def argv(self, resume: bool = False) -> list[str]:
        """The child's arguments after the Python executable."""
        return [*self.argv_prefix, *self.train_args, "--progress", "json",
                *(["--resume"] if resume else [])]

    def start(self, resume: bool = False) -> None:
        """Start the child (again, with --resume, after a cancel or a failure)."""
        if self.is_running():
            raise RuntimeError("the training process is already running")
        self.state = "running"
        self.exit_code = None
        self._buffers = {"out": "", "err": ""}
        process = QProcess(self)
        process.setProcessEnvironment(child_environment())
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        self._log(f"$ {Path(self.program).name} {' '.join(self.argv(resume))}")
        process.start(self.program, self.argv(resume))
        self.started.emit()

    def resume(self) -> None:
        self.start(resume=True)

    def cancel(self) -> None:
        """SIGTERM: training saves its last checkpoint and marks the run cancelled; killed if it
        has not exited after `kill_timeout_ms`."""
        if not self.is_running() or self._process is None:
            return
        self.state = "cancelling"
        self._log("cancelling: asking the training process to stop (checkpoint first)...")
        self._process.terminate()
        self._kill_timer.start(self.kill_timeout_ms)

    def is_running(self) -> bool:
        return self._process is not None and \
            self._process.state() != QProcess.ProcessState.NotRunning

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the child exits (tests and application shutdown only)."""
        return self._process is None or self._process.waitForFinished(msecs)

    def pid(self) -> int | None:
        return int(self._process.processId()) if self.is_running() and self._process else None

    # ---- child output ----------------------------------------------------------------------
    def _read_stdout(self) -> None:
        assert self._process is not None
        self._consume("out", self._process.readAllStandardOutput().data())

    def _read_stderr(self) -> None:
        assert self._process is not None
        self._consume("err", self._process.readAllStandardError().data())

    def _consume(self, stream: str, data: bytes | memoryview) -> None:
        text = bytes(data).decode("utf-8", errors="replace")
        lines, self._buffers[stream] = split_lines(self._buffers[stream], text)
        for line in lines:
            self._handle_line(line)

    def _handle_line(self, line: str) -> None:
        event = parse_progress_line(line)
        if event is None:
            self._log(line)
            return
        self.last_event = event
        if event.event == "error" and event.message:
            self._log(f"error: {event.message}")
        self.event.emit(event)

    def _log(self, line: str) -> None:
        self.tail.append(line)
        self.log_line.emit(line)

    # ---- exit ------------------------------------------------------------------------------
    def _kill(self) -> None:
        if self.is_running() and self._process is not None:
            self._log(f"the process did not stop within {self.kill_timeout_ms / 1000:.0f} s: "
                      "killing it")
            self._process.kill()

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._process is not None:
            self._log(f"could not start {self.program}: {self._process.errorString()}")
            self._finish(-1, crashed=True)

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        for stream in ("out", "err"):
            rest, self._buffers[stream] = self._buffers[stream], ""
            if rest.strip():
                self._handle_line(rest)
        self._finish(code, crashed=status == QProcess.ExitStatus.CrashExit)

    def _finish(self, code: int, crashed: bool) -> None:
        if self.state not in ("running", "cancelling"):
            return  # already reported (FailedToStart is followed by no finished signal)
        self._kill_timer.stop()
        self.exit_code = code
        if self.state == "cancelling":
            final: ProcessState = "cancelled"
        elif code == 0 and not crashed:
            final = "finished"
        else:
            final = "failed"
            how = "crashed" if crashed else f"exited with code {code}"
            self._log(f"the training process {how}")
        self.state = final
        self._record(final)
        self.finished.emit(final)

    def _record(self, final: ProcessState) -> None:
        """Write status.json when the child could not (killed, crashed, never started)."""
        if not self.run_dir.path.is_dir():
            return
        status = self.run_dir.read_status()
        if status.state in ("finished", "failed", "cancelled") and final != "finished":
            return  # the child recorded its own ending
        if final == "finished" and status.state == "finished":
            return
        last = self.last_event
        message = "\n".join(list(self.tail)[-10:]) if final == "failed" else status.message
        self.run_dir.write_status(RunStatus(
            state=final, pid=None,
            epoch=last.epoch if last else status.epoch,
            step=last.step if last else status.step,
            best_val_loss=status.best_val_loss, r2=status.r2, message=message,
        ))
