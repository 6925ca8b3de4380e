"""The training wizard: data -> encoders -> model -> hardware -> review, then start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QWidget, QWizard

from astroclip_engine.config import load_preset
from astroclip_gui.engine_process import EngineJobs
from astroclip_gui.style import DISABLED_STYLE
from astroclip_gui.training.request import TrainRequest
from astroclip_gui.training.wizard.data_page import DataPage
from astroclip_gui.training.wizard.encoders_page import EncodersPage
from astroclip_gui.training.wizard.hardware_page import HardwarePage
from astroclip_gui.training.wizard.model_page import ModelPage
from astroclip_gui.training.wizard.review_page import ReviewPage


class TrainingWizard(QWizard):
    """Collects a TrainRequest; emits start_requested(request) when the user starts it."""

    start_requested = Signal(object)

    def __init__(self, workspace: str | Path, demo_path: str | Path | None = None,
                 demo_n: int = 4000, demo_size: int = 64, parent: QWidget | None = None,
                 jobs: EngineJobs | None = None) -> None:
        """`jobs` starts the pages' engine commands (the training controller's, or the
        wizard's own)."""
        super().__init__(parent)
        self.jobs = jobs or EngineJobs(self)
        self.workspace = Path(workspace).expanduser().absolute()
        self.setWindowTitle("New training run")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Start training")
        demo = Path(demo_path) if demo_path else self.workspace / "demo" / "demo_mock.h5"
        self.data_page = DataPage(demo, self.jobs, demo_n, demo_size)
        self.encoders_page = EncodersPage(self.jobs)
        self.model_page = ModelPage(self.workspace)
        self.hardware_page = HardwarePage(self.request, self.jobs)
        self.review_page = ReviewPage(self.request, self.hardware_page.slurm.isChecked)
        for page in (self.data_page, self.encoders_page, self.model_page, self.hardware_page,
                     self.review_page):
            self.addPage(page)
        self.model_page.precision.currentTextChanged.connect(
            lambda _t: self.hardware_page._update_hint())
        self.hardware_page.where.idToggled.connect(lambda _i, _c: self._finish_text())
        self.setStyleSheet(DISABLED_STYLE)
        self.resize(QSize(780, 680))

    def _finish_text(self) -> None:
        slurm = self.hardware_page.slurm.isChecked()
        self.setButtonText(QWizard.WizardButton.FinishButton,
                           "Close" if slurm else "Start training")

    def request(self) -> TrainRequest:
        """The run as currently configured in the pages."""
        preset = self.model_page.preset.currentText()
        config = load_preset(preset)
        config = self.encoders_page.apply(config)
        config = self.model_page.apply(config)
        config = self.hardware_page.apply(config)
        properties = self.data_page.properties.path or None
        data = Path(self.data_page.data.path).expanduser().absolute()
        if properties:
            properties = str(Path(properties).expanduser().absolute())
        config = config.replace(data={"path": str(data), "properties": properties})
        return TrainRequest(self.model_page.name.text().strip(), self.workspace, data, config,
                            preset)

    def accept(self) -> None:
        if not self.hardware_page.slurm.isChecked():
            self.start_requested.emit(self.request())
        super().accept()

