"""Training in the main window: the Training menu, the runs dock and the monitor dock.

`install_training_ui(window)` fills `window.training_menu` (created by the explorer's main
window) and wires wizard -> training process -> monitor -> runs panel -> explorer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QDockWidget, QMainWindow, QMenu

from astroclip_gui.engine_process import EngineJobs
from astroclip_gui.training.analysis import AnalysisQueue
from astroclip_gui.training.monitor import TrainingMonitorWidget
from astroclip_gui.training.process import TrainingProcess
from astroclip_gui.training.request import TrainRequest
from astroclip_gui.training.run_summary import resume_args
from astroclip_gui.training.runs import RunDir
from astroclip_gui.training.runs_panel import RunsPanelWidget
from astroclip_gui.training.wizard.dialog import TrainingWizard

SHUTDOWN_WAIT_MS = 15000


def default_workspace() -> Path:
    """Where runs go unless the project names a runs folder."""
    return Path.home() / "AstroCLIP Studio" / "runs"


class TrainingController(QObject):
    """Owns the training processes of this window and connects the training widgets."""

    def __init__(self, window: QMainWindow, workspace: Path) -> None:
        super().__init__(window)
        self.window = window
        self.workspace = workspace
        self.processes: dict[Path, TrainingProcess] = {}
        self.runs = RunsPanelWidget(workspace)
        self.monitor = TrainingMonitorWidget()
        self.wizard: TrainingWizard | None = None
        self.runs_dock = self._dock("Training runs", "dock_training_runs", self.runs)
        self.monitor_dock = self._dock("Training monitor", "dock_training_monitor", self.monitor)
        window.tabifyDockWidget(self.runs_dock, self.monitor_dock)
        self.runs_dock.hide()
        self.monitor_dock.hide()
        self.runs.show_run.connect(self.show_run)
        self.runs.resume_run.connect(self.resume)
        self.runs.open_in_explorer.connect(self.open_in_explorer)
        self.analysis = AnalysisQueue(self)
        self.jobs = EngineJobs(self)
        """Runs the wizard's engine commands (checks, device detection, mock data)."""
        self.runs.analyse_requested.connect(self.analysis.analyse)
        self.runs.cancel_analysis_requested.connect(self.analysis.cancel)
        self.analysis.step_started.connect(self.runs.show_analysis_step)
        self.analysis.percent.connect(self.runs.analysis_bar.setValue)
        self.analysis.busy.connect(self.runs.set_analysis_busy)
        self.analysis.finished.connect(self.runs.show_analysis_done)
        self.monitor.open_requested.connect(self.open_run)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def _dock(self, title: str, name: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        return dock

    # ---- starting and following runs -------------------------------------------------------------
    def new_run(self) -> TrainingWizard:
        """Open the wizard (non-modal); starting it launches the run."""
        self.wizard = TrainingWizard(self.runs.workspace or self.workspace, parent=self.window,
                                     jobs=self.jobs)
        self.wizard.start_requested.connect(self.start)
        self.wizard.show()
        return self.wizard

    def new_pretraining(self) -> QDialog:
        """Open the pretraining dialog (`astroclip pretrain`); starting it launches the run."""
        from astroclip_gui.training.pretrain_dialog import PretrainDialog

        dialog = PretrainDialog(self.runs.workspace or self.workspace, parent=self.window)
        dialog.start_requested.connect(
            lambda args, run_dir: self._launch(TrainingProcess(args, run_dir, self), False))
        dialog.show()
        return dialog

    def start(self, request: TrainRequest) -> TrainingProcess:
        process = TrainingProcess(request.train_args(), request.run_dir, self)
        return self._launch(process, resume=False)

    def resume(self, run_path: str | Path) -> TrainingProcess | None:
        """Continue a failed or cancelled run (`astroclip train ... --resume`)."""
        run = RunDir(run_path)
        process = self.processes.get(run.path)
        if process is None:
            process = TrainingProcess(resume_args(run), run.path, self)
        if process.is_running():
            return process
        return self._launch(process, resume=True)

    def _launch(self, process: TrainingProcess, resume: bool) -> TrainingProcess:
        self.processes[process.run_dir.path] = process
        process.finished.connect(lambda state: self._finished(process, state))
        self.monitor.attach(process)
        process.start(resume=resume)
        self.monitor_dock.show()
        self.monitor_dock.raise_()
        self.runs.refresh()
        return process

    def _finished(self, process: TrainingProcess, state: str) -> None:
        self.runs.refresh()
        if state == "finished" and process.train_args[0] == "train":  # not a pretraining run
            self.runs.auto_analyse(process.run_dir.path)

    def show_run(self, run_path: str | Path) -> None:
        """Follow the run live if this window runs it, else replay it from its files."""
        process = self.processes.get(Path(run_path))
        if process is not None:
            if self.monitor.process is not process:
                self.monitor.attach(process)
        else:
            self.monitor.replay(run_path)
        self.monitor_dock.show()
        self.monitor_dock.raise_()

    def open_run(self, run_path: str | Path) -> None:
        """Open a run's model in the explorer (analysing it first if it has no store yet)."""
        store = Path(run_path) / "embeddings.h5"
        if store.exists():
            self.open_in_explorer(store)
        else:
            self.runs_dock.show()
            self.analysis.analyse(run_path, self.runs.umap_seed())

    def open_in_explorer(self, store: str | Path) -> None:
        opener = getattr(self.window, "open_project", None) or getattr(self.window, "open", None)
        if callable(opener):
            opener(Path(store))

    def shutdown(self) -> None:
        """On quit: cancel running trainings (each saves its last checkpoint) and wait."""
        self.analysis.cancel()
        self.jobs.cancel_all()
        running = [p for p in self.processes.values() if p.is_running()]
        for process in running:
            process.cancel()
        for process in running:
            process.wait(SHUTDOWN_WAIT_MS)


def install_training_ui(window: QMainWindow, workspace: str | Path | None = None
                        ) -> TrainingController:
    """Fill `window.training_menu` and add the runs and monitor docks to the window."""
    controller = TrainingController(window, Path(workspace) if workspace else default_workspace())
    menu: QMenu | None = getattr(window, "training_menu", None)
    if menu is None:
        menu = window.menuBar().addMenu("&Training")
    new_run = QAction("New training run…", window)
    new_run.setShortcut(QKeySequence("Ctrl+Shift+T"))
    new_run.setStatusTip("Configure and start a training run")
    new_run.triggered.connect(controller.new_run)
    pretrain = QAction("Pretrain an encoder…", window)
    pretrain.setStatusTip("Self-supervision of the spectrum (masked modelling) or image (MoCo) "
                          "encoder before the alignment (astroclip pretrain)")
    pretrain.triggered.connect(controller.new_pretraining)
    menu.addAction(new_run)
    menu.addAction(pretrain)
    menu.addSeparator()
    runs_action = controller.runs_dock.toggleViewAction()
    runs_action.setText("Runs panel")
    menu.addAction(runs_action)
    monitor_action = controller.monitor_dock.toggleViewAction()
    monitor_action.setText("Training monitor")
    menu.addAction(monitor_action)
    return controller
