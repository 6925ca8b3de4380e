"""The embeddings store: one HDF5 file per (checkpoint, dataset) holding everything the explorer
and the evaluation need.

Layout (format "astroclip-embeddings", version 1):

    /image           float32 (N, D)   L2-normalised image embeddings
    /spectrum        float32 (N, D)   L2-normalised spectrum embeddings
    /targetid        int64   (N,)
    /row             int64   (N,)     row of the galaxy in the source dataset
    /split           int8    (N,)     0 = train, 1 = test
    /redshift        float32 (N,)
    /valid           bool    (N,)     False where the spectrum was all zero (or not finite): such
                                      rows are embedded but left out of search and evaluation by
                                      default; stores without the column count as all valid
    /properties/<p>  float32 (N,)     NaN where unknown (log_mstar, log_z_mw, t_age, log_ssfr, ...;
                                      mag_g/mag_r/mag_z are photometry, not evaluation targets)
    /umap/<m>        float32 (N, 2)   m in image | spectrum | joint; attrs hold the parameters
                                      and `content_sha256` of the input embeddings (the cache key)
    /clusters/<name> int32   (N,)     -1 = noise; attrs hold the method and its parameters
    attrs: format, version, embedding_dim, checkpoint, checkpoint_sha256, dataset_path, created

A store being written by `astroclip embed` lives at `<store>.partial` with the same layout
(datasets preallocated to N rows) plus the attributes `rows_done` and `n_rows`; it is renamed
to `<store>` when complete. Derived results (UMAP, clusters) are added with `update_store`,
which rewrites a copy and renames it over the store, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from astroclip_engine.atomic import atomic_path
from astroclip_engine.errors import StoreError
from astroclip_engine.modalities import MODALITIES, Modality

STORE_FORMAT = "astroclip-embeddings"
STORE_VERSION = 1
SPLIT_CODES = {"train": 0, "test": 1}
COLUMN_KINDS = {"image": "f", "spectrum": "f", "targetid": "iu", "row": "iu", "split": "iu",
                "redshift": "f"}
"""Required datasets and the numpy dtype kinds they may have."""


@dataclass(frozen=True)
class StoreInfo:
    """Provenance of a store, used to refuse mixing stores from different models."""

    embedding_dim: int
    checkpoint: str
    checkpoint_sha256: str
    dataset_path: str


class EmbeddingStore:
    """Read access to an embeddings store; small columns are loaded eagerly, embeddings lazily."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise StoreError(f"{self.path}: no such embeddings store")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise StoreError(f"{self.path}: not a readable HDF5 file ({exc})") from exc
        try:
            self._read_columns()
        except StoreError:
            self._file.close()
            raise
        except Exception as exc:  # a damaged file: h5py raises many kinds of errors
            self._file.close()
            raise StoreError(f"{self.path}: damaged embeddings store ({exc})") from exc
        self._index_of: dict[int, int] | None = None

    def _read_columns(self) -> None:
        """Check the layout and load the small per-galaxy columns."""
        attrs = self._file.attrs
        if attrs.get("format") != STORE_FORMAT:
            raise StoreError(
                f"{self.path}: not an AstroCLIP embeddings store (attribute 'format' is "
                f"{attrs.get('format')!r}, expected {STORE_FORMAT!r}); create one with "
                "`astroclip embed`"
            )
        for key, kind in COLUMN_KINDS.items():
            node = self._file.get(key)
            if not isinstance(node, h5py.Dataset):
                raise StoreError(f"{self.path}: embeddings store lacks dataset '{key}'")
            if node.dtype.kind not in kind:
                raise StoreError(f"{self.path} [{key}]: dtype {node.dtype} is not a "
                                 f"{'n integer' if kind == 'iu' else ' number'} column")
        for key in ("properties", "umap", "clusters"):
            if key in self._file and not isinstance(self._file[key], h5py.Group):
                raise StoreError(f"{self.path} [{key}]: expected a group of columns")
        self.info = StoreInfo(
            embedding_dim=int(attrs["embedding_dim"]),
            checkpoint=str(attrs.get("checkpoint", "")),
            checkpoint_sha256=str(attrs.get("checkpoint_sha256", "")),
            dataset_path=str(attrs.get("dataset_path", "")),
        )
        self.targetids: np.ndarray = self._file["targetid"][:]
        self.rows: np.ndarray = self._file["row"][:]
        self.split: np.ndarray = self._file["split"][:]
        self.redshift: np.ndarray = self._file["redshift"][:]
        self.valid: np.ndarray = (
            self._file["valid"][:].astype(bool) if "valid" in self._file
            else np.ones(len(self.targetids), dtype=bool)
        )
        n = len(self.targetids)
        for name in MODALITIES:
            if self._file[name].shape != (n, self.info.embedding_dim):
                raise StoreError(f"{self.path} [{name}]: shape {self._file[name].shape}, "
                                 f"expected ({n}, {self.info.embedding_dim})")
        columns = {"row": self.rows, "split": self.split, "redshift": self.redshift,
                   "valid": self.valid}
        for key, column in columns.items():
            if len(column) != n:
                raise StoreError(f"{self.path}: column '{key}' does not have {n} rows")

    def __len__(self) -> int:
        return int(self.targetids.shape[0])

    def __enter__(self) -> EmbeddingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file.id.valid:
            self._file.close()

    def embeddings(self, modality: Modality) -> np.ndarray:
        """All (N, D) float32 embeddings of one modality (read into memory)."""
        if modality not in MODALITIES:
            raise StoreError(f"unknown modality {modality!r}; expected one of {MODALITIES}")
        with self._reading(modality):
            return self._file[modality][:]

    def _reading(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Turn h5py's errors on a damaged column into a StoreError naming the store."""
        return _store_reading(self.path, key)

    def index_of(self, targetid: int) -> int:
        """Row of a TARGETID in this store."""
        if self._index_of is None:
            self._index_of = {int(t): i for i, t in enumerate(self.targetids)}
        try:
            return self._index_of[int(targetid)]
        except KeyError:
            raise StoreError(f"{self.path}: TARGETID {targetid} is not in this store") from None

    def property_names(self) -> list[str]:
        group = self._file.get("properties")
        return sorted(group.keys()) if group is not None else []

    def properties(self) -> dict[str, np.ndarray]:
        """Every property column, NaN where unknown (redshift included)."""
        out = {"redshift": self.redshift.astype(np.float32)}
        for name in self.property_names():
            with self._reading(f"properties/{name}"):
                out[name] = np.asarray(self._file["properties"][name][:], dtype=np.float32)
        return out

    def content_sha256(self, modality: Modality) -> str:
        """SHA-256 of one modality's embeddings (identifies the input of derived results)."""
        return array_sha256(self.embeddings(modality))

    def umap(self, modality: str) -> np.ndarray | None:
        key = f"umap/{modality}"
        if key not in self._file:
            return None
        with self._reading(key):
            return np.asarray(self._file[key][:], dtype=np.float32)

    def umap_attrs(self, modality: str) -> dict[str, Any]:
        key = f"umap/{modality}"
        return dict(self._file[key].attrs) if key in self._file else {}

    def cluster_names(self) -> list[str]:
        group = self._file.get("clusters")
        return sorted(group.keys()) if group is not None else []

    def clusters(self, name: str) -> np.ndarray:
        key = f"clusters/{name}"
        if key not in self._file:
            raise StoreError(f"{self.path}: no cluster labels named {name!r}")
        with self._reading(key):
            return np.asarray(self._file[key][:], dtype=np.int32)

    def cluster_attrs(self, name: str) -> dict[str, Any]:
        key = f"clusters/{name}"
        return dict(self._file[key].attrs) if key in self._file else {}


@contextlib.contextmanager
def _store_reading(path: Path, key: str) -> Iterator[None]:
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:  # h5py raises OSError, KeyError, TypeError, ValueError, ...
        raise StoreError(f"{path} [{key}]: damaged embeddings store ({exc})") from exc


def write_store(
    path: str | Path,
    *,
    image: np.ndarray,
    spectrum: np.ndarray,
    targetid: np.ndarray,
    row: np.ndarray,
    split: np.ndarray,
    redshift: np.ndarray,
    properties: Mapping[str, np.ndarray] | None = None,
    info: StoreInfo,
    valid: np.ndarray | None = None,
) -> None:
    """Write a complete store at `path` (callers wrap this in `atomic.atomic_path`)."""
    n = targetid.shape[0]
    for name, array in (("image", image), ("spectrum", spectrum)):
        if array.shape != (n, info.embedding_dim):
            raise StoreError(f"{name} embeddings have shape {array.shape}, expected ({n}, "
                             f"{info.embedding_dim})")
    with h5py.File(path, "w") as f:
        write_attrs(f, info)
        f.create_dataset("image", data=image.astype(np.float32))
        f.create_dataset("spectrum", data=spectrum.astype(np.float32))
        f.create_dataset("targetid", data=targetid.astype(np.int64))
        f.create_dataset("row", data=row.astype(np.int64))
        f.create_dataset("split", data=split.astype(np.int8))
        f.create_dataset("redshift", data=redshift.astype(np.float32))
        f.create_dataset("valid", data=np.ones(n, bool) if valid is None else valid.astype(bool))
        group = f.create_group("properties")
        for name, values in (properties or {}).items():
            group.create_dataset(name, data=np.asarray(values, dtype=np.float32))


def write_attrs(f: h5py.File, info: StoreInfo) -> None:
    """Write the store's identifying attributes (format, version, provenance, time)."""
    f.attrs["format"] = STORE_FORMAT
    f.attrs["version"] = STORE_VERSION
    f.attrs["embedding_dim"] = info.embedding_dim
    f.attrs["checkpoint"] = info.checkpoint
    f.attrs["checkpoint_sha256"] = info.checkpoint_sha256
    f.attrs["dataset_path"] = info.dataset_path
    f.attrs["created"] = datetime.now(UTC).isoformat(timespec="seconds")


def array_sha256(array: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def update_store(
    path: str | Path,
    datasets: Mapping[str, tuple[np.ndarray, Mapping[str, Any]]],
) -> None:
    """Add or replace datasets (e.g. "umap/image": (coords, attrs)) in an existing store.

    Crash safety: the store is copied beside itself, the copy is changed and fsynced, then
    renamed over the original (`atomic.atomic_path`). Readers holding the old file keep a
    consistent view; a crash leaves the original untouched. It costs one copy of the file,
    which is cheap next to the UMAP or clustering that produced the data.
    """
    path = Path(path)
    EmbeddingStore(path).close()  # validates the layout
    with atomic_path(path) as tmp:
        shutil.copyfile(path, tmp)
        with h5py.File(tmp, "r+") as f:
            n = int(f["targetid"].shape[0])
            for key, (data, attrs) in datasets.items():
                if data.shape[0] != n:
                    raise StoreError(f"{path}: '{key}' has {data.shape[0]} rows, store has {n}")
                if key in f:
                    del f[key]
                dataset = f.create_dataset(key, data=data)
                for name, value in attrs.items():
                    dataset.attrs[name] = value
        os.chmod(tmp, path.stat().st_mode & 0o777)


def check_compatible(stores: list[EmbeddingStore]) -> None:
    """Refuse to combine stores made by different checkpoints or embedding sizes."""
    if not stores:
        return
    first = stores[0]
    for other in stores[1:]:
        if other.info.embedding_dim != first.info.embedding_dim:
            raise StoreError(
                f"{other.path} has embedding size {other.info.embedding_dim} but {first.path} "
                f"has {first.info.embedding_dim}: they come from different models"
            )
        if other.info.checkpoint_sha256 != first.info.checkpoint_sha256:
            raise StoreError(
                f"{other.path} and {first.path} were embedded with different checkpoints "
                f"({other.info.checkpoint} vs {first.info.checkpoint})"
            )
