"""TrainingProcess against a stand-in child that speaks the progress protocol (fast, no torch):
partial lines, non-JSON noise, SIGTERM, a stubborn child that must be killed, a crash."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from astroclip_engine.training.run_dir import ProgressEvent, RunDir
from astroclip_gui.engine_process import parse_progress_line, split_lines
from astroclip_gui.training.process import TrainingProcess

CHILD = textwrap.dedent('''
    import json, signal, sys, time
    from pathlib import Path
    args = sys.argv[1:]
    out = Path(args[args.index("--out") + 1])
    mode = args[args.index("--mode") + 1]
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text("name: fake\\n")
    def status(state):
        (out / "status.json").write_text(json.dumps({"state": state, "epoch": 1}))
    def on_term(*_):
        if mode == "stubborn":
            return
        status("cancelled")
        sys.exit(130)
    signal.signal(signal.SIGTERM, on_term)
    status("running")
    line = json.dumps({"event": "start", "total_steps": 4, "message": "go"})
    sys.stdout.write(line[:9]); sys.stdout.flush(); time.sleep(0.05)
    sys.stdout.write(line[9:] + "\\nplain text on stdout\\n{not json}\\n"); sys.stdout.flush()
    print("a warning on stderr", file=sys.stderr, flush=True)
    for step in range(1, 5):
        print(json.dumps({"event": "step", "epoch": 0, "step": step, "total_steps": 4,
                          "train_loss": 2.0 / step, "lr": 1e-3}), flush=True)
    if mode == "crash":
        print("Traceback: CUDA error: device lost", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode in ("hang", "stubborn"):
        time.sleep(60)
    print(json.dumps({"event": "end", "epoch": 1, "step": 4, "val_loss": 0.5}), flush=True)
    status("finished")
''')


@pytest.fixture()
def child(tmp_path: Path) -> Path:
    path = tmp_path / "fake_train.py"
    path.write_text(CHILD)
    return path


def make(child: Path, run: Path, mode: str, qtbot, kill_ms: int = 20000) -> TrainingProcess:
    process = TrainingProcess(["train", "--out", str(run), "--mode", mode], run,
                              kill_timeout_ms=kill_ms, argv_prefix=[str(child)])
    events: list[ProgressEvent] = []
    lines: list[str] = []
    process.event.connect(events.append)
    process.log_line.connect(lines.append)
    process.events, process.lines = events, lines  # type: ignore[attr-defined]
    return process


def test_parse_progress_line() -> None:
    assert parse_progress_line('{"event": "epoch", "epoch": 2, "val_loss": 1.5}').val_loss == 1.5
    assert parse_progress_line("Epoch 1: 100%") is None
    assert parse_progress_line('{"event": "bogus"}') is None
    assert parse_progress_line('{"job": "embed", "current": 3}') is None
    assert parse_progress_line('{"event": "step", "epoch"') is None
    assert parse_progress_line('{"event": "step", "epoch": "x", "unknown_key": 1}') is not None


def test_split_lines_keeps_partial_tail() -> None:
    lines, tail = split_lines("", '{"a": 1}\n{"b"')
    assert lines == ['{"a": 1}'] and tail == '{"b"'
    lines, tail = split_lines(tail, ': 2}\r 50%|##\r')
    assert lines == ['{"b": 2}', " 50%|##"] and tail == ""


def test_events_and_log_lines_are_separated(child: Path, tmp_path: Path, qtbot) -> None:
    run = tmp_path / "run"
    process = make(child, run, "ok", qtbot)
    with qtbot.waitSignal(process.finished, timeout=20000) as blocker:
        process.start()
    assert blocker.args == ["finished"]
    kinds = [e.event for e in process.events]
    assert kinds == ["start", "step", "step", "step", "step", "end"]
    assert [e.step for e in process.events if e.event == "step"] == [1, 2, 3, 4]
    assert "plain text on stdout" in process.lines and "{not json}" in process.lines
    assert "a warning on stderr" in process.lines
    assert RunDir(run).read_status().state == "finished"


def test_cancel_sends_sigterm_and_child_records_cancelled(child: Path, tmp_path: Path,
                                                          qtbot) -> None:
    run = tmp_path / "run"
    process = make(child, run, "hang", qtbot)
    with qtbot.waitSignal(process.event, timeout=20000,
                          check_params_cb=lambda e: e.event == "step" and e.step == 4):
        process.start()
    with qtbot.waitSignal(process.finished, timeout=20000) as blocker:
        process.cancel()
    assert blocker.args == ["cancelled"]
    assert RunDir(run).read_status().state == "cancelled"


def test_stubborn_child_is_killed_after_timeout(child: Path, tmp_path: Path, qtbot) -> None:
    run = tmp_path / "run"
    process = make(child, run, "stubborn", qtbot, kill_ms=500)
    with qtbot.waitSignal(process.event, timeout=20000,
                          check_params_cb=lambda e: e.event == "step" and e.step == 4):
        process.start()
    with qtbot.waitSignal(process.finished, timeout=20000) as blocker:
        process.cancel()
    assert blocker.args == ["cancelled"]
    assert any("killing" in line for line in process.lines)
    # the child could not record it: the wrapper did
    assert RunDir(run).read_status().state == "cancelled"


def test_crash_marks_run_failed_with_last_lines(child: Path, tmp_path: Path, qtbot) -> None:
    run = tmp_path / "run"
    process = make(child, run, "crash", qtbot)
    with qtbot.waitSignal(process.finished, timeout=20000) as blocker:
        process.start()
    assert blocker.args == ["failed"] and process.exit_code == 3
    status = RunDir(run).read_status()
    assert status.state == "failed"
    assert "device lost" in status.message
    assert any("device lost" in line for line in process.tail)
    # resumable: the same object starts again with --resume
    assert process.argv(resume=True)[-1] == "--resume"


def test_missing_program_fails_cleanly(tmp_path: Path, qtbot) -> None:
    process = TrainingProcess(["train"], tmp_path / "run", program=str(tmp_path / "nope"))
    with qtbot.waitSignal(process.finished, timeout=10000) as blocker:
        process.start()
    assert blocker.args == ["failed"]
    assert any("could not start" in line for line in process.tail)


def test_json_line_roundtrip_through_run_dir(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.append_progress(ProgressEvent("epoch", epoch=1, val_loss=0.25, r2={"image_image": 0.5}))
    with open(run.progress_path, "a") as handle:
        handle.write('{"event": "step", "ep')  # torn last line
    events = run.read_progress()
    assert len(events) == 1 and events[0].r2 == {"image_image": 0.5}
    assert json.loads(events[0].to_json())["val_loss"] == 0.25


def test_command_chain_runs_in_order_and_stops_at_failure(tmp_path: Path, qtbot) -> None:
    from astroclip_gui.engine_process import ChainStep, CommandChain

    marker = tmp_path / "order.txt"
    write = "import sys; open(sys.argv[1], 'a').write(sys.argv[2])"
    fail = "import sys; print('disk full: no space left', file=sys.stderr); sys.exit(1)"
    steps = [ChainStep("first", ("-c", write, str(marker), "a")),
             ChainStep("second", ("-c", write, str(marker), "b")),
             ChainStep("broken", ("-c", fail)),
             ChainStep("never", ("-c", write, str(marker), "c"))]
    chain = CommandChain(steps)
    labels: list[str] = []
    chain.step_started.connect(lambda i, n, label: labels.append(label))
    with qtbot.waitSignal(chain.finished, timeout=20000) as blocker:
        chain.start()
    ok, message = blocker.args
    assert not ok and "broken failed" in message and "no space left" in message
    assert marker.read_text() == "ab" and labels == ["first", "second", "broken"]


def test_install_training_ui_fills_the_menu(tmp_path: Path, qtbot) -> None:
    from PySide6.QtWidgets import QMainWindow

    from astroclip_gui.training.controller import install_training_ui

    window = QMainWindow()
    qtbot.addWidget(window)
    window.training_menu = window.menuBar().addMenu("&Training")
    opened: list[Path] = []
    window.open_project = opened.append
    controller = install_training_ui(window, tmp_path / "runs")
    texts = [a.text() for a in window.training_menu.actions() if a.text()]
    assert texts == ["New training run…", "Pretrain an encoder…", "Runs panel",
                     "Training monitor"]
    assert controller.runs.workspace == tmp_path / "runs"
    controller.runs.open_in_explorer.emit(tmp_path / "store.h5")
    assert opened == [tmp_path / "store.h5"]
    wizard = controller.new_run()
    assert wizard.isVisible() and wizard.workspace == tmp_path / "runs"
    wizard.close()
