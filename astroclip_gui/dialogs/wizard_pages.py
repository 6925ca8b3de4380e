"""Training wizard pages 1-3: data, encoders, embedding size and preset."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWizardPage,
)

from astroclip_engine.config import RunConfig, list_presets, load_preset, preset_dir
from astroclip_engine.training.run_dir import RunDir
from astroclip_gui.command_runner import EngineCommand, engine_argv
from astroclip_gui.dialogs.checked_path import CheckedPathField, json_verdict, last_error
from astroclip_gui.dialogs.data_summary import info_verdict, summary_html

PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "64-true")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_argv(kind: str):
    """argv builder for `python -m astroclip_gui.checks KIND PATH`."""
    return lambda path: ["-m", "astroclip_gui.checks", kind, path]


def framed(label: QLabel) -> QFrame:
    """A light box around a summary label."""
    frame = QFrame()
    frame.setObjectName("summaryFrame")
    frame.setStyleSheet("#summaryFrame { border: 1px solid palette(mid); border-radius: 6px; }")
    layout = QVBoxLayout(frame)
    layout.addWidget(label)
    return frame


def preset_description(name: str) -> str:
    """The comment block at the top of a preset's YAML file, as one paragraph."""
    try:
        lines = (preset_dir() / f"{name}.yaml").read_text().splitlines()
    except OSError:
        return ""
    comment = []
    for line in lines:
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    return " ".join(comment)


class DataPage(QWizardPage):
    """Step 1: an HDF5 release file, a parquet folder or the demo mock, checked on the spot."""

    def __init__(self, demo_path: Path, demo_n: int = 4000, demo_size: int = 64) -> None:
        super().__init__()
        self.setTitle("Training data")
        self.setSubTitle("Paired galaxy images and spectra. The file is checked as soon as you "
                         "choose it.")
        self.demo_path, self.demo_n, self.demo_size = Path(demo_path), demo_n, demo_size
        self.kind = QButtonGroup(self)
        self.hdf5 = QRadioButton("AstroCLIP HDF5 file (astroclip_desi.*.h5 or a mock)")
        self.parquet = QRadioButton("Parquet folder (Hugging Face EiffL/AstroCLIP layout)")
        self.demo = QRadioButton(f"The demo data (a mock survey of {demo_n:,} galaxies)")
        for index, button in enumerate((self.hdf5, self.parquet, self.demo)):
            self.kind.addButton(button, index)
        self.data = CheckedPathField(lambda p: engine_argv("info", p, "--json"), info_verdict,
                                     "path to the training data",
                                     file_filter="HDF5 (*.h5 *.hdf5);;All files (*)")
        self.generate = QPushButton("Generate demo data")
        self.generate.clicked.connect(self.generate_demo)
        self.generate_bar = QProgressBar()
        self.generate_bar.setVisible(False)
        self.generate_status = QLabel()
        generate_row = QHBoxLayout()
        generate_row.addWidget(self.generate)
        generate_row.addWidget(self.generate_bar, 1)
        generate_row.addWidget(self.generate_status)
        self.summary = QLabel("Choose a dataset to see its summary.")
        self.summary.setWordWrap(True)
        self.properties = CheckedPathField(check_argv("properties"), json_verdict,
                                           "optional: PROVABGS catalogue (.hdf5 / .fits)",
                                           file_filter="Catalogues (*.hdf5 *.h5 *.fits)")
        layout = QVBoxLayout(self)
        for button in (self.hdf5, self.parquet, self.demo):
            layout.addWidget(button)
        layout.addSpacing(6)
        layout.addWidget(self.data)
        layout.addLayout(generate_row)
        layout.addWidget(framed(self.summary))
        layout.addSpacing(6)
        layout.addWidget(QLabel("<b>Galaxy properties</b> (optional; a "
                                "<i>&lt;stem&gt;.provabgs.hdf5</i> beside the data is joined "
                                "automatically)"))
        layout.addWidget(self.properties)
        layout.addStretch(1)
        self._generator: EngineCommand | None = None
        self.kind.idToggled.connect(self._kind_changed)
        self.data.verdict_changed.connect(self._data_changed)
        self.properties.verdict_changed.connect(self.completeChanged)
        self.hdf5.setChecked(True)

    def _kind_changed(self, index: int, checked: bool) -> None:
        if not checked:
            return
        self.data.directory = index == 1
        self.data.file_filter = "" if index == 1 else "HDF5 (*.h5 *.hdf5);;All files (*)"
        is_demo = index == 2
        self.data.edit.setReadOnly(is_demo)
        self.data.browse.setEnabled(not is_demo)
        self.generate.setVisible(is_demo)
        self.generate_status.setVisible(is_demo)
        if is_demo:
            self.data.set_path(self.demo_path, check=self.demo_path.exists())
            exists = self.demo_path.exists()
            self.generate.setEnabled(not exists)
            self.generate_status.setText("ready" if exists else "not generated yet")
        elif self.data.path == str(self.demo_path):
            self.data.set_path("")

    def generate_demo(self) -> None:
        """`astroclip mock DEMO --n N --seed 0 --size S` in a child process."""
        argv = engine_argv("mock", str(self.demo_path), "--n", str(self.demo_n), "--seed", "0",
                           "--size", str(self.demo_size))
        self.demo_path.parent.mkdir(parents=True, exist_ok=True)
        self._generator = EngineCommand(argv, self)
        self._generator.percent.connect(self.generate_bar.setValue)
        self._generator.done.connect(self._generated)
        self.generate.setEnabled(False)
        self.generate_bar.setVisible(True)
        self.generate_bar.setValue(0)
        self.generate_status.setText("generating…")
        self._generator.start()

    def _generated(self, code: int, _stdout: str, stderr: str) -> None:
        self._generator = None
        self.generate_bar.setVisible(False)
        if code == 0 and self.demo_path.exists():
            self.generate_status.setText("ready")
            self.data.set_path(self.demo_path)
        else:
            self.generate.setEnabled(True)
            self.generate_status.setText(
                f"<span style='color:#cf222e'>failed: {last_error(stderr)}</span>")

    def _data_changed(self) -> None:
        verdict = self.data.verdict
        if self.data.is_ok() and verdict is not None and isinstance(verdict.payload, dict):
            self.summary.setText(summary_html(verdict.payload))
        elif self.data.state == "checking":
            self.summary.setText("Reading the file…")
        else:
            self.summary.setText("Choose a dataset to see its summary.")
        self.completeChanged.emit()

    def info(self) -> dict:
        verdict = self.data.verdict
        return verdict.payload if verdict is not None and verdict.payload else {}

    def isComplete(self) -> bool:
        return self.data.is_ok() and self.properties.state in ("empty", "ok")


