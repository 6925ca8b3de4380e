"""`astroclip import FILE --out PROJECT`: a published embeddings file becomes an explorer project.

PROJECT/embeddings.h5 is written in the store layout (`store.py`) from the file's embedding
columns (L2-normalised here; the published files are not), ids, redshifts and, for the official
PROVABGS table, the four properties; PROJECT/project.yaml names it. The published files have no
train/test split: a fixed 80/20 split by row (seeded) is recorded so k-NN evaluation works.
Rows without a finite embedding get `valid = False`. The store records no dataset (the explorer
shows the map, search and properties, not images or spectra) and keeps the source path in the
attribute `imported_from`. With `umap=True` the image map is computed
too (`projection.project_store`).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.atomic import atomic_path
from astroclip_engine.errors import DataFormatError
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.knn import l2_normalize
from astroclip_engine.project import Project
from astroclip_engine.published_embeddings import (
    open_published,
    property_columns,
    read_column,
)
from astroclip_engine.store import SPLIT_CODES, StoreInfo, write_store

STORE_NAME = "embeddings.h5"
TEST_FRACTION = 0.2
SPLIT_SEED = 0


def import_embeddings(source: str | Path, out: str | Path, *, umap: bool = False,
                      reporter: Reporter | None = None,
                      cancel: CancelToken | None = None) -> Project:
    """Write PROJECT (store + project.yaml) from a published embeddings file; returns it."""
    report = reporter or null_reporter
    source = Path(source)
    data = open_published(source)
    report(Progress("import", 0, 3, f"reading {data.rows} rows ({data.layout})"))
    columns = {role: np.asarray(read_column(data, role)) for role in ("image", "spectrum")}
    n = data.rows
    targetid = (np.asarray(read_column(data, "targetid"), dtype=np.int64)
                if "targetid" in data.columns else np.arange(n, dtype=np.int64))
    redshift = (np.asarray(read_column(data, "redshift"), dtype=np.float32)
                if "redshift" in data.columns else np.full(n, np.nan, np.float32))
    for name, values in (("targetid", targetid), ("redshift", redshift)):
        if values.shape != (n,):
            raise DataFormatError(source, f"{name} has shape {values.shape}, expected ({n},)",
                                  data.columns.get(name))
    if cancel is not None:
        cancel.raise_if_cancelled()
    valid = np.ones(n, dtype=bool)
    for name, values in columns.items():
        values = values.astype(np.float32)
        finite = np.isfinite(values).all(axis=1) & (np.abs(values).sum(axis=1) > 0)
        valid &= finite
        columns[name] = l2_normalize(np.where(finite[:, None], values, 0.0)).astype(np.float32)
    split = np.full(n, SPLIT_CODES["train"], dtype=np.int8)
    test = np.random.default_rng(SPLIT_SEED).permutation(n)[: round(n * TEST_FRACTION)]
    split[test] = SPLIT_CODES["test"]
    report(Progress("import", 1, 3, "writing the store"))
    root = Path(out).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    store = root / STORE_NAME
    info = StoreInfo(embedding_dim=data.embedding_dim, checkpoint=f"published:{source.name}",
                     checkpoint_sha256="", dataset_path="")  # no paired dataset to show
    with atomic_path(store) as tmp:
        write_store(tmp, image=columns["image"], spectrum=columns["spectrum"], targetid=targetid,
                    row=np.arange(n, dtype=np.int64), split=split, redshift=redshift,
                    properties=property_columns(data), info=info, valid=valid)
        with h5py.File(tmp, "r+") as f:
            f.attrs["imported_from"] = str(source.resolve())
            f.attrs["imported_layout"] = data.layout
    if umap:
        from astroclip_engine.projection import project_store

        report(Progress("import", 2, 3, "UMAP of the image embeddings"))
        project_store(store, "image", cancel=cancel)
    project = Project(root=root, name=f"{source.stem} (imported)", store=store)
    project.save()
    report(Progress("import", 3, 3, "done"))
    return project
