"""The run directory: the one layout shared by the training CLI, the GUI and `astroclip runs`.

    RUN_DIR/config.yaml              the RunConfig of the run
    RUN_DIR/checkpoints/last.ckpt    written every epoch (resume point)
    RUN_DIR/checkpoints/best.ckpt    lowest validation loss
    RUN_DIR/progress.jsonl           one progress event per line (see ProgressEvent)
    RUN_DIR/status.json              RunStatus, rewritten atomically
    RUN_DIR/logs/                    CSV and TensorBoard logs
    RUN_DIR/train.log                the training process's own log
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from astroclip_engine.atomic import atomic_write_text
from astroclip_engine.config import RunConfig

RunState = Literal["created", "running", "finished", "failed", "cancelled"]
EventKind = Literal["start", "step", "epoch", "checkpoint", "end", "error"]


@dataclass
class ProgressEvent:
    """One line of progress.jsonl (and of `astroclip train --progress json` on stdout)."""

    event: EventKind
    epoch: int = 0
    step: int = 0
    total_steps: int | None = None
    train_loss: float | None = None
    val_loss: float | None = None
    lr: float | None = None
    r2: dict[str, float] = field(default_factory=dict)
    eta_s: float | None = None
    message: str = ""
    time: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps(asdict(self), allow_nan=True)

    @classmethod
    def from_json(cls, line: str) -> ProgressEvent:
        data = json.loads(line)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class RunStatus:
    """Summary of a run's state (status.json)."""

    state: RunState = "created"
    pid: int | None = None
    epoch: int = 0
    step: int = 0
    best_val_loss: float | None = None
    r2: dict[str, float] = field(default_factory=dict)
    message: str = ""
    updated: float = field(default_factory=time.time)


class RunDir:
    """Paths and small-file IO of one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.yaml"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def last_checkpoint(self) -> Path:
        return self.checkpoints_dir / "last.ckpt"

    @property
    def best_checkpoint(self) -> Path:
        return self.checkpoints_dir / "best.ckpt"

    @property
    def progress_path(self) -> Path:
        return self.path / "progress.jsonl"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    @property
    def log_path(self) -> Path:
        return self.path / "train.log"

    def exists(self) -> bool:
        return self.config_path.exists()

    def read_config(self) -> RunConfig:
        return RunConfig.from_yaml(self.config_path)

    def write_config(self, config: RunConfig) -> None:
        atomic_write_text(self.config_path, config.to_yaml())

    def read_status(self) -> RunStatus:
        try:
            data: dict[str, Any] = json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return RunStatus()
        known = {k: v for k, v in data.items() if k in RunStatus.__dataclass_fields__}
        return RunStatus(**known)

    def write_status(self, status: RunStatus) -> None:
        status.updated = time.time()
        atomic_write_text(self.status_path, json.dumps(asdict(status), indent=2))

    def append_progress(self, event: ProgressEvent) -> None:
        """Append one event; a line is written with one write() call and flushed."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.progress_path, "a+b") as handle:
            torn = handle.tell() > 0 and _last_byte(handle) != b"\n"
            # a killed writer can leave a torn last line: start on a fresh line after it
            handle.write((("\n" if torn else "") + event.to_json() + "\n").encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())

    def read_progress(self) -> list[ProgressEvent]:
        """All complete events so far (a torn last line from a killed writer is ignored)."""
        if not self.progress_path.exists():
            return []
        events = []
        for line in self.progress_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                events.append(ProgressEvent.from_json(line))
            except (ValueError, TypeError):
                continue
        return events


def _last_byte(handle: Any) -> bytes:
    handle.seek(-1, os.SEEK_END)
    last = handle.read(1)
    handle.seek(0, os.SEEK_END)
    return last


def list_runs(workspace: str | Path) -> list[RunDir]:
    """Run directories directly below a workspace folder, newest first."""
    root = Path(workspace)
    if not root.is_dir():
        return []
    runs = [RunDir(p) for p in root.iterdir() if (p / "config.yaml").exists()]
    return sorted(runs, key=lambda r: r.config_path.stat().st_mtime, reverse=True)
