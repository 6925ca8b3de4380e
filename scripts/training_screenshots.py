"""Render the training wizard pages, the training monitor and the runs panel to PNG files.

    QT_QPA_PLATFORM=offscreen python scripts/training_screenshots.py [--run RUN_DIR] [--out DIR]

Without --run, a tiny real training run (demo-cpu preset on a small mock) is trained first in a
temporary workspace, so the monitor shows real curves; the monitor screenshot replays the first
part of its progress.jsonl ("mid-training") and then the whole run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from astroclip_engine.training.run_dir import RunDir  # noqa: E402


def wait_until(app: QApplication, done: Callable[[], bool], timeout_s: float = 120) -> None:
    end = time.monotonic() + timeout_s
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(5):
        app.processEvents()


def grab(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(f"wrote {path}")


def make_mock(path: Path, n: int = 400, size: int = 48) -> Path:
    if not path.exists():
        subprocess.run([sys.executable, "-m", "astroclip_engine.cli", "mock", str(path), "--n",
                        str(n), "--seed", "3", "--size", str(size)], check=True, cwd=ROOT)
    return path


def train_demo(workspace: Path, data: Path) -> Path:
    run = workspace / "demo-cpu-d32-1"
    if not RunDir(run).exists():
        subprocess.run([sys.executable, "-m", "astroclip_engine.cli", "train", "--data",
                        str(data), "--preset", "demo-cpu", "--out", str(run), "--max-epochs", "5",
                        "--batch-size", "64", "--progress", "none"], check=True, cwd=ROOT)
    return run


def wizard_shots(app: QApplication, workspace: Path, data: Path, out: Path) -> None:
    from astroclip_gui.training.wizard.dialog import TrainingWizard

    wizard = TrainingWizard(workspace, demo_path=data)
    wizard.resize(780, 680)
    wizard.show()
    page = wizard.data_page
    page.data.set_path(data)
    wait_until(app, lambda: page.data.state in ("ok", "error"))
    grab(wizard, out / "wizard_1_data.png")
    wizard.next()
    bad = workspace / "resnet50.ckpt"
    bad.write_bytes(b"not a checkpoint")
    encoders = wizard.encoders_page
    encoders.image.pretrained.setChecked(True)
    encoders.image.checkpoint.set_path(bad)
    wait_until(app, lambda: encoders.image.checkpoint.state in ("ok", "error"))
    grab(wizard, out / "wizard_2_encoders_bad_checkpoint.png")
    encoders.image.small.setChecked(True)
    grab(wizard, out / "wizard_2_encoders.png")
    wizard.next()
    grab(wizard, out / "wizard_3_model.png")
    wizard.next()
    hardware = wizard.hardware_page
    wait_until(app, lambda: bool(hardware.devices), 60)
    grab(wizard, out / "wizard_4_hardware.png")
    hardware.slurm.setChecked(True)
    hardware.nodes.setValue(2)
    hardware.partition.setText("gpu")
    hardware.write_sbatch()
    wait_until(app, lambda: hardware._command is None, 60)
    grab(wizard, out / "wizard_4_hardware_slurm.png")
    hardware.local.setChecked(True)
    wizard.next()
    grab(wizard, out / "wizard_5_review.png")
    wizard.close()


def monitor_shots(app: QApplication, run: Path, out: Path) -> None:
    from astroclip_gui.training.monitor import TrainingMonitorWidget
    from astroclip_gui.training.runs_panel import RunsPanelWidget

    monitor = TrainingMonitorWidget()
    monitor.resize(1100, 760)
    monitor.show()
    events = RunDir(run).read_progress()
    lines = RunDir(run).log_path.read_text().splitlines() if RunDir(run).log_path.exists() \
        else []
    monitor.reset(run)
    cut = max(1, int(len(events) * 0.6))
    for event in events[:cut]:
        monitor.add_event(event)
    for line in lines[: max(1, int(len(lines) * 0.6))][-40:]:
        monitor.append_log(line)
    monitor.set_state("running")
    monitor._redraw()
    grab(monitor, out / "monitor_mid_training.png")
    monitor.replay(run)
    grab(monitor, out / "monitor_finished.png")

    panel = RunsPanelWidget(run.parent)
    panel.resize(1100, 640)
    panel.show()
    panel.select_run(run)
    grab(panel, out / "monitor_runs_panel.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an existing run directory to replay")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--workdir", type=Path, help="keep the mock and runs here")
    parser.add_argument("--style", default="light", choices=("light", "dark"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    try:
        from astroclip_gui.style import apply_style

        apply_style(app, args.style)
    except ImportError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        workspace = work / "runs"
        workspace.mkdir(parents=True, exist_ok=True)
        data = make_mock(work / "demo_mock.h5")
        run = args.run or train_demo(workspace, data)
        wizard_shots(app, workspace, data, args.out)
        monitor_shots(app, run, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
