"""`astroclip info`: decide what a path is, then describe it with the module that knows it.

Kinds: the project's own outputs (project folders and project.yaml, run directories and their
files, folders of runs, run configurations, embeddings stores, evaluation reports, spectrum
stddev files: `outputs_info.py`), model checkpoints of this project, of `astroclip pretrain`
and published ones (`models/checkpoint_info.py`), published embedding files
(`published_embeddings.py`) and data files: HDF5 releases, parquet/Arrow, DESI coadds, Legacy
Survey cutouts, PROVABGS property tables (`data/open.py`). Anything else is refused with an
error naming the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from astroclip_engine import outputs_info
from astroclip_engine.errors import DataFormatError

RUN_FILES = ("config.yaml", "status.json", "progress.jsonl", "train.log")
KNOWN = ("a project (folder or project.yaml), a run directory or one of its files, a folder of "
         "runs, a run configuration (.yaml), an embeddings store, an evaluation report, a "
         "spectrum stddev (.npy), a checkpoint (.ckpt/.pt), a published embeddings file, an "
         "HDF5 release, parquet/Arrow data, a DESI coadd or Legacy Survey cutout (FITS) or a "
         "PROVABGS property table")


def detect_kind(path: str | Path) -> str:
    """One of project, run, runs, evaluation, config, stddev, checkpoint, store,
    published-embeddings, data (the readers of `data/open.py` tell the data format)."""
    path = Path(path)
    if path.is_dir():
        return _folder_kind(path)
    if not path.is_file():
        raise DataFormatError(path, "no such file or folder")
    if path.name == "project.yaml":
        return "project"
    if path.name in RUN_FILES and (path.parent / "config.yaml").is_file():
        return "run"
    if path.name in ("report.json", "report.md") and \
            (path.parent / outputs_info.EVALUATION_REPORT).is_file():
        return "evaluation"
    if path.suffix in (".yaml", ".yml"):
        return "config"
    return _file_kind(path)


def _folder_kind(path: Path) -> str:
    if (path / "project.yaml").is_file():
        return "project"
    if (path / "config.yaml").is_file():
        return "run"
    if (path / outputs_info.EVALUATION_REPORT).is_file():
        return "evaluation"
    if any((child / "config.yaml").is_file() for child in path.iterdir() if child.is_dir()):
        return "runs"
    if (path / "state.json").is_file() or any(path.glob("*.arrow")) or \
            any(path.rglob("*.parquet")):
        return "data"
    raise DataFormatError(path, f"folder of no known kind: expected {KNOWN}")


def _file_kind(path: Path) -> str:
    if zipfile.is_zipfile(path):
        from astroclip_engine.models.checkpoint_info import is_torch_checkpoint

        if is_torch_checkpoint(path):
            return "checkpoint"
    if _is_store(path):
        return "store"
    from astroclip_engine.published_embeddings import detect_embeddings

    if detect_embeddings(path):
        return "published-embeddings"
    if path.suffix == ".npy":
        return "stddev"
    return "data"


def _is_store(path: Path) -> bool:
    import h5py

    from astroclip_engine.store import STORE_FORMAT

    if not h5py.is_hdf5(path):
        return False
    try:
        with h5py.File(path, "r") as f:
            return f.attrs.get("format") == STORE_FORMAT
    except OSError:
        return False


def describe_file(path: str | Path, properties: str | Path | None = None,
                  sample: int | None = None) -> dict[str, Any]:
    """A JSON-serialisable summary of any file or folder `detect_kind` knows."""
    path = Path(path)
    kind = detect_kind(path)
    if kind == "data":
        from astroclip_engine.data.open import describe

        return _data(describe, path, properties, sample)
    describers: dict[str, Callable[[Path], dict[str, Any]]] = {
        "project": outputs_info.describe_project,
        "run": lambda p: outputs_info.describe_run(p if p.is_dir() else p.parent),
        "runs": outputs_info.describe_runs_folder,
        "evaluation": outputs_info.describe_evaluation,
        "config": outputs_info.describe_config,
        "stddev": outputs_info.describe_stddev,
        "store": outputs_info.describe_store,
        "checkpoint": _checkpoint,
        "published-embeddings": _published,
    }
    return describers[kind](path)


def _data(describe: Callable[..., dict[str, Any]], path: Path, properties: str | Path | None,
          sample: int | None) -> dict[str, Any]:
    try:
        return describe(path, properties=properties, sample=sample)
    except DataFormatError as exc:
        if "unrecognised file" in str(exc):  # say every kind `info` knows, not only data
            raise DataFormatError(path, f"file of no known kind: expected {KNOWN}") from exc
        raise


def _checkpoint(path: Path) -> dict[str, Any]:
    from astroclip_engine.models.checkpoint_info import describe_checkpoint

    return describe_checkpoint(path)


def _published(path: Path) -> dict[str, Any]:
    from astroclip_engine.published_embeddings import describe_embeddings

    return describe_embeddings(path)
