"""Helpers of the reliability suite: run the CLI in a child process, inspect run outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 240


def child_env(**faults: str | int) -> dict[str, str]:
    """Environment of a CLI child: one torch thread, the checkout importable, faults set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULT_")}
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONUNBUFFERED="1",
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    env.update({key: str(value) for key, value in faults.items()})
    return env


def cli_command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "tests.reliability.faulty_cli", *args]


def run_cli(args: Sequence[str], **faults: str | int) -> subprocess.CompletedProcess[str]:
    """Run `astroclip ARGS` (through faulty_cli, with `faults`) to the end."""
    return subprocess.run(cli_command(args), cwd=ROOT, env=child_env(**faults),
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)


def json_lines(text: str) -> Iterator[dict]:
    """The JSON objects among the lines of `text` (other lines skipped)."""
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                continue


def no_traceback(stderr: str) -> bool:
    return "Traceback (most recent call last)" not in stderr


def leftover_temp_files(folder: Path) -> list[Path]:
    """Temporary siblings `atomic_path` would leave behind (.NAME.*.tmp) below `folder`."""
    return sorted(p for p in folder.rglob(".*") if p.is_file() and p.name.endswith(".tmp"))
