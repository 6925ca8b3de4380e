"""Training wizard step 4: this computer's devices or a SLURM cluster."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWizardPage,
)

from astroclip_engine.config import RunConfig, load_preset
from astroclip_engine.devices import DeviceInfo, devices_from_json, suggested_precision
from astroclip_gui.training.request import TrainRequest
from astroclip_gui.training.wizard.common import (
    monospace,
)
from astroclip_gui.widgets.checked_path import last_error

if TYPE_CHECKING:
    from astroclip_gui.engine_process import EngineJobs, EngineProcess

TIME_PATTERN = re.compile(r"^(\d+-)?\d{1,3}:\d{2}:\d{2}$")
RequestFn = Callable[[], TrainRequest]


class HardwarePage(QWizardPage):
    """Step 4: the devices of this computer (detected in a child process), or a SLURM job."""

    def __init__(self, request: RequestFn, jobs: EngineJobs) -> None:
        super().__init__()
        self.request = request
        self.jobs = jobs
        self.devices: list[DeviceInfo] = []
        self.setTitle("Hardware")
        self.setSubTitle("Train here, or write a batch script for a SLURM cluster.")
        self.where = QButtonGroup(self)
        self.local = QRadioButton("This computer")
        self.slurm = QRadioButton("A SLURM cluster")
        self.where.addButton(self.local, 0)
        self.where.addButton(self.slurm, 1)
        self.local.setChecked(True)

        self.local_box = self._local_box()
        self.slurm_box = self._slurm_box()

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.local)
        row.addWidget(self.slurm)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.local_box)
        layout.addWidget(self.slurm_box, 1)
        layout.addStretch(0)

        self.script_written = False
        self._initialized = False
        self._command: EngineProcess | None = None
        self.where.idToggled.connect(lambda _i, _c: self._mode_changed())
        self.write_script.clicked.connect(self.write_sbatch)
        self.submit.clicked.connect(self.submit_sbatch)
        self.use_precision.clicked.connect(self._use_precision)
        for widget in (self.nodes, self.gpus):
            widget.valueChanged.connect(self._slurm_edited)
        for edit in (self.time, self.partition, self.account):
            edit.textChanged.connect(self._slurm_edited)
        self._mode_changed()

    # ---- devices -------------------------------------------------------------------------------
    def _local_box(self) -> QGroupBox:
        """Devices of this computer, workers and precision."""
        self.device_list = QListWidget()
        self.detect_status = QLabel("Detecting devices…")
        self.workers = QSpinBox()
        self.workers.setRange(0, 64)
        self.precision_hint = QLabel()
        self.use_precision = QPushButton("Use it")
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.precision_hint, 1)
        hint_row.addWidget(self.use_precision)
        box = QGroupBox("Devices")
        local_form = QFormLayout(box)
        local_form.addRow(self.device_list)
        local_form.addRow(self.detect_status)
        local_form.addRow("Data-loading workers", self.workers)
        local_form.addRow("Precision", hint_row)
        return box

    def _slurm_box(self) -> QGroupBox:
        """Nodes, GPUs, time, partition and account of a SLURM job, and its script."""
        self.nodes = QSpinBox()
        self.nodes.setRange(1, 512)
        self.gpus = QSpinBox()
        self.gpus.setRange(1, 16)
        self.gpus.setValue(4)
        self.time = QLineEdit("24:00:00")
        self.partition = QLineEdit()
        self.partition.setPlaceholderText("cluster default")
        self.account = QLineEdit()
        self.account.setPlaceholderText("cluster default")
        self.write_script = QPushButton("Write the batch script")
        self.submit = QPushButton("Submit with sbatch")
        self.slurm_status = QLabel()
        self.slurm_status.setWordWrap(True)
        self.slurm_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.script = monospace(QPlainTextEdit())
        self.script.setPlaceholderText("submit.sbatch appears here")
        buttons = QHBoxLayout()
        buttons.addWidget(self.write_script)
        buttons.addWidget(self.submit)
        buttons.addStretch(1)
        box = QGroupBox("SLURM job")
        slurm_form = QFormLayout(box)
        slurm_form.addRow("Nodes", self.nodes)
        slurm_form.addRow("GPUs per node", self.gpus)
        slurm_form.addRow("Time limit (HH:MM:SS)", self.time)
        slurm_form.addRow("Partition", self.partition)
        slurm_form.addRow("Account", self.account)
        slurm_form.addRow(buttons)
        slurm_form.addRow(self.slurm_status)
        slurm_form.addRow(self.script)
        return box

    def initializePage(self) -> None:
        if not self._initialized:
            self._initialized = True
            preset = self.wizard().model_page.preset.currentText()
            self.workers.setValue(load_preset(preset).data.num_workers)
        if not self.devices and self._command is None:
            self._command = self.jobs.astroclip(["devices", "--json"], self._detected)
        self._update_hint()

    def _detected(self, code: int, stdout: str, stderr: str) -> None:
        self._command = None
        try:
            self.devices = devices_from_json(stdout) if code == 0 else []
        except ValueError:
            self.devices = []
        if not self.devices:
            self.detect_status.setText(f"<span style='color:#cf222e'>device detection failed: "
                                       f"{last_error(stderr)}</span>")
            return
        self.set_devices(self.devices)

    def set_devices(self, devices: list[DeviceInfo]) -> None:
        """Show detected devices; GPUs are checkable (all used by default)."""
        self.devices = devices
        self.device_list.clear()
        for device in devices:
            item = QListWidgetItem(device.label)
            if device.kind != "cpu":
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
            self.device_list.addItem(item)
        rows = max(1, len(devices))
        self.device_list.setFixedHeight(rows * self.device_list.sizeHintForRow(0) + 8)
        gpus = sum(d.kind == "cuda" for d in devices)
        cores = next((d.cores for d in devices if d.kind == "cpu"), 1) or 1
        self.detect_status.setText(f"{gpus} GPU(s) found." if gpus else
                                   "No GPU found: training runs on the CPU.")
        self.workers.setMaximum(max(1, cores))
        self._update_hint()

    def selected_gpus(self) -> int:
        return sum(self.device_list.item(i).checkState() == Qt.CheckState.Checked
                   for i, device in enumerate(self.devices) if device.kind == "cuda")

    def _update_hint(self) -> None:
        chosen = [d for i, d in enumerate(self.devices) if d.kind == "cpu"
                  or self.device_list.item(i).checkState() == Qt.CheckState.Checked]
        self.suggested = suggested_precision(chosen) if chosen else "32-true"
        current = self.wizard().model_page.precision.currentText() if self.wizard() else "?"
        self.precision_hint.setText(f"{current} (suggested for these devices: "
                                    f"{self.suggested})")
        self.use_precision.setEnabled(current != self.suggested)

    def _use_precision(self) -> None:
        self.wizard().model_page.precision.setCurrentText(self.suggested)
        self._update_hint()

    def apply(self, config: RunConfig) -> RunConfig:
        """`config` with the device choice and workers."""
        if self.slurm.isChecked():
            return config.replace(trainer={"devices": self.gpus.value(),
                                           "num_nodes": self.nodes.value()})
        gpus = self.selected_gpus()
        trainer = {"devices": gpus, "accelerator": "gpu"} if gpus else \
            {"devices": "auto", "accelerator": "cpu" if any(
                d.kind == "cuda" for d in self.devices) else config.trainer.accelerator}
        workers = self.workers.value() if self._initialized else config.data.num_workers
        return config.replace(trainer=trainer, data={"num_workers": workers})

    # ---- SLURM ---------------------------------------------------------------------------------
    def _mode_changed(self) -> None:
        self.local_box.setVisible(self.local.isChecked())
        self.slurm_box.setVisible(self.slurm.isChecked())
        self.submit.setEnabled(self.script_written and shutil.which("sbatch") is not None)
        self.completeChanged.emit()

    def _slurm_edited(self) -> None:
        self.script_written = False
        self.script.clear()
        ok = TIME_PATTERN.match(self.time.text().strip()) is not None
        self.slurm_status.setText("" if ok else "<span style='color:#cf222e'>time must look like "
                                  "HH:MM:SS or D-HH:MM:SS</span>")
        self.write_script.setEnabled(ok)
        self._mode_changed()

    def write_sbatch(self) -> None:
        """`astroclip slurm ...` writes RUN_DIR/submit.sbatch; show it."""
        request = self.request()
        try:
            request.prepare()
        except OSError as exc:
            self.slurm_status.setText(f"<span style='color:#cf222e'>{exc}</span>")
            return
        args = request.slurm_args(self.nodes.value(), self.gpus.value(), self.time.text().strip(),
                                  self.partition.text().strip(), self.account.text().strip())
        self.slurm_status.setText("writing the script…")
        self._command = self.jobs.astroclip(
            args, lambda code, _o, err: self._script_done(request, code, err))

    def _script_done(self, request: TrainRequest, code: int, stderr: str) -> None:
        self._command = None
        path = request.run_dir / "submit.sbatch"
        if code != 0 or not path.exists():
            self.slurm_status.setText(f"<span style='color:#cf222e'>`astroclip slurm` failed: "
                                      f"{last_error(stderr)}</span>")
            return
        self.script.setPlainText(path.read_text())
        self.script_written = True
        if shutil.which("sbatch"):
            self.slurm_status.setText(f"Written to {path}. Submit it now, or later with "
                                      f"<code>sbatch {path}</code>.")
        else:
            self.slurm_status.setText(
                f"Written to {path}. <b>sbatch</b> is not available on this computer: copy the "
                f"run folder to the cluster (same paths) and run <code>sbatch {path}</code> "
                "there.")
        self._mode_changed()

    def submit_sbatch(self) -> None:
        path = self.request().run_dir / "submit.sbatch"
        self._command = self.jobs.run(
            [str(path)], lambda code, out, err: self.slurm_status.setText(
                out.strip() if code == 0 else f"<span style='color:#cf222e'>sbatch failed: "
                f"{last_error(err)}</span>"),
            program=shutil.which("sbatch") or "sbatch")

    def isComplete(self) -> bool:
        return self.local.isChecked() or self.script_written
