"""The post-training analysis of finished runs (embed -> UMAP maps -> evaluate, the engine's
`analysis_steps`), run by the training controller as `astroclip` child processes, one run at a
time; the runs panel only asks for it and shows its progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from astroclip_gui.engine_process import ChainStep, CommandChain, engine_argv
from astroclip_gui.training.run_summary import RunSummary, analysis_commands, summarize
from astroclip_gui.training.runs import RunDir


class AnalysisQueue(QObject):
    """Analyses runs one after another; a run asked for while one is running waits its turn."""

    step_started = Signal(int, int, str)
    """index, number of steps, label."""
    percent = Signal(int)
    busy = Signal(bool)
    finished = Signal(object, bool, str)
    """RunSummary, success, message (the failing step's last error lines)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.chain: CommandChain | None = None
        self._pending: list[tuple[Path, int | None]] = []

    def is_running(self) -> bool:
        return self.chain is not None

    def analyse(self, run_path: str | Path, umap_seed: int | None = None) -> None:
        """Embed + UMAP + evaluate the run's best model in child processes (queued if another
        analysis is running); `umap_seed` makes the maps reproducible (`umap --seed`, slower)."""
        run_path = Path(run_path)
        if self.chain is not None:
            if all(path != run_path for path, _ in self._pending):
                self._pending.append((run_path, umap_seed))
            return
        summary = summarize(RunDir(run_path))
        commands = analysis_commands(RunDir(run_path), summary.data, umap_seed)
        steps = [ChainStep(label, tuple(engine_argv(*args))) for label, args in commands]
        self.chain = CommandChain(steps, self)
        self.chain.step_started.connect(self.step_started)
        self.chain.percent.connect(self.percent)
        self.chain.finished.connect(lambda ok, message: self._done(summary, ok, message))
        self.busy.emit(True)
        self.chain.start()

    def cancel(self) -> None:
        """Stop the running analysis and forget the queued ones."""
        self._pending.clear()
        if self.chain is not None:
            self.chain.cancel()

    def _done(self, summary: RunSummary, ok: bool, message: str) -> None:
        self.chain = None
        self.busy.emit(False)
        self.finished.emit(summary, ok, message)
        if self._pending:
            self.analyse(*self._pending.pop(0))
