"""UMAP backend choice: cuML's GPU UMAP when the optional extra is importable (a fake cuML
module here: cuML is not installed), umap-learn otherwise, with a note saying which ran."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from astroclip_engine import projection
from astroclip_engine.jobs import Progress
from astroclip_engine.projection import UmapParams


class FakeReducer:
    """Records its arguments; returns the first two columns as the 'map'."""

    calls: ClassVar[list[dict[str, object]]] = []
    fail: Exception | None = None

    def __init__(self, **kwargs: object) -> None:
        self.kwargs = kwargs

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        type(self).calls.append(self.kwargs)
        if type(self).fail is not None:
            raise type(self).fail
        return x[:, :2].astype(np.float64)


@pytest.fixture
def fake_umaps(monkeypatch: pytest.MonkeyPatch) -> tuple[type[FakeReducer], type[FakeReducer]]:
    """(fake cuML UMAP, fake umap-learn UMAP), both installed for the test."""
    import umap

    gpu = type("GpuUMAP", (FakeReducer,), {"calls": [], "fail": None})
    cpu = type("CpuUMAP", (FakeReducer,), {"calls": [], "fail": None})
    cuml = types.ModuleType("cuml")
    manifold = types.ModuleType("cuml.manifold")
    manifold.UMAP = gpu  # type: ignore[attr-defined]
    cuml.manifold = manifold  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cuml", cuml)
    monkeypatch.setitem(sys.modules, "cuml.manifold", manifold)
    monkeypatch.setattr(umap, "UMAP", cpu)
    monkeypatch.delenv("ASTROCLIP_UMAP_BACKEND", raising=False)
    return gpu, cpu


def _x(n: int = 40) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32)


def test_cuml_runs_unseeded_maps_when_present(fake_umaps) -> None:
    gpu, cpu = fake_umaps
    assert projection.umap_backend(None).note == "cuML on the GPU"
    coords = projection.fit_umap(_x(), UmapParams(n_neighbors=10))
    assert coords.dtype == np.float32 and coords.shape == (40, 2)
    assert len(gpu.calls) == 1 and not cpu.calls
    assert gpu.calls[0]["n_neighbors"] == 10 and gpu.calls[0]["n_components"] == 2


def test_seeded_maps_and_the_cpu_switch_stay_on_umap_learn(fake_umaps,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    gpu, cpu = fake_umaps
    projection.fit_umap(_x(), UmapParams(n_neighbors=10, seed=3))
    assert cpu.calls[-1]["random_state"] == 3 and cpu.calls[-1]["n_jobs"] == 1
    monkeypatch.setenv("ASTROCLIP_UMAP_BACKEND", "cpu")
    assert projection.cuml_umap_class() is None
    projection.fit_umap(_x(), UmapParams(n_neighbors=10))
    assert cpu.calls[-1]["random_state"] is None and cpu.calls[-1]["n_jobs"] == -1
    assert not gpu.calls


def test_absent_cuml_falls_back_to_umap_learn(fake_umaps, monkeypatch: pytest.MonkeyPatch) -> None:
    gpu, cpu = fake_umaps
    monkeypatch.setitem(sys.modules, "cuml", None)  # import cuml -> ModuleNotFoundError
    monkeypatch.setitem(sys.modules, "cuml.manifold", None)
    backend = projection.umap_backend(None)
    assert backend.gpu_class is None and backend.note == "umap-learn on every core"
    projection.fit_umap(_x(), UmapParams(n_neighbors=10))
    assert len(cpu.calls) == 1 and cpu.calls[0]["n_jobs"] == -1 and not gpu.calls


def test_unusable_cuml_falls_back_with_a_message(fake_umaps) -> None:
    gpu, cpu = fake_umaps
    gpu.fail = RuntimeError("no CUDA-capable device is detected")
    with pytest.warns(RuntimeWarning, match="cuML UMAP failed .*no CUDA-capable device.*"
                                            "umap-learn"):
        coords = projection.fit_umap(_x(), UmapParams(n_neighbors=10))
    assert coords.shape == (40, 2) and len(gpu.calls) == 1 and len(cpu.calls) == 1


def test_broken_cuml_import_is_named_in_the_note(fake_umaps,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    broken = types.ModuleType("cuml.manifold")

    def missing(name: str) -> object:
        raise ImportError("libcudart.so.12: cannot open shared object file")

    broken.__getattr__ = missing  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "cuml.manifold", broken)
    backend = projection.umap_backend(None)
    assert backend.gpu_class is None
    assert backend.note.startswith("umap-learn on every core (cuML unusable: ")
    assert "libcudart" in backend.note


def test_project_store_reports_the_backend(fake_umaps, tmp_path: Path) -> None:
    from tests.engine.test_science_search import make_store

    path = make_store(tmp_path / "emb.h5", n=60, dim=8)
    events: list[Progress] = []
    projection.project_store(path, "image", UmapParams(n_neighbors=10), reporter=events.append)
    assert any(e.message == "UMAP of 60 x 8 (cuML on the GPU)" for e in events)
