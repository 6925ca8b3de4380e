"""The embeddings store: one HDF5 file per (checkpoint, dataset) holding everything the explorer
and the evaluation need.

Layout (format "astroclip-embeddings", version 1):

    /image           float32 (N, D)   L2-normalised image embeddings
    /spectrum        float32 (N, D)   L2-normalised spectrum embeddings
    /targetid        int64   (N,)
    /row             int64   (N,)     row of the galaxy in the source dataset
    /split           int8    (N,)     0 = train, 1 = test
    /redshift        float32 (N,)
    /properties/<p>  float32 (N,)     NaN where unknown (log_mstar, log_z_mw, t_age, log_ssfr, ...)
    /umap/<m>        float32 (N, 2)   m in image | spectrum | joint; attrs hold the parameters
    /clusters/<name> int32   (N,)     -1 = noise
    attrs: format, version, embedding_dim, checkpoint, checkpoint_sha256, dataset_path, created
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np

from astroclip_engine.errors import StoreError

STORE_FORMAT = "astroclip-embeddings"
STORE_VERSION = 1
Modality = Literal["image", "spectrum"]
MODALITIES: tuple[Modality, ...] = ("image", "spectrum")
SPLIT_CODES = {"train": 0, "test": 1}


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
        attrs = self._file.attrs
        if attrs.get("format") != STORE_FORMAT:
            self._file.close()
            raise StoreError(
                f"{self.path}: not an AstroCLIP embeddings store (attribute 'format' is "
                f"{attrs.get('format')!r}, expected {STORE_FORMAT!r}); create one with "
                "`astroclip embed`"
            )
        for key in ("image", "spectrum", "targetid", "row", "split", "redshift"):
            if key not in self._file:
                self._file.close()
                raise StoreError(f"{self.path}: embeddings store lacks dataset '{key}'")
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
        self._index_of: dict[int, int] | None = None

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
        return self._file[modality][:]

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
            out[name] = self._file["properties"][name][:]
        return out

    def umap(self, modality: str) -> np.ndarray | None:
        key = f"umap/{modality}"
        return self._file[key][:] if key in self._file else None

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
        return self._file[key][:]


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
) -> None:
    """Write a complete store at `path` (callers wrap this in `atomic.atomic_path`)."""
    n = targetid.shape[0]
    for name, array in (("image", image), ("spectrum", spectrum)):
        if array.shape != (n, info.embedding_dim):
            raise StoreError(f"{name} embeddings have shape {array.shape}, expected ({n}, "
                             f"{info.embedding_dim})")
    with h5py.File(path, "w") as f:
        _write_attrs(f, info)
        f.create_dataset("image", data=image.astype(np.float32))
        f.create_dataset("spectrum", data=spectrum.astype(np.float32))
        f.create_dataset("targetid", data=targetid.astype(np.int64))
        f.create_dataset("row", data=row.astype(np.int64))
        f.create_dataset("split", data=split.astype(np.int8))
        f.create_dataset("redshift", data=redshift.astype(np.float32))
        group = f.create_group("properties")
        for name, values in (properties or {}).items():
            group.create_dataset(name, data=np.asarray(values, dtype=np.float32))


def _write_attrs(f: h5py.File, info: StoreInfo) -> None:
    f.attrs["format"] = STORE_FORMAT
    f.attrs["version"] = STORE_VERSION
    f.attrs["embedding_dim"] = info.embedding_dim
    f.attrs["checkpoint"] = info.checkpoint
    f.attrs["checkpoint_sha256"] = info.checkpoint_sha256
    f.attrs["dataset_path"] = info.dataset_path


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
