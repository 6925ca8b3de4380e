"""A path field whose file is checked in a child process as soon as it is chosen."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from astroclip_gui.engine_process import EngineJobs, EngineProcess

CheckState = Literal["empty", "checking", "ok", "error"]
STYLE = {"ok": "color: #1a7f37;", "error": "color: #cf222e;", "checking": "color: #57606a;",
         "empty": "color: #57606a;"}


@dataclass(frozen=True)
class Verdict:
    """What a check concluded about one file."""

    ok: bool
    message: str
    payload: Any = None


Interpreter = Callable[[int, str, str], Verdict]


def json_verdict(code: int, stdout: str, stderr: str) -> Verdict:
    """Read the verdict printed by `astroclip check`."""
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Verdict(False, last_error(stderr) or f"the check failed (exit code {code})")
    if data.get("ok"):
        return Verdict(True, str(data.get("summary", "")))
    return Verdict(False, str(data.get("error", "invalid file")))


def last_error(stderr: str) -> str:
    """The most telling stderr line: the `astroclip: error:` message, else the last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("astroclip: error:"):
            return line.removeprefix("astroclip: error:").strip()
    return lines[-1] if lines else ""


class CheckedPathField(QWidget):
    """Line edit + Browse + a verdict line; the check runs 400 ms after the last edit."""

    verdict_changed = Signal()

    def __init__(self, argv_for: Callable[[str], list[str]], interpret: Interpreter,
                 jobs: EngineJobs, placeholder: str = "", directory: bool = False,
                 file_filter: str = "", parent: QWidget | None = None) -> None:
        """`argv_for(path)`: the `astroclip` arguments that check a path; `jobs` runs them
        (views start no processes themselves)."""
        super().__init__(parent)
        self.argv_for = argv_for
        self.interpret = interpret
        self.jobs = jobs
        self._check_id = 0
        self.directory = directory
        self.file_filter = file_filter
        self.state: CheckState = "empty"
        self.verdict: Verdict | None = None
        self._command: EngineProcess | None = None
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.status = QLabel()
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.check_now)
        self.edit.textChanged.connect(self._edited)
        self._show("empty", "")

    @property
    def path(self) -> str:
        return self.edit.text().strip()

    def set_path(self, path: str | Path, check: bool = True) -> None:
        self.edit.setText(str(path))
        if check:
            self.check_now()

    def is_ok(self) -> bool:
        return self.state == "ok"

    def _edited(self) -> None:
        self._cancel()
        if not self.path:
            self._show("empty", "")
            return
        self._show("checking", "checking…")
        self._debounce.start()

    def check_now(self) -> None:
        """Start the check of the current path (cancelling one in flight)."""
        self._debounce.stop()
        self._cancel()
        path = self.path
        if not path:
            self._show("empty", "")
            return
        if not Path(path).exists():
            self._show("error", f"{path}: no such {'folder' if self.directory else 'file'}")
            return
        self._show("checking", "checking…")
        self._check_id += 1
        check_id = self._check_id
        self._command = self.jobs.astroclip(
            self.argv_for(path), lambda code, out, err: self._done(check_id, code, out, err))

    def _done(self, check_id: int, code: int, stdout: str, stderr: str) -> None:
        if check_id != self._check_id:
            return  # a stale check of an earlier path, or a cancelled one
        self._command = None
        self.verdict = self.interpret(code, stdout, stderr)
        self._show("ok" if self.verdict.ok else "error", self.verdict.message)

    def _cancel(self) -> None:
        self._check_id += 1
        if self._command is not None:
            command, self._command = self._command, None
            command.cancel()
        self.verdict = None

    def _show(self, state: CheckState, message: str) -> None:
        self.state = state
        prefix = {"ok": "✓ ", "error": "✗ "}.get(state, "")
        self.status.setText(prefix + message)
        self.status.setStyleSheet(STYLE[state])
        self.status.setVisible(bool(message))
        self.verdict_changed.emit()

    def _browse(self) -> None:
        start = self.path or str(Path.home())
        if self.directory:
            chosen = QFileDialog.getExistingDirectory(self, "Choose a folder", start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Choose a file", start,
                                                    self.file_filter)
        if chosen:
            self.set_path(chosen)
