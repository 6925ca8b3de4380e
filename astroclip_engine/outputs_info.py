"""Summaries of the files and folders the project writes, for `astroclip info`: embeddings
stores, run directories, folders of runs (sweeps), run configurations, project folders,
evaluation reports and spectrum stddev files. `file_info.py` decides which one a path is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from astroclip_engine.config import RunConfig
from astroclip_engine.errors import DataFormatError

EVALUATION_REPORT = "report.json"


def describe_store(path: Path) -> dict[str, Any]:
    """An embeddings store (`astroclip embed`), or one still being written (`.partial`)."""
    import h5py

    from astroclip_engine.store import EmbeddingStore

    with h5py.File(path, "r") as f:
        attrs = dict(f.attrs)
    if path.suffix == ".partial" or \
            int(attrs.get("rows_done", 0)) < int(attrs.get("n_rows", 0)):  # embed unfinished
        return {"path": str(path), "kind": "embeddings store (partial)",
                "rows_done": int(attrs["rows_done"]), "rows": int(attrs.get("n_rows", 0)),
                "embedding_dim": int(attrs.get("embedding_dim", 0)),
                "checkpoint": str(attrs.get("checkpoint", "")),
                "dataset": str(attrs.get("dataset_path", ""))}
    with EmbeddingStore(path) as store:
        properties = store.properties()
        clusters = {name: _cluster_count(store.clusters(name)) for name in store.cluster_names()}
        return {
            "path": str(path), "kind": "embeddings store",
            "galaxies": len(store), "embedding_dim": store.info.embedding_dim,
            "train": int((store.split == 0).sum()), "test": int((store.split == 1).sum()),
            "valid": int(store.valid.sum()),
            "checkpoint": store.info.checkpoint, "dataset": store.info.dataset_path,
            "created": str(attrs.get("created", "")) or None,
            "properties": {name: int(np.isfinite(v).sum()) for name, v in properties.items()},
            "umap": [m for m in ("image", "spectrum", "joint") if store.umap(m) is not None],
            "clusters": clusters,
        }


def _cluster_count(labels: np.ndarray) -> int:
    return len(np.unique(labels[labels >= 0]))


def describe_run(path: Path) -> dict[str, Any]:
    """A run directory (`astroclip train` / `pretrain`): configuration, state, checkpoints."""
    from astroclip_engine.training.run_dir import RunDir

    run = RunDir(path)
    config = _read_config(run.config_path)
    status = run.read_status()
    events = run.read_progress()
    checkpoints = {p.name: f"{p.stat().st_size / 1e6:.1f} MB"
                   for p in (run.best_checkpoint, run.last_checkpoint) if p.is_file()}
    return {
        "path": str(path), "kind": "run directory",
        "name": config.name, "task": config.model.task,
        "model": _model_summary(config), "data": config.data.path,
        "state": status.state, "epoch": status.epoch, "max_epochs": config.trainer.max_epochs,
        "step": status.step, "best_val_loss": status.best_val_loss,
        "r2": dict(status.r2), "message": status.message or None,
        "progress_events": len(events),
        "checkpoints": checkpoints or None,
    }


def describe_runs_folder(path: Path) -> dict[str, Any]:
    """A folder of run directories (a sweep's output or a project's runs/)."""
    from astroclip_engine.training.run_dir import list_runs

    runs = []
    for run in sorted(list_runs(path), key=lambda r: r.path.name):
        status = run.read_status()
        config = _read_config(run.config_path)
        runs.append({"run": run.path.name, "task": config.model.task,
                     "embedding_dim": config.model.embedding_dim, "state": status.state,
                     "epoch": status.epoch, "best_val_loss": status.best_val_loss})
    return {"path": str(path), "kind": "folder of runs", "runs": runs}


def describe_config(path: Path) -> dict[str, Any]:
    """A run configuration or preset (YAML)."""
    config = _read_config(path)
    return {"path": str(path), "kind": "run configuration", "name": config.name,
            "task": config.model.task, "model": _model_summary(config),
            "data": config.data.path or None, "max_epochs": config.trainer.max_epochs,
            "batch_size": config.trainer.batch_size, "learning_rate": config.optim.lr}


def _read_config(path: Path) -> RunConfig:
    return RunConfig.from_yaml(path)


def _model_summary(config: RunConfig) -> dict[str, Any]:
    model = config.model
    return {"family": model.family, "image_encoder": model.image_encoder,
            "spectrum_encoder": model.spectrum_encoder, "embedding_dim": model.embedding_dim}


def describe_project(path: Path) -> dict[str, Any]:
    """A project folder or its project.yaml: its parts, and whether each exists."""
    from astroclip_engine.project import Project

    project = Project.load(path)
    parts = {"store": project.store, "dataset": project.dataset, "runs_dir": project.runs_dir,
             "checkpoint": project.checkpoint, "evaluation": project.evaluation}
    info: dict[str, Any] = {"path": str(project.root), "kind": "project", "name": project.name}
    for label, part in parts.items():
        info[label] = None if part is None else (
            str(part) if part.exists() else f"{part} (missing)")
    if project.store.is_file():
        from astroclip_engine.store import EmbeddingStore

        with EmbeddingStore(project.store) as store:
            info["galaxies"] = len(store)
            info["embedding_dim"] = store.info.embedding_dim
    if project.runs_dir is not None and project.runs_dir.is_dir():
        info["runs"] = describe_runs_folder(project.runs_dir)["runs"]
    return info


def describe_evaluation(path: Path) -> dict[str, Any]:
    """An evaluation folder (`astroclip evaluate`) or its report.json: R^2 tables in short."""
    report_path = path / EVALUATION_REPORT if path.is_dir() else path.parent / EVALUATION_REPORT
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFormatError(report_path, f"cannot read the evaluation report ({exc})") from exc
    if not isinstance(report, dict) or "zero_shot" not in report:
        raise DataFormatError(report_path, "not an evaluation report of `astroclip evaluate` "
                              "(no 'zero_shot' results)")
    return {
        "path": str(report_path.parent), "kind": "evaluation report",
        "store": report.get("store"), "checkpoint": report.get("checkpoint"),
        "embedding_dim": report.get("embedding_dim"),
        "train": report.get("n_train"), "test": report.get("n_test"),
        "targets": report.get("targets"),
        "zero_shot_r2": _r2_table(report.get("zero_shot", [])),
        "few_shot_r2": _r2_table(report.get("few_shot", [])),
        "baselines_r2": _r2_table(report.get("baselines", [])),
        "retrieval": report.get("retrieval") or None,
        "plots": report.get("plots") or None,
    }


def _r2_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows (method, query, key, target, r2) pivoted to one row per method and direction."""
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        query, key = row.get("query") or "", row.get("key") or ""
        direction = query if query == key else f"{query}->{key}"
        label = f"{row.get('method')} {direction}".strip()
        value = row.get("r2")
        table.setdefault(label, {"method": label})[str(row.get("target"))] = (
            None if value is None else round(float(value), 3))
    return list(table.values())


def describe_stddev(path: Path) -> dict[str, Any]:
    """A spectrum stddev file (`astroclip stddev`)."""
    from astroclip_engine.data.stddev import load_spectrum_stddev

    values = load_spectrum_stddev(path)
    return {"path": str(path), "kind": "spectrum stddev", "bins": int(values.size),
            "median": float(np.median(values)), "min": float(values.min()),
            "max": float(values.max()), "zero_bins": int((values == 0).sum())}
