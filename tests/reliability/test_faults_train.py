"""kill -9 of `astroclip train` mid-epoch and mid-checkpoint-write: resume loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from pathlib import Path

import pytest
import torch

from astroclip_engine.config import RunConfig
from astroclip_engine.models.checkpoints import load_astroclip
from astroclip_engine.training.run_dir import ProgressEvent, RunDir
from tests.reliability.helpers import (
    CHILD_TIMEOUT_S,
    ROOT,
    child_env,
    cli_command,
    json_lines,
    run_cli,
)


def kill_when(args: list[str], predicate) -> list[dict]:
    """Run `astroclip ARGS --progress json`; SIGKILL it at the first event matching predicate."""
    child = subprocess.Popen(cli_command(args), cwd=ROOT, env=child_env(), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    guard = threading.Timer(CHILD_TIMEOUT_S, child.kill)
    guard.start()
    events: list[dict] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            events.extend(json_lines(line))
            if events and predicate(events[-1]):
                child.send_signal(signal.SIGKILL)
                break
        child.wait()
    finally:
        guard.cancel()
    assert child.returncode == -signal.SIGKILL, f"not killed: rc {child.returncode}"
    return events


def checkpoints_in(run: Path) -> dict[str, int]:
    """Every complete checkpoint of the run (temporaries excluded) -> its 0-based epoch;
    each must load both as a Lightning checkpoint and as a model."""
    found = {}
    for path in sorted(run.rglob("*.ckpt")):
        if path.name.startswith("."):
            continue
        load_astroclip(path)
        found[path.name] = int(torch.load(path, map_location="cpu", weights_only=True)["epoch"])
    return found


def assert_run_files_intact(run: Path) -> list[ProgressEvent]:
    """config.yaml, status.json parse; progress.jsonl parses but for at most one torn line."""
    rd = RunDir(run)
    RunConfig.from_yaml(rd.config_path)
    json.loads(rd.status_path.read_text())
    lines = rd.progress_path.read_text().splitlines()
    events = rd.read_progress()
    assert len(lines) - len(events) <= 1
    return events


@pytest.mark.slow
def test_kill_mid_epoch_and_mid_checkpoint_then_resume(tiny_mock: Path, tiny_preset: Path,
                                                       tmp_path: Path, record_case) -> None:
    case = record_case(
        "`astroclip train` killed (SIGKILL) mid-epoch, then again while writing a checkpoint",
        "kill -9 at the first step of epoch 2; on resume, torch.save hooked to write half the "
        ".ckpt temporary file and SIGKILL itself; a torn line appended to progress.jsonl",
        "`--resume` continues from the last good checkpoint and finishes; every .ckpt loads; "
        "status.json / config.yaml parse; a torn progress line is skipped")
    run = tmp_path / "run"
    start = ["train", "--data", str(tiny_mock), "--preset", str(tiny_preset), "--out", str(run),
             "--progress", "json"]
    resume = ["train", "--out", str(run), "--resume", "--progress", "json"]

    events = kill_when(start, lambda e: e["event"] == "step" and e["epoch"] == 2)
    total_steps = events[0]["total_steps"]
    saved_before = checkpoints_in(run)
    assert saved_before.get("last.ckpt") == 0  # epoch 1 done and saved, epoch 2 interrupted
    assert_run_files_intact(run)

    second = run_cli(resume, FAULT_KILL_IN_SAVE=1)
    assert second.returncode == -signal.SIGKILL, second.stderr[-2000:]
    resumed = next(json_lines(second.stdout))
    assert resumed["event"] == "start" and resumed["step"] == total_steps // 3
    saved_mid = checkpoints_in(run)  # the torn file is a temporary: the targets are intact
    assert saved_mid == saved_before
    assert list((run / "checkpoints").glob(".*.tmp")), "the hook did not tear a write"
    with open(run / "progress.jsonl", "a") as handle:
        handle.write('{"event": "step", "epo\n')  # a writer killed mid-line
    assert_run_files_intact(run)

    third = run_cli(resume)
    assert third.returncode == 0, third.stderr[-3000:]
    status = RunDir(run).read_status()
    assert status.state == "finished" and status.epoch == 3 and status.step == total_steps
    final = checkpoints_in(run)
    assert final["last.ckpt"] == 2 and "best.ckpt" in final
    assert not list((run / "checkpoints").glob(".*.tmp")), "stale temporaries not cleaned"
    events = assert_run_files_intact(run)
    assert events[-1].event == "end"
    assert [e.message for e in events if e.event == "start"][-1].startswith("resumed at epoch 2")
    lost = sum(saved_before[name] > final.get(name, -1) for name in saved_before)
    case.done(f"resumed twice from epoch 1's last.ckpt, finished {status.epoch} epochs "
              f"({status.step}/{total_steps} steps); {len(final)} checkpoints load", lost,
              "checkpoints")
    assert lost == 0


def test_torn_progress_line_does_not_swallow_the_next_event(tmp_path: Path,
                                                            record_case) -> None:
    case = record_case(
        "progress.jsonl ends in a torn line (writer killed mid-write, no newline)",
        "write half a JSON line without its newline, then append events as a resumed run does",
        "the torn line is skipped and every event appended afterwards is read back")
    rd = RunDir(tmp_path / "run")
    rd.append_progress(ProgressEvent("start", message="first"))
    with open(rd.progress_path, "a") as handle:
        handle.write('{"event": "step", "epoch": 1, "st')
    rd.append_progress(ProgressEvent("start", message="resumed"))
    rd.append_progress(ProgressEvent("end"))
    messages = [e.message for e in rd.read_progress()]
    lost = 3 - len(messages)
    case.done(f"read back {messages}", lost, "events")
    assert messages == ["first", "resumed", ""]
