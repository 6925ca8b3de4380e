"""The training controller analyses a finished run (embed -> UMAP maps -> evaluate) in child
processes, and the runs panel shows it and offers the store to the explorer."""

from __future__ import annotations

from pathlib import Path

import pytest

from astroclip_engine.config import load_preset
from astroclip_engine.store import EmbeddingStore
from astroclip_gui.training.controller import install_training_ui
from astroclip_gui.training.request import TrainRequest

RUN_MS = 300000


@pytest.mark.slow
def test_controller_analyses_a_finished_run(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMainWindow

    from astroclip_engine.data.mock import generate_mock

    data = generate_mock(tmp_path / "mock.h5", n=120, seed=11, image_size=32)
    config = load_preset("demo-cpu").replace(
        model={"embedding_dim": 8}, trainer={"max_epochs": 1, "batch_size": 16},
        data={"num_workers": 0})
    request = TrainRequest("tiny", tmp_path / "runs", data, config, "demo-cpu")
    window = QMainWindow()
    qtbot.addWidget(window)
    opened: list[Path] = []
    window.open_project = opened.append
    controller = install_training_ui(window, tmp_path / "runs")
    process = controller.start(request)
    with qtbot.waitSignal(process.finished, timeout=RUN_MS) as blocker:
        pass
    assert blocker.args == ["finished"], "\n".join(process.tail)

    labels: list[str] = []
    controller.analysis.step_started.connect(lambda i, n, label: labels.append(label))
    with qtbot.waitSignal(controller.runs.analysis_finished, timeout=RUN_MS) as blocker:
        controller.runs.analyse(request.run_dir)  # the panel asks, the controller runs it
        assert controller.analysis.is_running() and not controller.runs.analysis_bar.isHidden()
    assert blocker.args[0], blocker.args[1]
    assert labels == ["embeddings", "UMAP (joint)", "UMAP (image)", "UMAP (spectrum)",
                      "evaluation"]
    store = request.run_dir / "embeddings.h5"
    with EmbeddingStore(store) as opened_store:
        assert all(opened_store.umap(m) is not None for m in ("joint", "image", "spectrum"))
    assert (request.run_dir / "evaluation" / "report.json").exists()
    assert opened == [store] and controller.runs.analysis_bar.isHidden()
