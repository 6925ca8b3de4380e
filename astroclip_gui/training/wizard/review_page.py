"""Training wizard step 5: everything chosen, and the exact command."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from astroclip_gui.training.wizard.common import (
    monospace,
)
from astroclip_gui.training.wizard.hardware_page import RequestFn


class ReviewPage(QWizardPage):
    """Step 5: everything chosen, and the exact command that will run."""

    def __init__(self, request: RequestFn, is_slurm: Callable[[], bool]) -> None:
        super().__init__()
        self.request = request
        self.is_slurm = is_slurm
        self.setTitle("Review and start")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.command = monospace(QPlainTextEdit())
        self.command.setMaximumHeight(90)
        self.command.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        copy = QPushButton("Copy command")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(
            self.command.toPlainText()))
        self.error = QLabel()
        self.error.setStyleSheet("color: #cf222e;")
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("<b>Command</b>"))
        layout.addWidget(self.command)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(copy)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def initializePage(self) -> None:
        request = self.request()
        config = request.config
        model, trainer = config.model, config.trainer
        if self.is_slurm():
            self.setSubTitle("The batch script is written; the cluster runs the training.")
            command = f"sbatch {request.run_dir / 'submit.sbatch'}"
            where = f"SLURM: {trainer.num_nodes} node(s) × {trainer.devices} GPU(s)"
        else:
            self.setSubTitle("Training runs in a separate process; you can close this window.")
            command = request.command_line()
            where = "this computer, " + (f"{trainer.devices} GPU(s)" if trainer.accelerator ==
                                         "gpu" else "CPU")
        edits = request.edits_beyond_flags()
        rows = [
            ("Run", f"{request.run_dir}"),
            ("Data", f"{request.data}" + (f" + {config.data.properties}"
                                          if config.data.properties else "")),
            ("Image encoder", model.image_checkpoint or model.image_encoder),
            ("Spectrum encoder", model.spectrum_checkpoint or model.spectrum_encoder),
            ("Backbones", "frozen" if model.freeze_backbones else "fine-tuned"),
            ("Embedding size", str(model.embedding_dim)),
            ("Optimisation", f"batch {trainer.batch_size}, {trainer.max_epochs} epochs, "
                             f"lr {config.optim.lr:g}, weight decay {config.optim.weight_decay:g}"),
            ("Temperature", f"{model.temperature:g}" + (" (learnable)"
                                                        if model.learnable_temperature else "")),
            ("Hardware", f"{where}, {trainer.precision}"),
            ("Preset", request.preset + (f" (edited: saved to {request.preset_path.name})"
                                         if edits else "")),
            *([("Edits", "<br>".join(edits))] if edits else []),
        ]
        self.summary.setText("<table cellspacing='3'>" + "".join(
            f"<tr><td style='color:#57606a; padding-right:16px'>{k}</td><td>{v}</td></tr>"
            for k, v in rows) + "</table>")
        self.command.setPlainText(command)
        self.error.clear()

    def validatePage(self) -> bool:
        if self.is_slurm():
            return True
        request = self.request()
        if request.run_dir.exists() and any(request.run_dir.iterdir()):
            self.error.setText(f"{request.run_dir} already exists and is not empty: go back and "
                               "choose another run name.")
            return False
        try:
            request.prepare()
        except OSError as exc:
            self.error.setText(f"Cannot write the run's preset file: {exc}")
            return False
        return True
