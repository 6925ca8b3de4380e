"""Live view of one training run: loss, learning rate and zero-shot R² curves, progress, log."""

from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from astroclip_engine.modalities import MODALITY_PAIRS
from astroclip_gui.style import DISABLED_STYLE
from astroclip_gui.training.process import TrainingProcess
from astroclip_gui.training.runs import ProgressEvent, RunDir
from astroclip_gui.widgets.plots import DOT, LINE, make_plot, set_title_legend, state_badge

R2_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd")
R2_CURVES = {f"{query}_{key}": (f"{query} → {key}", colour)
             for (query, key), colour in zip(MODALITY_PAIRS, R2_COLOURS, strict=True)}
"""Validation R² curves by metric key: (label, colour)."""
TRAIN_COLOUR, VAL_COLOUR = "#1f77b4", "#d62728"
WHOLE_EPOCH_TICKS = 15
"""Up to this many epochs the R² plot ticks every epoch."""
LR_SCALE = 1e3
"""The learning-rate plot shows lr x 10^3 (short tick labels that leave room for the label)."""
LOG_LINES = 2000


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "ETA –"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"ETA {hours}:{minutes:02d}:{secs:02d}" if hours else f"ETA {minutes}:{secs:02d}"


class _Series:
    """x/y lists behind one curve."""

    def __init__(self) -> None:
        self.x: list[float] = []
        self.y: list[float] = []

    def add(self, x: float, y: float | None) -> None:
        if y is not None and math.isfinite(y):
            self.x.append(x)
            self.y.append(y)

    def truncate(self, x_max: float) -> None:
        keep = [i for i, x in enumerate(self.x) if x <= x_max]
        self.x = [self.x[i] for i in keep]
        self.y = [self.y[i] for i in keep]


