"""EngineProcess runs a real `astroclip` command and reads its `--progress json` events."""

from __future__ import annotations

import json
from pathlib import Path

from astroclip_engine.jobs import Progress
from astroclip_gui.engine_process import EngineProcess, engine_argv, parse_job_progress


def test_parse_job_progress() -> None:
    line = Progress("embed", 3, 12, "batch 3").to_json()
    assert parse_job_progress(line) == Progress("embed", 3, 12, "batch 3")
    assert parse_job_progress('{"ok": true, "summary": "x"}') is None
    assert parse_job_progress('{"event": "step", "step": 1}') is None
    assert parse_job_progress("embed: 45%|####") is None


def test_mock_command_reports_json_progress(tmp_path: Path, qtbot) -> None:
    out = tmp_path / "mock.h5"
    process = EngineProcess(engine_argv("mock", str(out), "--n", "12", "--size", "16",
                                        "--progress", "json"))
    events: list[Progress] = []
    percents: list[int] = []
    process.event.connect(events.append)
    process.percent.connect(percents.append)
    with qtbot.waitSignal(process.done, timeout=60000) as blocker:
        process.start()
    code, stdout, stderr = blocker.args
    assert code == 0, stderr
    assert events and all(isinstance(e, Progress) for e in events)
    assert percents[-1] == 100
    assert "mock survey:" in stdout and "{" not in stdout  # events are not output
    assert out.exists()


def test_failure_reports_the_engine_error(tmp_path: Path, qtbot) -> None:
    process = EngineProcess(engine_argv("check", "stein", str(tmp_path / "none.ckpt")))
    with qtbot.waitSignal(process.done, timeout=60000) as blocker:
        process.start()
    code, stdout, _stderr = blocker.args
    assert code == 0 and json.loads(stdout)["ok"] is False
