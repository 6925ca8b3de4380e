"""Lazy reader of the AstroCLIP data in the Hugging Face hub schema (docs/formats.md).

Accepts a single `.parquet` file, a folder of them (searched recursively, sorted by name), or a
`datasets.save_to_disk` folder (Arrow IPC stream files listed in state.json). Columns: `image`
(HF Array3D(152,152,3) float32, stored (x, y, band)), `spectrum` (Array2D(7781,1)), `redshift`,
`targetid`. The HF extension types are not needed: the nested-list storage arrays are read
directly with pyarrow. Data is read by row group (parquet) or record batch (arrow); at most one
chunk per column is held in memory. The hub data has no split: the first 80 % of rows are train.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from astroclip_engine.constants import N_SPECTRUM_BINS
from astroclip_engine.data.provabgs import join_properties
from astroclip_engine.data.release import train_count
from astroclip_engine.data.row_dataset import RowDataset
from astroclip_engine.data.schema import Split
from astroclip_engine.errors import DataFormatError, reading

COLUMNS: tuple[str, ...] = ("image", "spectrum", "redshift", "targetid")


class _Source:
    """One file of the dataset: row counts per chunk and column reads by chunk."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind
        self._handle: Any = None
        self._pid = -1
        with reading(path, expected=f"an Arrow {kind} file"):
            self.schema = self._open().schema_arrow if kind == "parquet" else self._open().schema
            self.chunk_rows = self._chunk_rows()

    def _open(self) -> Any:
        if self._handle is None or self._pid != os.getpid():
            if self.kind == "parquet":
                self._handle = pq.ParquetFile(self.path)
            else:  # memory-mapped, so reading is zero-copy; record batches are the chunks
                self._handle = _read_arrow(self.path)
            self._pid = os.getpid()
        return self._handle

    def _chunk_rows(self) -> list[int]:
        handle = self._open()
        if self.kind == "parquet":
            meta = handle.metadata
            return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        return [batch.num_rows for batch in handle.to_batches()]

    def read(self, chunk: int, column: str) -> pa.Array:
        with reading(self.path, f"{column} (chunk {chunk})", f"an Arrow {self.kind} column"):
            handle = self._open()
            if self.kind == "parquet":
                data = handle.read_row_group(chunk, columns=[column]).column(0)
            else:
                data = handle.to_batches()[chunk].column(column)
            if isinstance(data, pa.ChunkedArray):
                data = data.combine_chunks()
            return data

    def read_column(self, column: str) -> np.ndarray:
        with reading(self.path, column, f"an Arrow {self.kind} column"):
            handle = self._open()
            table = handle.read(columns=[column]) if self.kind == "parquet" else handle
            return table.column(column).to_numpy()

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_handle": None, "_pid": -1}


def _read_arrow(path: Path) -> pa.Table:
    """An Arrow IPC stream (what save_to_disk writes) or IPC file, memory-mapped."""
    source = pa.memory_map(str(path))
    if source.read(6) == b"ARROW1":
        return pa.ipc.open_file(source).read_all()
    source.seek(0)
    return pa.ipc.open_stream(source).read_all()


def find_sources(path: Path) -> list[_Source]:
    """The files of a parquet file / folder or a save_to_disk folder, in row order."""
    if path.is_file():
        kind = "arrow" if path.suffix == ".arrow" else "parquet"
        return [_Source(path, kind)]
    if not path.is_dir():
        raise DataFormatError(path, "no such file or folder")
    state = path / "state.json"
    if state.is_file():
        with reading(state, "_data_files", "a datasets save_to_disk state.json"):
            names = [entry["filename"] for entry in json.loads(state.read_text())["_data_files"]]
        if not names:
            raise DataFormatError(state, "lists no data files", "_data_files")
        return [_Source(path / name, "arrow") for name in names]
    arrows = sorted(path.glob("*.arrow"))
    if arrows:
        return [_Source(p, "arrow") for p in arrows]
    parquets = sorted(path.rglob("*.parquet"))
    if not parquets:
        raise DataFormatError(path, "folder holds no .parquet files, .arrow files or "
                              "state.json (expected hub parquet shards or a save_to_disk folder)")
    return [_Source(p, "parquet") for p in parquets]


