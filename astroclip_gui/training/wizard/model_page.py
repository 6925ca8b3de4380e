"""Training wizard step 3: run name, preset, embedding size and values."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWizardPage,
)

from astroclip_engine.config import RunConfig, list_presets, load_preset
from astroclip_gui.training.runs import RunDir
from astroclip_gui.training.wizard.common import (
    NAME_PATTERN,
    PRECISIONS,
    preset_description,
)


def decimal_spin(decimals: int, limits: tuple[float, float], step: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setDecimals(decimals)
    spin.setRange(*limits)
    spin.setSingleStep(step)
    return spin


class ModelPage(QWizardPage):
    """Step 3: run name, preset, embedding size and the preset's editable values."""

    def __init__(self, workspace: Path) -> None:
        super().__init__()
        self.workspace = Path(workspace)
        self.setTitle("Model and optimisation")
        self.setSubTitle("A preset fills in the values; every one can be edited.")
        self.name = QLineEdit()
        self.name.setPlaceholderText("a folder name for the run")
        self.name_status = QLabel()
        self.name_status.setStyleSheet("color: #cf222e;")
        self.preset = QComboBox()
        self.preset.addItems(list_presets())
        self.dim = QSpinBox()
        self.dim.setRange(2, 512)
        self.batch = QSpinBox()
        self.batch.setRange(2, 65536)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10000)
        self.lr = decimal_spin(6, (1e-6, 1.0), 1e-4)
        self.weight_decay = decimal_spin(6, (0.0, 1.0), 1e-5)
        self.temperature = decimal_spin(3, (0.001, 10.0), 0.01)
        self.learnable = QCheckBox("learnable")
        temperature_row = QHBoxLayout()
        temperature_row.addWidget(self.temperature)
        temperature_row.addWidget(self.learnable)
        temperature_row.addStretch(1)
        self.precision = QComboBox()
        self.precision.addItems(PRECISIONS)
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.preset_note.setStyleSheet("color: #6e7781;")
        for spin in (self.dim, self.batch, self.epochs, self.lr, self.weight_decay,
                     self.temperature):
            spin.setMinimumWidth(150)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.name.setMinimumWidth(320)
        self.preset.setMinimumWidth(320)
        form.addRow("Run name", self.name)
        form.addRow("", self.name_status)
        form.addRow("Preset", self.preset)
        form.addRow("", self.preset_note)
        form.addRow("Embedding size D", self.dim)
        form.addRow("Batch size", self.batch)
        form.addRow("Epochs", self.epochs)
        form.addRow("Learning rate (Adam)", self.lr)
        form.addRow("Weight decay", self.weight_decay)
        form.addRow("Temperature", temperature_row)
        form.addRow("Precision", self.precision)
        self.preset.currentTextChanged.connect(self.load)
        self.name.textChanged.connect(self._check_name)
        if "demo-cpu" in list_presets():
            self.preset.setCurrentText("demo-cpu")
        self.load(self.preset.currentText())

    def load(self, preset: str) -> None:
        """Fill the form from a preset."""
        if not preset:
            return
        config = load_preset(preset)
        self.preset_note.setText(preset_description(preset))
        self.dim.setValue(config.model.embedding_dim)
        self.batch.setValue(config.trainer.batch_size)
        self.epochs.setValue(config.trainer.max_epochs)
        self.lr.setValue(config.optim.lr)
        self.weight_decay.setValue(config.optim.weight_decay)
        self.temperature.setValue(config.model.temperature)
        self.learnable.setChecked(config.model.learnable_temperature)
        self.precision.setCurrentText(config.trainer.precision)

    def initializePage(self) -> None:
        if not self.name.text():
            self.name.setText(self._free_name())

    def _free_name(self) -> str:
        stem = f"{self.preset.currentText()}-d{self.dim.value()}"
        index = 1
        while (self.workspace / f"{stem}-{index}").exists():
            index += 1
        return f"{stem}-{index}"

    def _check_name(self) -> None:
        self.name_status.setText(self.name_problem() or "")
        self.completeChanged.emit()

    def name_problem(self) -> str | None:
        name = self.name.text().strip()
        if not NAME_PATTERN.match(name):
            return "use letters, digits, '.', '_' or '-' (at most 64 characters)"
        if RunDir(self.workspace / name).exists():
            return f"a run called {name!r} already exists in {self.workspace}"
        return None

    def isComplete(self) -> bool:
        return self.name_problem() is None

    def apply(self, config: RunConfig) -> RunConfig:
        """`config` with the form's values."""
        return config.replace(
            model={"embedding_dim": self.dim.value(), "temperature": self.temperature.value(),
                   "learnable_temperature": self.learnable.isChecked()},
            optim={"lr": self.lr.value(), "weight_decay": self.weight_decay.value()},
            trainer={"batch_size": self.batch.value(), "max_epochs": self.epochs.value(),
                     "precision": self.precision.currentText()},
        )
