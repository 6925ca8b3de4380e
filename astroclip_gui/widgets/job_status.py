"""Status-bar job indicator: message, progress bar and a cancel button."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from astroclip_engine.jobs import Progress
from astroclip_gui.workers import Job, JobRunner, progress_text


class JobStatusWidget(QWidget):
    """Shows the newest running job; cancel stops every running job."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("✕")
        self.cancel_button.setToolTip("Cancel the running job")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(runner.cancel_all)
        runner.jobStarted.connect(self._started)
        runner.jobProgress.connect(self._progress)
        runner.jobEnded.connect(self._ended)
        self.setVisible(False)

    def _started(self, job: Job) -> None:
        self.label.setText(job.title)
        self.bar.setRange(0, 0)
        self.setVisible(True)

    def _progress(self, job: Job, progress: Progress) -> None:
        self.label.setText(progress_text(progress))
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.current)

    def _ended(self, job: Job) -> None:
        if not self.runner.active:
            self.setVisible(False)
