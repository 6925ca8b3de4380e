"""Published embedding files -> an explorer project (`astroclip import FILE --out PROJECT`).

Layouts read (docs/formats.md section "Published embeddings"):
- `hdf5-datasets`: the official `embed_astroclip.py` output and look-alikes, one HDF5 dataset
  per column: image / spectrum embeddings (`image_embeddings`, `astroclip_image_embeddings`...),
  ids (`object_id`, `targetid`), optionally `redshift` / `z` and the raw `image`, `spectrum`;
- `hdf5-table`: the official `provabgs_paired_*_embeddings.hdf5` (astropy table: one compound
  dataset `__astropy_table__` whose fields hold the embeddings, `targetid`, `Z_HP` and the
  PROVABGS properties);
- `npz`: seed B's `embeddings-main.npz` (`im_embeddings`, `spectra` = spectrum *embeddings*,
  `source_spec`, `images`, `redshifts`, `targetid`).

Only the columns a project needs are read: never the images or raw spectra (seed B's file is
12 GB, almost all of it images and spectra). npz members are located in the zip archive and
memory-mapped when stored uncompressed (`np.savez`), read alone otherwise.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from astroclip_engine.errors import DataFormatError

IMAGE_KEYS = ("astroclip_image_embeddings", "image_embeddings", "im_embeddings",
              "image_embedding")
SPECTRUM_KEYS = ("astroclip_spectrum_embeddings", "spectrum_embeddings", "spectra_embeddings",
                 "spectrum_embedding")
NPZ_SPECTRUM_KEYS = ("spectra",)
ID_KEYS = ("targetid", "TARGETID", "object_id")
REDSHIFT_KEYS = ("redshift", "redshifts", "Z_HP", "z", "Z")
TABLE_PATH = "__astropy_table__"
PROPERTY_FIELDS = ("LOG_MSTAR", "Z_MW", "TAGE_MW", "AVG_SFR")
"""Table fields the store properties come from. In the official table Z_MW is already the
natural log (`np.log` in its cross-match script) and its sSFR column is ln(SFR) - ln(Z_MW), so
the store's log_ssfr = log10(AVG_SFR / M*) is recomputed from AVG_SFR and LOG_MSTAR."""


@dataclass
class PublishedEmbeddings:
    """The columns of a published file, read lazily (`arrays` maps column -> array-like)."""

    path: Path
    layout: str
    columns: dict[str, str]
    """role (image, spectrum, targetid, redshift, <property>) -> key in the file"""
    keys: dict[str, tuple[tuple[int, ...], str]] = field(default_factory=dict)
    """every key -> (shape, dtype)"""

    @property
    def rows(self) -> int:
        return self.keys[self.columns["image"]][0][0]

    @property
    def embedding_dim(self) -> int:
        return self.keys[self.columns["image"]][0][1]


def detect_embeddings(path: str | Path) -> str | None:
    """The layout name of a published embeddings file, or None if it is not one."""
    try:
        return _scan(Path(path)).layout
    except (DataFormatError, OSError, KeyError, ValueError, RuntimeError, TypeError):
        return None  # not one (or unreadable): the data readers describe or refuse it


def _scan(path: Path) -> PublishedEmbeddings:
    if not path.is_file():
        raise DataFormatError(path, "no such file")
    if path.suffix == ".npz" or zipfile.is_zipfile(path):
        keys = _npz_headers(path)
        layout, spectrum_keys = "npz", (*SPECTRUM_KEYS, *NPZ_SPECTRUM_KEYS)
    elif h5py.is_hdf5(path):
        keys, layout = _hdf5_keys(path)
        spectrum_keys = SPECTRUM_KEYS
    else:
        raise DataFormatError(path, "neither HDF5 nor npz")
    columns = {}
    for role, options in (("image", IMAGE_KEYS), ("spectrum", spectrum_keys),
                          ("targetid", ID_KEYS), ("redshift", REDSHIFT_KEYS)):
        found = next((k for k in options if k in keys and _fits(role, keys[k][0])), None)
        if found:
            columns[role] = found
    if layout == "hdf5-table":
        columns.update({f: f for f in PROPERTY_FIELDS if f in keys})
    if "image" not in columns or "spectrum" not in columns:
        raise DataFormatError(path, "no image and spectrum embedding columns (expected e.g. "
                                    f"{IMAGE_KEYS[0]} / {SPECTRUM_KEYS[0]})")
    image_shape, spectrum_shape = keys[columns["image"]][0], keys[columns["spectrum"]][0]
    if image_shape != spectrum_shape:
        raise DataFormatError(path, f"image embeddings {image_shape} and spectrum embeddings "
                                    f"{spectrum_shape} differ in shape", columns["spectrum"])
    return PublishedEmbeddings(path, layout, columns, keys)