def decode_rows(array: pa.Array, shape: tuple[int, ...], path: Path, key: str) -> np.ndarray:
    """float32 (len(array), *shape) from an HF ArrayND column (extension or nested-list storage)."""
    n = len(array)
    if isinstance(array, pa.ExtensionArray):
        array = array.storage
    if array.null_count:
        raise DataFormatError(path, f"{array.null_count} null value(s); expected none", key)
    while pa.types.is_list(array.type) or pa.types.is_large_list(array.type) \
            or pa.types.is_fixed_size_list(array.type):
        array = array.flatten()
        if array.null_count:
            raise DataFormatError(path, "null values inside the nested lists", key)
    if not pa.types.is_floating(array.type):
        raise DataFormatError(path, f"expected float values, got {array.type}", key)
    values = array.to_numpy(zero_copy_only=False)
    if values.size != n * int(np.prod(shape)):
        raise DataFormatError(path, f"expected {n} rows of shape {shape}, got {values.size} "
                              "values", key)
    return values.reshape(n, *shape).astype(np.float32, copy=False)


def _storage_depth(dtype: pa.DataType) -> int:
    if isinstance(dtype, pa.ExtensionType):
        dtype = dtype.storage_type
    depth = 0
    while pa.types.is_list(dtype) or pa.types.is_large_list(dtype) \
            or pa.types.is_fixed_size_list(dtype):
        dtype, depth = dtype.value_type, depth + 1
    return depth if pa.types.is_floating(dtype) else -1


def _declared_shape(schema: pa.Schema, column: str) -> tuple[int, ...] | None:
    """The ArrayND shape from the extension metadata or the HF `huggingface` schema metadata."""
    field = schema.field(column)
    if isinstance(field.type, pa.ExtensionType) and hasattr(field.type, "shape"):
        return tuple(int(s) for s in field.type.shape)
    meta = field.metadata or {}
    if b"ARROW:extension:metadata" in meta:
        with_shape = json.loads(meta[b"ARROW:extension:metadata"])
        return tuple(int(s) for s in with_shape[0])
    hf = (schema.metadata or {}).get(b"huggingface")
    if hf:
        feature = json.loads(hf).get("info", {}).get("features", {}).get(column, {})
        if "shape" in feature:
            return tuple(int(s) for s in feature["shape"])
    return None


