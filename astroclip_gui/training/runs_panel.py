"""Every training run in a workspace folder: status, results, comparison, and one click (or
automatically) from a finished run to an explorer store (embed -> UMAP -> evaluate)."""

from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from astroclip_engine.analysis import REPRODUCIBLE_UMAP_SEED
from astroclip_gui.style import DISABLED_STYLE
from astroclip_gui.training.run_summary import (
    RunSummary,
    summarize,
    val_loss_curve,
)
from astroclip_gui.training.runs import RunDir, list_runs
from astroclip_gui.widgets.plots import DOT, SQUARE, STATE_COLOURS, make_plot, set_title_legend

COLUMNS = ("Run", "Encoders", "D", "Epochs", "Status", "Best val loss", "Zero-shot z R²")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf")


class RunsPanelWidget(QWidget):
    """A table of runs with compare plots and the post-training analysis pipeline."""

    open_in_explorer = Signal(object)
    """Path of an embeddings store ready for the explorer."""
    show_run = Signal(object)
    """Path of a run directory to show in the training monitor."""
    resume_run = Signal(object)
    """Path of a failed or cancelled run directory to continue."""
    analysis_finished = Signal(bool, str)
    analyse_requested = Signal(object, object)
    """Path of a finished run to embed + UMAP + evaluate (the training controller runs it), and
    the UMAP seed (None: unseeded on every core)."""
    cancel_analysis_requested = Signal()

    def __init__(self, workspace: str | Path | None = None, parent: QWidget | None = None,
                 poll_ms: int = 2000) -> None:
        super().__init__(parent)
        self.workspace: Path | None = None
        self.summaries: list[RunSummary] = []
        self._states: dict[Path, str] = {}
        self._auto_done: set[Path] = set()
        self.analysis_busy = False
        self._build()
        self.setStyleSheet(DISABLED_STYLE)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _path: self.refresh())
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        if workspace is not None:
            self.set_workspace(workspace)

    # ---- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.workspace_label = QLabel("No workspace")
        self.workspace_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        change = QPushButton("Workspace…")
        change.clicked.connect(self._choose_workspace)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Runs in</b>"))
        top.addWidget(self.workspace_label, 1)
        top.addWidget(change)

        self.table = self._table()

        self.show_button = QPushButton("Show in monitor")
        self.resume_button = QPushButton("Resume")
        self.analyse_button = QPushButton("Embed + UMAP + evaluate → explorer")
        self.auto_check = QCheckBox("Automatically when a run finishes")
        self.reproducible_check = QCheckBox("Reproducible map (seeded, slower)")
        self.reproducible_check.setToolTip(
            f"UMAP with a fixed seed (astroclip umap --seed {REPRODUCIBLE_UMAP_SEED}): the same "
            "map every time, but on one core. Unchecked: every core, maps differ slightly "
            "from run to run.")
        self.show_button.clicked.connect(self._show_selected)
        self.resume_button.clicked.connect(self._resume_selected)
        self.analyse_button.clicked.connect(self._analyse_selected)
        actions = QHBoxLayout()
        for widget in (self.show_button, self.resume_button, self.analyse_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.reproducible_check)
        actions.addWidget(self.auto_check)

        self.analysis_label = QLabel("")
        self.analysis_bar = QProgressBar()
        self.analysis_bar.setVisible(False)
        self.analysis_cancel = QPushButton("Stop")
        self.analysis_cancel.setVisible(False)
        self.analysis_cancel.clicked.connect(self.cancel_analysis)
        analysis = QHBoxLayout()
        analysis.addWidget(self.analysis_label)
        analysis.addWidget(self.analysis_bar, 1)
        analysis.addWidget(self.analysis_cancel)

        plots = self._plots()

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(top)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addLayout(actions)
        upper_layout.addLayout(analysis)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(plots)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._selection_changed()

    def _table(self) -> QTableWidget:
        """The runs table: one row a run, selectable by rows."""
        table = QTableWidget(0, len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.itemSelectionChanged.connect(self._selection_changed)
        table.cellDoubleClicked.connect(lambda row, _c: self._show_selected())
        return table

    def _plots(self) -> QWidget:
        """Validation loss per run, and zero-shot R² against embedding size."""
        self.loss_plot = make_plot("Validation loss", "epoch", "InfoNCE loss (nats)")
        self.r2_plot = make_plot("Zero-shot redshift R² vs embedding size", "embedding size D",
                                 "R² (1 = exact)")
        self.r2_plot.getAxis("bottom").setTicks([[(i, str(2**i)) for i in range(1, 10)]])
        self.r2_plot.setXRange(0.5, 9.5)
        plots = QWidget()
        plots_layout = QHBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addWidget(self.loss_plot)
        plots_layout.addWidget(self.r2_plot)
        return plots

    # ---- workspace and refresh ------------------------------------------------------------------
    def set_workspace(self, workspace: str | Path) -> None:
        self.workspace = Path(workspace)
        self.workspace.mkdir(parents=True, exist_ok=True)
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())
        self._watcher.addPath(str(self.workspace))
        self.workspace_label.setText(str(self.workspace))
        self._states.clear()
        self.refresh()

    def _choose_workspace(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Workspace folder",
                                                  str(self.workspace or Path.home()))
        if folder:
            self.set_workspace(folder)

    def refresh(self) -> None:
        """Re-read every run (cheap: two small files each); redraw only what changed."""
        if self.workspace is None:
            return
        summaries = [summarize(run) for run in list_runs(self.workspace)]
        for summary in summaries:
            previous = self._states.get(summary.path)
            if previous is not None and previous != "finished" and summary.state == "finished":
                self.auto_analyse(summary.path)
            self._states[summary.path] = summary.state
        if [s.key() for s in summaries] == [s.key() for s in self.summaries]:
            return
        selected = {s.path for s in self.selected()}
        self.summaries = summaries
        self._fill_table(selected)

    def _fill_table(self, selected: set[Path]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.summaries))
        for row, summary in enumerate(self.summaries):
            values = (summary.name, summary.encoders, str(summary.embedding_dim or "?"),
                      summary.epochs_text, summary.state, summary.loss_text, summary.r2_text)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column in (2, 3, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                if column == 4:
                    item.setForeground(QColor(STATE_COLOURS.get(summary.state, "#6e7781")))
                    if summary.message:
                        item.setToolTip(summary.message)
                self.table.setItem(row, column, item)
            if summary.path in selected:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self._selection_changed()

    # ---- selection and comparison ---------------------------------------------------------------
    def selected(self) -> list[RunSummary]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.summaries[row] for row in rows if row < len(self.summaries)]

    def select_run(self, path: str | Path) -> None:
        for row, summary in enumerate(self.summaries):
            if summary.path == Path(path):
                self.table.selectRow(row)

    def _selection_changed(self) -> None:
        chosen = self.selected()
        one = chosen[0] if len(chosen) == 1 else None
        self.show_button.setEnabled(one is not None)
        self.resume_button.setEnabled(one is not None and one.state in ("failed", "cancelled"))
        busy = self.analysis_busy
        self.analyse_button.setEnabled(not busy and one is not None and one.state == "finished"
                                       and not one.pretraining)
        self._plot_comparison(chosen or self.summaries[:1])

    def _plot_comparison(self, runs: list[RunSummary]) -> None:
        """Legends go in a row under each title, not over the curves."""
        self.loss_plot.clear()
        self.r2_plot.clear()
        loss_entries, r2_entries = [], []
        for index, summary in enumerate(runs):
            xs, ys = val_loss_curve(RunDir(summary.path))
            colour = PALETTE[index % len(PALETTE)]
            self.loss_plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                                symbolBrush=colour, symbolPen=None, name=summary.name)
            loss_entries.append((summary.name, colour, DOT))
        for key, label, colour in (("image_image", "image", "#1f77b4"),
                                   ("spectrum_spectrum", "spectrum", "#ff7f0e")):
            points = sorted((math.log2(s.embedding_dim), s.r2[key]) for s in runs
                            if s.embedding_dim and key in s.r2)
            if points:
                self.r2_plot.plot([p[0] for p in points], [p[1] for p in points],
                                  pen=pg.mkPen(colour, width=2), symbol="s", symbolSize=7,
                                  symbolBrush=colour, symbolPen=None, name=label)
                r2_entries.append((label, colour, SQUARE))
        set_title_legend(self.loss_plot, "Validation loss", loss_entries, per_row=3)
        set_title_legend(self.r2_plot, "Zero-shot redshift R² vs embedding size", r2_entries)

    def _show_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            self.show_run.emit(chosen[0].path)

    def _resume_selected(self) -> None:
        chosen = self.selected()
        if chosen and chosen[0].state in ("failed", "cancelled"):
            self.resume_run.emit(chosen[0].path)

    # ---- analysis pipeline ----------------------------------------------------------------------
    def _analyse_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            self.analyse(chosen[0].path)

    def auto_analyse(self, run_path: str | Path) -> None:
        """Ask for the analysis of a run that just finished, once, if the automatic checkbox is
        on."""
        run_path = Path(run_path)
        if self.auto_check.isChecked() and run_path not in self._auto_done:
            self._auto_done.add(run_path)
            self.analyse(run_path)

    def analyse(self, run_path: str | Path) -> None:
        """Ask the training controller to embed + UMAP + evaluate the run's best model."""
        self.analyse_requested.emit(Path(run_path), self.umap_seed())

    def umap_seed(self) -> int | None:
        """The seed the maps are computed with: fixed when a reproducible map is asked for."""
        return REPRODUCIBLE_UMAP_SEED if self.reproducible_check.isChecked() else None

    def cancel_analysis(self) -> None:
        self.cancel_analysis_requested.emit()

    # ---- the analysis the controller runs ------------------------------------------------------
    def set_analysis_busy(self, busy: bool) -> None:
        self.analysis_busy = busy
        self.analysis_bar.setVisible(busy)
        self.analysis_cancel.setVisible(busy)
        self._selection_changed()

    def show_analysis_step(self, index: int, total: int, label: str) -> None:
        self.analysis_label.setText(f"{label} ({index + 1}/{total})…")
        self.analysis_bar.setRange(0, 100)
        self.analysis_bar.setValue(0)

    def show_analysis_done(self, summary: RunSummary, ok: bool, message: str) -> None:
        if ok:
            self.analysis_label.setText(f"{summary.name}: embeddings ready")
            self.open_in_explorer.emit(summary.store_path)
        else:
            self.analysis_label.setText(f"<span style='color:#cf222e'>{summary.name}: "
                                        f"{message.splitlines()[0]}</span>")
            self.analysis_label.setToolTip(message)
        self.analysis_finished.emit(ok, message)