def _fits(role: str, shape: tuple[int, ...]) -> bool:
    return len(shape) == 2 if role in ("image", "spectrum") else len(shape) == 1


def _hdf5_keys(path: Path) -> tuple[dict[str, tuple[tuple[int, ...], str]], str]:
    with h5py.File(path, "r") as f:
        table = f.get(TABLE_PATH)
        if isinstance(table, h5py.Dataset) and table.dtype.names:
            keys = {name: ((table.shape[0], *table.dtype[name].shape), str(table.dtype[name].base))
                    for name in table.dtype.names}
            return keys, "hdf5-table"
        keys = {name: (tuple(item.shape), str(item.dtype)) for name, item in f.items()
                if isinstance(item, h5py.Dataset)}
        return keys, "hdf5-datasets"


def _npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], str]]:
    keys = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as handle:
                    shape, _order, dtype = _npy_header(handle)
                keys[info.filename[:-4]] = (shape, str(dtype))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DataFormatError(path, f"not a readable npz archive ({exc})") from exc
    return keys


def _npy_header(handle: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(handle)
    return np.lib.format.read_array_header_2_0(handle)


def read_column(data: PublishedEmbeddings, role: str) -> np.ndarray:
    """One column as a numpy array (memory-mapped for uncompressed npz members)."""
    key = data.columns[role]
    if data.layout == "npz":
        return _npz_member(data.path, key)
    with h5py.File(data.path, "r") as f:
        if data.layout == "hdf5-table":
            return np.asarray(f[TABLE_PATH].fields(key)[:])
        return np.asarray(f[key][:])


def _npz_member(path: Path, key: str) -> np.ndarray:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(key + ".npy")
        with archive.open(info) as handle:
            shape, fortran, dtype = _npy_header(handle)
            if dtype.hasobject:  # would need pickle: never read
                raise DataFormatError(path, "object (pickled) arrays are not read", key)
            if info.compress_type != zipfile.ZIP_STORED:
                count = int(np.prod(shape))
                flat = np.frombuffer(handle.read(count * dtype.itemsize), dtype=dtype)
                return flat.reshape(shape, order="F" if fortran else "C")
            header_size = handle.tell()
    with open(path, "rb") as raw:
        raw.seek(info.header_offset)
        local = raw.read(30)
        name_len = int.from_bytes(local[26:28], "little")
        extra_len = int.from_bytes(local[28:30], "little")
    offset = info.header_offset + 30 + name_len + extra_len + header_size
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                     order="F" if fortran else "C")


def describe_embeddings(path: str | Path) -> dict[str, Any]:
    """`astroclip info` for a published embeddings file: layout, rows, size, every key."""
    data = _scan(Path(path))
    return {
        "file": str(data.path),
        "kind": "published embeddings",
        "layout": data.layout,
        "rows": data.rows,
        "embedding_dim": data.embedding_dim,
        "columns": dict(data.columns),
        "keys": {k: f"{dtype} {list(shape)}" for k, (shape, dtype) in data.keys.items()},
    }


def open_published(path: str | Path) -> PublishedEmbeddings:
    """Scan a published file (raises DataFormatError naming the file when it is not one)."""
    return _scan(Path(path))


def property_columns(data: PublishedEmbeddings) -> Mapping[str, np.ndarray]:
    """Store properties (log_mstar, log_z_mw, t_age, log_ssfr) from the official table's
    fields; float32, NaN where missing or non-physical. Other layouts have none."""
    raw = {f: np.asarray(read_column(data, f), dtype=np.float64)
           for f in PROPERTY_FIELDS if f in data.columns}
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        if "LOG_MSTAR" in raw:
            out["log_mstar"] = np.where(raw["LOG_MSTAR"] > 0, raw["LOG_MSTAR"], np.nan)
        if "Z_MW" in raw:
            out["log_z_mw"] = raw["Z_MW"] / np.log(10.0)
        if "TAGE_MW" in raw:
            out["t_age"] = np.where(raw["TAGE_MW"] > 0, raw["TAGE_MW"], np.nan)
        if "AVG_SFR" in raw and "log_mstar" in out:
            sfr = raw["AVG_SFR"]
            out["log_ssfr"] = np.where(sfr > 0, np.log10(np.where(sfr > 0, sfr, 1.0)),
                                       np.nan) - out["log_mstar"]
    return {k: np.where(np.isfinite(v), v, np.nan).astype(np.float32) for k, v in out.items()}
