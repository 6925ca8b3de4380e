"""Training wizard step 1: the training data, checked on the spot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWizardPage,
)

from astroclip_gui.training.wizard.common import (
    check_argv,
    framed,
)
from astroclip_gui.training.wizard.data_summary import info_verdict, summary_html
from astroclip_gui.widgets.checked_path import CheckedPathField, json_verdict, last_error

if TYPE_CHECKING:
    from astroclip_gui.engine_process import EngineJobs, EngineProcess


class DataPage(QWizardPage):
    """Step 1: an HDF5 release file, a parquet folder or the demo mock, checked on the spot."""

    def __init__(self, demo_path: Path, jobs: EngineJobs, demo_n: int = 4000,
                 demo_size: int = 64) -> None:
        super().__init__()
        self.jobs = jobs
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
        self.data = CheckedPathField(lambda p: ["info", p, "--json"], info_verdict,
                                     self.jobs, "path to the training data",
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
        self.properties = CheckedPathField(check_argv("properties"), json_verdict, self.jobs,
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
        self._generator: EngineProcess | None = None
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
        args = ["mock", str(self.demo_path), "--n", str(self.demo_n), "--seed", "0",
                           "--size", str(self.demo_size), "--progress", "json"]
        self.demo_path.parent.mkdir(parents=True, exist_ok=True)
        self.generate.setEnabled(False)
        self.generate_bar.setVisible(True)
        self.generate_bar.setValue(0)
        self.generate_status.setText("generating…")
        self._generator = self.jobs.astroclip(args, self._generated,
                                             self.generate_bar.setValue)

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