class ParquetDataset(RowDataset):
    """Hub-schema parquet / save_to_disk data as a `PairedDataset` (see module docstring)."""

    def __init__(self, path: str | Path, properties: str | Path | None = None,
                 auto_properties: bool = True) -> None:
        self.path = Path(path)
        self._sources = find_sources(self.path)
        self._validate_schemas()
        rows = [(s, c, n) for s, src in enumerate(self._sources)
                for c, n in enumerate(src.chunk_rows)]
        self._chunks = [(s, c) for s, c, _ in rows]
        self._offsets = np.concatenate([[0], np.cumsum([n for _, _, n in rows])]).astype(np.int64)
        self._targetids = self._concat("targetid").astype(np.int64)
        self._redshifts = self._concat("redshift").astype(np.float32)
        self.image_shape = self._shape("image", 3)
        self.image_size = self.image_shape[0]
        if self.image_shape[0] != self.image_shape[1] or self.image_shape[2] != 3:
            raise DataFormatError(self.path, f"expected image shape (S, S, 3), got "
                                  f"{self.image_shape}", "image")
        spec_shape = self._shape("spectrum", 2)
        if int(np.prod(spec_shape)) != N_SPECTRUM_BINS:
            raise DataFormatError(self.path, f"expected spectrum shape ({N_SPECTRUM_BINS}, 1), "
                                  f"got {spec_shape}", "spectrum")
        self._cache: dict[str, tuple[int, pa.Array]] = {}
        self.joined = join_properties(self.path, self._targetids, properties, auto_properties)
        self.properties = self.joined.columns

    def _validate_schemas(self) -> None:
        for src in self._sources:
            names = src.schema.names
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise DataFormatError(src.path, f"missing column(s) {', '.join(missing)}; "
                                      f"expected {', '.join(COLUMNS)} (found {names})", missing[0])
            for column, depth in (("image", 3), ("spectrum", 2)):
                got = _storage_depth(src.schema.field(column).type)
                if got != depth:
                    raise DataFormatError(src.path, f"expected a {depth}-level nested list of "
                                          f"floats, got {src.schema.field(column).type}", column)

    def _concat(self, column: str) -> np.ndarray:
        parts = [src.read_column(column) for src in self._sources]
        values = np.concatenate(parts) if parts else np.empty(0)
        if values.dtype.kind not in "iuf":
            raise DataFormatError(self.path, f"expected a numeric column, got {values.dtype}",
                                  column)
        return values

    def _shape(self, column: str, ndim: int) -> tuple[int, ...]:
        """Per-row shape: declared in the metadata, else measured on the first row."""
        shape = _declared_shape(self._sources[0].schema, column)
        if shape is None and len(self):
            first = self._sources[0].read(0, column).slice(0, 1)
            if isinstance(first, pa.ExtensionArray):
                first = first.storage
            dims = []
            while hasattr(first, "flatten"):
                inner = first.flatten()
                dims.append(len(inner) // max(len(first), 1))
                first = inner
            shape = tuple(dims)
        if shape is None or len(shape) != ndim:
            raise DataFormatError(self.path, f"cannot determine a {ndim}-D per-row shape "
                                  f"(got {shape})", column)
        return shape

    # -- chunk access ------------------------------------------------------------------------

    def _chunk_of(self, index: int) -> tuple[int, int]:
        """(chunk number, row within the chunk) of a global row."""
        chunk = int(np.searchsorted(self._offsets, index, side="right")) - 1
        return chunk, index - int(self._offsets[chunk])

    def _column_chunk(self, column: str, chunk: int) -> pa.Array:
        cached = self._cache.get(column)
        if cached is not None and cached[0] == chunk:
            return cached[1]
        s, c = self._chunks[chunk]
        array = self._sources[s].read(c, column)
        self._cache[column] = (chunk, array)
        return array

    def _read_rows(self, column: str, index: int, count: int, shape: tuple[int, ...]
                   ) -> np.ndarray:
        chunk, row = self._chunk_of(index)
        array = self._column_chunk(column, chunk).slice(row, count)
        return decode_rows(array, shape, self._sources[self._chunks[chunk][0]].path, column)

    # -- PairedDataset -----------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def split_indices(self, split: Split) -> np.ndarray:
        n = len(self)
        cut = train_count(n)
        if split == "all":
            return np.arange(n, dtype=np.int64)
        if split == "train":
            return np.arange(cut, dtype=np.int64)
        if split == "test":
            return np.arange(cut, n, dtype=np.int64)
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")

    def read_image(self, index: int) -> np.ndarray:
        raw = self._read_rows("image", self._row(index), 1, self.image_shape)[0]
        return np.ascontiguousarray(raw.transpose(2, 1, 0))

    def read_spectrum(self, index: int) -> np.ndarray:
        return self._read_rows("spectrum", self._row(index), 1, (N_SPECTRUM_BINS,))[0]

    def read_spectra(self, indices: np.ndarray) -> np.ndarray:
        """float32 (len(indices), 7781): contiguous runs inside a chunk are decoded together."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty((len(indices), N_SPECTRUM_BINS), dtype=np.float32)
        i = 0
        while i < len(indices):
            start = self._row(int(indices[i]))
            chunk, _ = self._chunk_of(start)
            end = int(self._offsets[chunk + 1])
            j = i + 1
            while j < len(indices) and indices[j] == indices[j - 1] + 1 and indices[j] < end:
                j += 1
            out[i:j] = self._read_rows("spectrum", start, j - i, (N_SPECTRUM_BINS,))
            i = j
        return out

    def close(self) -> None:
        self._cache.clear()

    def __enter__(self) -> ParquetDataset:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return self.__dict__ | {"_cache": {}}

    def __repr__(self) -> str:
        return (f"ParquetDataset({str(self.path)!r}, rows={len(self)}, "
                f"files={len(self._sources)}, image_size={self.image_size})")