class TrainingMonitorWidget(QWidget):
    """Curves, progress and log of a run, live (attach a TrainingProcess) or replayed."""

    open_requested = Signal(object)
    """Path of the run directory whose model should be opened in the explorer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_dir: RunDir | None = None
        self.process: TrainingProcess | None = None
        self.state = "idle"
        self.events_seen = 0
        self._series = {"train": _Series(), "val": _Series(), "lr": _Series()}
        self._series.update({key: _Series() for key in R2_CURVES})
        self._dirty = False
        self._build()
        self.setStyleSheet(DISABLED_STYLE)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(200)
        self._redraw_timer.timeout.connect(self._redraw)
        self._redraw_timer.start()

    # ---- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel("No run")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.badge = QLabel()
        state_badge(self.badge, "idle")
        self.progress = QProgressBar()
        self.progress.setFormat("waiting for the first step")
        self.progress.setTextVisible(True)
        self.eta = QLabel(format_eta(None))
        self.eta.setMinimumWidth(90)
        self.eta.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.cancel_button = QPushButton("Cancel")
        self.resume_button = QPushButton("Resume")
        self.open_button = QPushButton("Open in explorer")
        self.cancel_button.clicked.connect(self._cancel)
        self.resume_button.clicked.connect(self._resume)
        self.open_button.clicked.connect(self._open)

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.badge)
        header.addStretch(1)
        for button in (self.cancel_button, self.resume_button, self.open_button):
            header.addWidget(button)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.eta)

        plots = self._plots()

        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.log.setPlaceholderText("Training log")
        self.log.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.log.setMinimumHeight(110)
        self.log.setMaximumHeight(180)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(progress_row)
        layout.addLayout(plots, 1)
        layout.addWidget(self.log)
        self._update_buttons()

    def _plots(self) -> QGridLayout:
        """Loss (train and validation), learning rate and zero-shot R² plots; legends sit in a
        row under each title, never over the curves."""
        self.loss_plot = make_plot("Contrastive loss", "optimizer step",
                                   "InfoNCE loss (nats)")
        set_title_legend(self.loss_plot, "Contrastive loss (InfoNCE)",
                         [("train (per step)", TRAIN_COLOUR, LINE),
                          ("validation (per epoch)", VAL_COLOUR, DOT)])
        self.train_curve = self.loss_plot.plot(pen=pg.mkPen(TRAIN_COLOUR, width=1.2))
        self.val_curve = self.loss_plot.plot(
            pen=pg.mkPen(VAL_COLOUR, width=2), symbol="o", symbolSize=6,
            symbolBrush=VAL_COLOUR, symbolPen=None)
        self.lr_plot = make_plot("Learning rate", "optimizer step", "learning rate (× 10⁻³)")
        self.lr_curve = self.lr_plot.plot(pen=pg.mkPen("#2ca02c", width=1.5))
        self.r2_plot = make_plot("Zero-shot redshift R²", "epoch",
                                 "R² (1 = exact)")
        set_title_legend(self.r2_plot, "Zero-shot redshift R² (k-NN, validation)",
                         [(label, colour, DOT) for label, colour in R2_CURVES.values()],
                         per_row=2)
        self.r2_curves = {
            key: self.r2_plot.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                                   symbolBrush=colour, symbolPen=None)
            for key, (_label, colour) in R2_CURVES.items()
        }
        plots = QGridLayout()
        plots.addWidget(self.loss_plot, 0, 0, 1, 2)
        plots.addWidget(self.lr_plot, 1, 0)
        plots.addWidget(self.r2_plot, 1, 1)
        plots.setRowStretch(0, 3)
        plots.setRowStretch(1, 2)
        return plots

    # ---- sources -----------------------------------------------------------------------------
    def attach(self, process: TrainingProcess) -> None:
        """Follow a training process live; events already in its progress.jsonl (a resumed or
        running run) are shown first."""
        self.detach()
        self.reset(process.run_dir.path)
        for event in process.run_dir.read_progress():
            self.add_event(event)
        self.process = process
        process.event.connect(self.add_event)
        process.log_line.connect(self.append_log)
        process.finished.connect(self.set_state)
        process.started.connect(self._on_started)
        if process.is_running():
            self.set_state("running")

    def detach(self) -> None:
        """Stop following the current process (it keeps running)."""
        if self.process is None:
            return
        self.process.event.disconnect(self.add_event)
        self.process.log_line.disconnect(self.append_log)
        self.process.finished.disconnect(self.set_state)
        self.process.started.disconnect(self._on_started)
        self.process = None

    def _on_started(self) -> None:
        self.set_state("running")

    def replay(self, run_dir: str | Path) -> None:
        """Show a finished (or running, or failed) run from its progress.jsonl and train.log."""
        self.detach()
        self.reset(run_dir)
        assert self.run_dir is not None
        for event in self.run_dir.read_progress():
            self.add_event(event)
        if self.run_dir.log_path.exists():
            lines = self.run_dir.log_path.read_text(errors="replace").splitlines()
            self.log.setPlainText("\n".join(lines[-LOG_LINES:]))
        status = self.run_dir.read_status()
        self.set_state(status.state)
        if status.state == "failed" and status.message:
            self.append_log(status.message)
        self._redraw()

    def reset(self, run_dir: str | Path) -> None:
        self.run_dir = RunDir(run_dir)
        self.title.setText(self.run_dir.path.name)
        for series in self._series.values():
            series.x, series.y = [], []
        self.events_seen = 0
        self.log.clear()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("waiting for the first step")
        self.eta.setText(format_eta(None))
        self._dirty = True
        self.set_state("idle")

    # ---- updates -----------------------------------------------------------------------------
    def add_event(self, event: ProgressEvent) -> None:
        """Fold one progress event into the curves and the progress bar."""
        self.events_seen += 1
        series = self._series
        if event.event == "start":
            for key in ("train", "val", "lr"):
                series[key].truncate(event.step)
            for key in R2_CURVES:
                series[key].truncate(event.epoch)
        series["train"].add(event.step, event.train_loss if event.event == "step" else None)
        series["lr"].add(event.step, event.lr)
        if event.event == "epoch":  # "end" repeats the last epoch's numbers
            series["val"].add(event.step, event.val_loss)
            for key in R2_CURVES:
                series[key].add(event.epoch, (event.r2 or {}).get(key))
        if event.total_steps:
            self.progress.setRange(0, int(event.total_steps))
            self.progress.setValue(min(int(event.step), int(event.total_steps)))
            self.progress.setFormat(f"epoch {event.epoch} · step {event.step} / "
                                    f"{event.total_steps} (%p%)")
        if event.event == "end":
            self.progress.setValue(self.progress.maximum())
        if event.eta_s is not None or event.event == "end":
            self.eta.setText(format_eta(0.0 if event.event == "end" else event.eta_s))
        if event.event == "error" and event.message:
            self.append_log(f"error: {event.message}")
        self._dirty = True

    def append_log(self, line: str) -> None:
        self.log.appendPlainText(line)

    def set_state(self, state: str) -> None:
        self.state = state
        state_badge(self.badge, state)
        self._update_buttons()

    def curve_points(self, key: str) -> tuple[list[float], list[float]]:
        """The data behind one curve ('train', 'val', 'lr' or an R² key)."""
        return list(self._series[key].x), list(self._series[key].y)

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.train_curve.setData(self._series["train"].x, self._series["train"].y)
        self.val_curve.setData(self._series["val"].x, self._series["val"].y)
        self.lr_curve.setData(self._series["lr"].x, [LR_SCALE * y for y in self._series["lr"].y])
        for key, curve in self.r2_curves.items():
            curve.setData(self._series[key].x, self._series[key].y)
        epochs = max((max(self._series[key].x, default=0) for key in R2_CURVES), default=0)
        axis = self.r2_plot.getAxis("bottom")
        if epochs <= WHOLE_EPOCH_TICKS:  # epochs are whole numbers: no 1.5 ticks
            axis.setTickSpacing(1, 1)
        else:
            axis.setTickSpacing()

    def _update_buttons(self) -> None:
        live = self.process is not None
        self.cancel_button.setEnabled(live and self.state == "running")
        self.resume_button.setEnabled(live and self.state in ("failed", "cancelled"))
        has_model = self.run_dir is not None and (
            self.run_dir.best_checkpoint.exists() or self.run_dir.last_checkpoint.exists())
        self.open_button.setEnabled(self.state == "finished" or
                                    (has_model and self.state != "running"))

    # ---- buttons -----------------------------------------------------------------------------
    def _cancel(self) -> None:
        if self.process is not None:
            self.set_state("cancelling")
            self.process.cancel()

    def _resume(self) -> None:
        if self.process is not None and not self.process.is_running():
            self.process.resume()

    def _open(self) -> None:
        if self.run_dir is not None:
            self.open_requested.emit(self.run_dir.path)
