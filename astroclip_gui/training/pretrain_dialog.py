"""The pretraining dialog: the first step of the AstroCLIP recipe, `astroclip pretrain`, before
the training wizard aligns the encoders. It builds the command line (shown verbatim), and
`start_requested(args, run_dir)` hands it to the training controller, which runs and monitors it
like any training run."""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from astroclip_engine.config import load_preset

PRESETS: dict[str, str] = {
    "pretrain-spectrum-small": "small SpecFormer (2 CPU cores, minutes)",
    "pretrain-spectrum": "official SpecFormer sizes: 768-d, 6 layers, 6 heads (GPU)",
    "pretrain-image-small": "small ResNet, MoCo-v2 (2 CPU cores, minutes)",
    "pretrain-image": "ResNet-50, MoCo-v2 as Stein et al. (GPU)",
}
MODALITIES: dict[str, str] = {
    "spectrum": "Spectra: masked spectrum modelling (SpecFormer)",
    "image": "Images: MoCo-v2 contrastive self-supervision (ResNet)",
}
INTROS: dict[str, str] = {
    "spectrum": "masked spectrum modelling teaches a SpecFormer spectra on their own. Step 2, "
                "<i>New training run</i>, aligns it with the images: choose the "
                "<b>demo-pretrained</b> preset and this run's <tt>checkpoints/best.ckpt</tt> as "
                "spectrum checkpoint.",
    "image": "MoCo-v2 teaches an image encoder galaxy images on their own (two augmented views "
             "of each galaxy against a queue of others). Step 2, <i>New training run</i>, "
             "aligns it with the spectra: choose a preset with the same image encoder "
             "(<b>demo-cpu</b> for the small ResNet) and this run's "
             "<tt>checkpoints/best.ckpt</tt> as image checkpoint.",
}


def preset_modality(preset: str) -> str:
    """"spectrum" or "image": the modality a pretraining preset trains (from its model.task)."""
    return load_preset(preset).model.task.removeprefix("pretrain_")


def pretrain_args(data: str, run_dir: Path, preset: str, epochs: int, batch: int,
                  stddev: str = "") -> list[str]:
    """`astroclip pretrain` arguments (without the program name and --progress); the modality
    is the preset's."""
    args = ["pretrain", "--modality", preset_modality(preset), "--data", data,
            "--preset", preset, "--out", str(run_dir)]
    base = load_preset(preset).trainer
    if epochs != base.max_epochs:
        args += ["--max-epochs", str(epochs)]
    if batch != base.batch_size:
        args += ["--batch-size", str(batch)]
    if stddev:
        args += ["--stddev", stddev]
    return args


class PretrainDialog(QDialog):
    """Choose data, run name, preset, epochs and batch size; Start emits the command."""

    start_requested = Signal(list, Path)

    def __init__(self, workspace: str | Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = Path(workspace)
        self.setWindowTitle("Pretrain an encoder")
        self.modality = QComboBox()
        for name, text in MODALITIES.items():
            self.modality.addItem(text, name)
        self.data = QLineEdit()
        self.stddev = QLineEdit()
        self.name = QLineEdit("pretrain-spectrum")
        self.preset = QComboBox()
        self.intro = QLabel(wordWrap=True)
        self.epochs = QSpinBox(minimum=1, maximum=1000)
        self.batch = QSpinBox(minimum=2, maximum=8192)
        self.command = QLabel(wordWrap=True)
        self.command.setObjectName("commandPreview")
        self._build()
        self._modality_changed()

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("Encoder", self.modality)
        form.addRow("Data (paired survey)", self._with_browse(self.data, "Survey file"))
        self.stddev_row = self._with_browse(self.stddev, "Std file")
        form.addRow("Spectrum std (optional)", self.stddev_row)
        form.addRow("Run name", self.name)
        form.addRow("Preset", self.preset)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton("Start pretraining",
                                              QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._start)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(QLabel("Command:"))
        layout.addWidget(self.command)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.modality.currentIndexChanged.connect(self._modality_changed)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        for widget in (self.data, self.stddev, self.name):
            widget.textChanged.connect(self._update)
        for spin in (self.epochs, self.batch):
            spin.valueChanged.connect(self._update)

    def _with_browse(self, edit: QLineEdit, title: str) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit)
        button = QPushButton("Browse…")
        button.clicked.connect(lambda: self._browse(edit, title))
        row.addWidget(button)
        return box

    def _browse(self, edit: QLineEdit, title: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, title, str(self.workspace))
        if path:
            edit.setText(path)

    def _modality_changed(self) -> None:
        modality = self.modality.currentData()
        self.intro.setText(f"Step 1 of the AstroCLIP recipe: {INTROS[modality]}")
        self.stddev_row.setEnabled(modality == "spectrum")
        if modality != "spectrum":
            self.stddev.clear()
        if self.name.text().strip() in {f"pretrain-{m}" for m in MODALITIES}:
            self.name.setText(f"pretrain-{modality}")
        self.preset.blockSignals(True)
        self.preset.clear()
        for name, text in PRESETS.items():
            if preset_modality(name) == modality:
                self.preset.addItem(f"{name}: {text}", name)
        self.preset.blockSignals(False)
        self._preset_changed()

    def _preset_changed(self) -> None:
        trainer = load_preset(self.preset.currentData()).trainer
        self.epochs.setValue(trainer.max_epochs)
        self.batch.setValue(trainer.batch_size)
        self._update()

    @property
    def run_dir(self) -> Path:
        default = f"pretrain-{self.modality.currentData()}"
        return self.workspace / (self.name.text().strip() or default)

    def args(self) -> list[str]:
        return pretrain_args(self.data.text().strip(), self.run_dir, self.preset.currentData(),
                             self.epochs.value(), self.batch.value(), self.stddev.text().strip())

    def _update(self) -> None:
        ready = bool(self.data.text().strip()) and not self.run_dir.exists()
        self.start_button.setEnabled(ready)
        note = "" if not self.run_dir.exists() else "  (this run folder exists: choose a name)"
        self.command.setText("astroclip " + shlex.join(self.args()) + note)

    def _start(self) -> None:
        self.start_requested.emit(self.args(), self.run_dir)
        self.accept()
