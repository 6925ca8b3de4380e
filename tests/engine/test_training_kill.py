"""Crash safety: `astroclip train` killed with SIGKILL mid-training resumes from last.ckpt;
SIGTERM stops cleanly with state "cancelled"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from astroclip_engine.training.run_dir import RunDir
from tests.engine.test_training_run import tiny_config

pytestmark = pytest.mark.slow


def _start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "astroclip_engine.cli", "train", *args,
                             "--progress", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)


def _wait_for(proc: subprocess.Popen, predicate, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    for line in proc.stdout:
        event = json.loads(line)  # every stdout line must be a JSON event
        if predicate(event):
            return event
        assert time.monotonic() < deadline, "timed out waiting for a progress event"
    raise AssertionError(f"training ended (code {proc.wait()}) before the awaited event")


def test_kill_9_then_resume_continues_from_last_checkpoint(mock_survey: Path,
                                                           tmp_path: Path) -> None:
    preset = tmp_path / "tiny.yaml"
    preset.write_text(tiny_config(mock_survey, max_epochs=3).to_yaml())
    out = tmp_path / "run"
    proc = _start(["--data", str(mock_survey), "--preset", str(preset), "--out", str(out)])
    try:
        _wait_for(proc, lambda e: e["event"] == "checkpoint"
                  and e["message"].endswith("last.ckpt"))
        _wait_for(proc, lambda e: e["event"] == "step")  # now inside the second epoch
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    run = RunDir(out)
    assert run.read_status().state == "running"  # nobody could record the kill
    saved = torch.load(run.last_checkpoint, map_location="cpu", weights_only=True)
    assert saved["epoch"] == 0  # the end of the first epoch

    resumed = _start(["--out", str(out), "--resume"])
    start = _wait_for(resumed, lambda e: e["event"] == "start")
    end = _wait_for(resumed, lambda e: e["event"] in ("end", "error"))
    assert resumed.wait(timeout=60) == 0
    assert start["epoch"] == 2 and start["step"] == saved["global_step"]
    assert end["event"] == "end" and end["epoch"] == 3
    assert run.read_status().state == "finished"
    assert torch.load(run.last_checkpoint, weights_only=True)["epoch"] == 2
    assert not list(run.checkpoints_dir.glob(".*"))  # no temporary files left behind


def test_sigterm_stops_cleanly(mock_survey: Path, tmp_path: Path) -> None:
    preset = tmp_path / "tiny.yaml"
    preset.write_text(tiny_config(mock_survey, max_epochs=50, batch_size=8).to_yaml())
    out = tmp_path / "run"
    proc = _start(["--data", str(mock_survey), "--preset", str(preset), "--out", str(out)])
    try:
        _wait_for(proc, lambda e: e["event"] == "step" and e["step"] >= 2)
        proc.send_signal(signal.SIGTERM)
        end = _wait_for(proc, lambda e: e["event"] in ("end", "error"))
        assert proc.wait(timeout=60) == 130
    finally:
        proc.kill()
        proc.wait()
    assert end["event"] == "end" and "resume" in end["message"]
    run = RunDir(out)
    assert run.read_status().state == "cancelled"
    saved = torch.load(run.last_checkpoint, weights_only=True)
    assert 2 <= saved["global_step"] < 50 * 4