class _EncoderChoice(QGroupBox):
    """Pretrained checkpoint (checked on selection) or from scratch, small or full size."""

    def __init__(self, title: str, pretrained: str, check: str, small: str, full: str) -> None:
        super().__init__(title)
        self.group = QButtonGroup(self)
        self.pretrained = QRadioButton(pretrained)
        self.small = QRadioButton(small)
        self.full = QRadioButton(full)
        for index, button in enumerate((self.pretrained, self.small, self.full)):
            self.group.addButton(button, index)
        self.checkpoint = CheckedPathField(check_argv(check), json_verdict, "checkpoint file",
                                           file_filter="Checkpoints (*.ckpt *.pt *.pth)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.pretrained)
        layout.addWidget(self.checkpoint)
        layout.addWidget(self.small)
        layout.addWidget(self.full)
        self.group.idToggled.connect(
            lambda _i, _c: self.checkpoint.setEnabled(self.pretrained.isChecked()))
        self.small.setChecked(True)

    def is_ok(self) -> bool:
        return not self.pretrained.isChecked() or self.checkpoint.is_ok()

    def checkpoint_path(self) -> str | None:
        return self.checkpoint.path if self.pretrained.isChecked() else None


class EncodersPage(QWizardPage):
    """Step 2: pretrained encoders or training from scratch; freeze or fine-tune."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Encoders")
        self.setSubTitle("Start from the published encoders or from scratch. Checkpoints are "
                         "loaded and checked when chosen.")
        self.image = _EncoderChoice(
            "Image encoder", "Pretrained: Stein et al. (2021) MoCo ResNet-50 (resnet50.ckpt)",
            "stein", "From scratch: small ResNet (fast, fine on a CPU)",
            "From scratch: full-size ResNet-50")
        self.spectrum = _EncoderChoice(
            "Spectrum encoder", "Pretrained: spender (Liang && Melchior 2023, desi_edr_galaxy)",
            "spender", "From scratch: small spender (fast, fine on a CPU)",
            "From scratch: full-size spender")
        self.finetune = QRadioButton("Fine-tune everything (the reproduction's default)")
        self.freeze = QRadioButton("Freeze the pretrained backbones, train the heads only")
        self.finetune.setChecked(True)
        mode = QGroupBox("Training")
        mode_layout = QVBoxLayout(mode)
        mode_layout.addWidget(self.finetune)
        mode_layout.addWidget(self.freeze)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image)
        layout.addWidget(self.spectrum)
        layout.addWidget(mode)
        layout.addStretch(1)
        for choice in (self.image, self.spectrum):
            choice.checkpoint.verdict_changed.connect(self.completeChanged)
            choice.group.idToggled.connect(lambda _i, _c: self._update())
        self._update()

    def _update(self) -> None:
        any_pretrained = self.image.pretrained.isChecked() or self.spectrum.pretrained.isChecked()
        self.freeze.setEnabled(any_pretrained)
        if not any_pretrained:
            self.finetune.setChecked(True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.image.is_ok() and self.spectrum.is_ok()

    def apply(self, config: RunConfig) -> RunConfig:
        """`config` with the chosen encoders, checkpoints, freezing and image crop (96 for
        Stein's encoder, 144 for a full-size one from scratch, the preset's otherwise; images
        smaller than the crop are handled by the engine's transforms)."""
        image = "resnet_small" if self.image.small.isChecked() else "resnet50"
        spectrum = "spender_small" if self.spectrum.small.isChecked() else "spender"
        crop = config.model.image_crop
        if image != config.model.image_encoder or self.image.pretrained.isChecked():
            crop = 96 if self.image.pretrained.isChecked() or image == "resnet_small" else 144
        return config.replace(model={
            "image_encoder": image, "spectrum_encoder": spectrum, "image_crop": crop,
            "image_checkpoint": self.image.checkpoint_path(),
            "spectrum_checkpoint": self.spectrum.checkpoint_path(),
            "freeze_backbones": self.freeze.isEnabled() and self.freeze.isChecked(),
        })


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
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(1e-6, 1.0)
        self.lr.setSingleStep(1e-4)
        self.weight_decay = QDoubleSpinBox()
        self.weight_decay.setDecimals(6)
        self.weight_decay.setRange(0.0, 1.0)
        self.weight_decay.setSingleStep(1e-5)
        self.temperature = QDoubleSpinBox()
        self.temperature.setDecimals(3)
        self.temperature.setRange(0.001, 10.0)
        self.temperature.setSingleStep(0.01)
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
