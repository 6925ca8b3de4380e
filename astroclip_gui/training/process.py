"""A training run in a child process: `astroclip train ... --progress json`, via EngineProcess.

The child owns the run directory; this wrapper follows its progress events, forwards log lines,
cancels it (SIGTERM, then kill after a grace period) and, when the child dies without saying
so, marks the run failed in status.json so the runs panel and a later resume see it.
"""

from __future__ import annotations

import collections
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, Signal

from astroclip_gui.engine_process import EngineProcess, engine_argv
from astroclip_gui.training.runs import ProgressEvent, RunDir, RunStatus

ProcessState = Literal["idle", "running", "cancelling", "finished", "failed", "cancelled"]
TAIL_LINES = 40


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
        self._process: EngineProcess | None = None

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
        process = EngineProcess(self.argv(resume), self, program=self.program,
                                kill_timeout_ms=self.kill_timeout_ms)
        process.line.connect(self._log)
        process.event.connect(self._on_event)
        process.done.connect(lambda code, _out, _err: self._finish(code, process.crashed))
        self._process = process
        self._log(f"$ {Path(self.program).name} {' '.join(self.argv(resume))}")
        process.start()
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
        self._process.cancel()

    def is_running(self) -> bool:
        return self._process is not None and self._process.is_running()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the child exits (tests and application shutdown only)."""
        return self._process is None or self._process.waitForFinished(msecs)

    def pid(self) -> int | None:
        return self._process.pid() if self._process is not None else None

    # ---- child output ----------------------------------------------------------------------
    def _on_event(self, event: object) -> None:
        if not isinstance(event, ProgressEvent):
            return  # job progress of a sub-step: training reports through its own events
        self.last_event = event
        if event.event == "error" and event.message:
            self._log(f"error: {event.message}")
        self.event.emit(event)

    def _log(self, line: str) -> None:
        self.tail.append(line)
        self.log_line.emit(line)

    # ---- exit ------------------------------------------------------------------------------
    def _finish(self, code: int, crashed: bool) -> None:
        if self.state not in ("running", "cancelling"):
            return  # already reported (FailedToStart is followed by no finished signal)
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
