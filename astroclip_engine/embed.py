"""Batched inference of both modalities over a whole paired dataset into an embeddings store.

Resumable and bounded in memory: rows are streamed batch by batch into `<out>.partial` (the
store layout with datasets preallocated to N rows) and the attribute `rows_done` is updated and
flushed after every batch, so a rerun resumes where the last one stopped. A partial file is only
resumed when it was made by the same checkpoint (SHA-256), dataset path and row count. When every
row is done the file is fsynced and renamed to `<out>` in one atomic step.

Rows whose spectrum is all zero (or not finite) are embedded like the others but get
`valid = False`; search and evaluation leave them out by default.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.errors import StoreError
from astroclip_engine.inference import autocast, channels_last, prepare_model
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.store import SPLIT_CODES, StoreInfo, write_attrs

log = logging.getLogger(__name__)


def resolve_device(device: str) -> torch.device:
    """'auto' -> CUDA when present, else CPU; otherwise the named device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise StoreError(f"device {device!r} requested but no CUDA GPU is available")
    return torch.device(device)


def partial_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".partial")


def valid_spectra(spectra: np.ndarray) -> np.ndarray:
    """(B,) True where a spectrum is finite and not all zero."""
    flat = spectra.reshape(len(spectra), -1)
    return np.isfinite(flat).all(axis=1) & (np.nan_to_num(flat) != 0).any(axis=1)


def embed_dataset(
    checkpoint: str | Path,
    dataset: str | Path | PairedDataset,
    out: str | Path,
    *,
    properties: str | Path | None = None,
    batch_size: int = 64,
    device: str = "auto",
    restart: bool = False,
    precision: str = "32",
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Embed every galaxy of `dataset` with `checkpoint` into the store `out`; returns `out`.
    `precision` "bf16" runs the encoders under bf16 autocast (see `inference`)."""
    from astroclip_engine.models.checkpoints import file_sha256
    from astroclip_engine.models.published import load_embedding_model

    if batch_size < 1:
        raise StoreError(f"batch size must be at least 1, got {batch_size}")
    out = Path(out)
    report = reporter or null_reporter
    model = load_embedding_model(checkpoint)
    own_dataset = not hasattr(dataset, "read_image")
    ds: Any = _open(dataset, properties) if own_dataset else dataset
    try:
        info = StoreInfo(embedding_dim=int(model.embedding_dim), checkpoint=str(checkpoint),
                         checkpoint_sha256=file_sha256(checkpoint),
                         dataset_path=str(Path(ds.path).resolve()))
        torch_device = resolve_device(device)
        prepare_model(model, torch_device, precision)
        partial = partial_path(out)
        if restart:
            partial.unlink(missing_ok=True)
        f = _open_partial(partial, ds, info, properties)
        try:
            n, done = len(ds), int(f.attrs["rows_done"])
            if done:
                log.info("%s: resuming at row %d of %d", partial, done, n)
            report(Progress("embed", done, n, f"device {torch_device}"))
            columns = {name: f[name] for name in ("image", "spectrum", "valid")}
            for start in range(done, n, batch_size):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                stop = min(n, start + batch_size)
                batch = _embed_batch(ds, model, torch_device, start, stop, precision)
                with _write_errors(partial, start):
                    _write_rows(f, columns, batch, start)
                    f.attrs["rows_done"] = stop  # only now do these rows count as done
                    f.flush()
                report(Progress("embed", stop, n))
        except BaseException:
            with contextlib.suppress(Exception):  # a failed file may not close cleanly
                f.close()
            raise
        f.close()
        _finish(partial, out)
        return out
    finally:
        if own_dataset:
            ds.close()


def _open(path: str | Path, properties: str | Path | None) -> PairedDataset:
    from astroclip_engine.data.open import open_dataset

    return open_dataset(path, properties=properties)


def _write_rows(f: h5py.File, columns: dict[str, h5py.Dataset], batch: dict[str, np.ndarray],
                start: int) -> None:
    """Write one batch into the partial store and flush it (rows_done is not yet advanced).

    The dataset objects stay alive across the flush, so a write error (disk full) raises here
    instead of being swallowed when h5py deallocates a temporary dataset object."""
    for name, values in batch.items():
        columns[name][start:start + len(values)] = values
    f.flush()


@contextlib.contextmanager
def _write_errors(partial: Path, start: int) -> Iterator[None]:
    """Turn HDF5 write failures into a StoreError that says what is kept."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        raise StoreError(f"{partial}: cannot write embeddings ({exc}); rows before {start} are "
                         "kept: free some space and rerun to resume, or rerun with --restart if "
                         "it fails again (a write cut off by a full disk can damage the file)"
                         ) from exc


@torch.inference_mode()
def _embed_batch(ds: PairedDataset, model: Any, device: torch.device, start: int,
                 stop: int, precision: str = "32") -> dict[str, np.ndarray]:
    """Image and spectrum embeddings and the valid flags of rows start..stop (the model does
    its own preprocessing: `models.published.EmbeddingModel`; bf16 autocast on request)."""
    rows = range(start, stop)
    images = torch.from_numpy(np.stack([ds.read_image(r) for r in rows]))
    spectra = np.stack([ds.read_spectrum(r) for r in rows])
    with autocast(device, precision):
        image = model.embed_images(channels_last(images.to(device)))
        spectrum = model.embed_spectra(torch.from_numpy(spectra).to(device))
    return {"image": image.float().cpu().numpy(), "spectrum": spectrum.float().cpu().numpy(),
            "valid": valid_spectra(spectra)}


def _open_partial(partial: Path, ds: PairedDataset, info: StoreInfo,
                  properties: str | Path | None) -> h5py.File:
    """Open a resumable partial store, or create it with every per-row metadata column."""
    n = len(ds)
    if partial.exists():
        try:
            f = h5py.File(partial, "r+")
        except OSError as exc:
            raise StoreError(f"{partial}: unreadable partial store ({exc}); delete it or rerun "
                             "with --restart") from exc
        try:
            found = {key: f.attrs.get(key) for key in ("checkpoint_sha256", "dataset_path",
                                                       "n_rows", "embedding_dim")}
            int(f.attrs["rows_done"])
            for name in ("image", "spectrum", "valid"):
                if f[name].shape[0] != n:
                    raise ValueError(f"column {name} has {f[name].shape[0]} rows, expected {n}")
        except Exception as exc:
            f.close()
            raise StoreError(f"{partial}: damaged partial store ({exc}); rerun with --restart "
                             "to start again") from exc
        expected = {"checkpoint_sha256": info.checkpoint_sha256,
                    "dataset_path": info.dataset_path, "n_rows": n,
                    "embedding_dim": info.embedding_dim}
        for key, value in expected.items():
            if found[key] is None or str(found[key]) != str(value):
                f.close()
                raise StoreError(
                    f"{partial}: refusing to resume a partial store made with {key} = "
                    f"{found[key]!r}, this run has {value!r}; delete it or rerun with --restart")
        return f
    f = h5py.File(partial, "w")
    write_attrs(f, info)
    f.attrs["rows_done"] = 0
    f.attrs["n_rows"] = n
    dim = info.embedding_dim
    chunk_rows = max(1, min(n, 4096))
    for name in ("image", "spectrum"):
        f.create_dataset(name, shape=(n, dim), dtype="f4", chunks=(chunk_rows, dim))
    f.create_dataset("valid", shape=(n,), dtype=bool)
    f.create_dataset("targetid", data=np.asarray(ds.targetids, dtype=np.int64))
    f.create_dataset("row", data=np.arange(n, dtype=np.int64))
    split = np.full(n, SPLIT_CODES["train"], dtype=np.int8)
    split[np.asarray(ds.split_indices("test"), dtype=np.int64)] = SPLIT_CODES["test"]
    f.create_dataset("split", data=split)
    f.create_dataset("redshift", data=np.asarray(ds.redshifts, dtype=np.float32))
    group = f.create_group("properties")
    for name, values in _property_columns(ds, properties).items():
        group.create_dataset(name, data=np.asarray(values, dtype=np.float32))
    f.flush()
    return f


def _property_columns(ds: PairedDataset, properties: str | Path | None) -> dict[str, np.ndarray]:
    """Per-row property columns: the dataset's own joined table, or `properties` joined here."""
    columns = getattr(ds, "properties", None)
    if isinstance(columns, dict) and columns:
        return {k: v for k, v in columns.items() if np.shape(v) == (len(ds),)}
    if properties is not None:
        from astroclip_engine.data.provabgs import PropertyTable

        return PropertyTable.read(properties).join(np.asarray(ds.targetids))
    return {}


def _finish(partial: Path, out: Path) -> None:
    with open(partial, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, out)
    try:
        fd = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def embed_fits(
    checkpoint: str | Path,
    path: str | Path,
    redrock: str | Path | None = None,
    device: str = "cpu",
) -> tuple[list[Any], str, np.ndarray, str]:
    """Embed the objects of one real FITS file: a DESI coadd (-> spectrum embeddings of its
    targets with a non-zero spectrum) or a Legacy Survey cutout (-> one image embedding).

    Returns (samples, modality, (n, D) embeddings, checkpoint SHA-256).
    """
    from astroclip_engine.data.single_object import read_fits_objects
    from astroclip_engine.errors import DataFormatError
    from astroclip_engine.models.checkpoints import file_sha256
    from astroclip_engine.models.published import load_embedding_model

    path = Path(path)
    samples, modality = read_fits_objects(path, redrock)
    if modality == "spectrum":
        samples = [s for s in samples
                   if s.spectrum is not None and valid_spectra(s.spectrum[None])[0]]
        if not samples:
            raise DataFormatError(path, "no target with a non-zero spectrum", "FIBERMAP")
    model = load_embedding_model(checkpoint)
    torch_device = resolve_device(device)
    model.to(torch_device).eval()
    with torch.inference_mode():
        if modality == "spectrum":
            raw = torch.from_numpy(np.stack([s.spectrum for s in samples])).to(torch_device)
            emb = model.embed_spectra(raw)
        else:
            raw = torch.from_numpy(np.stack([s.image for s in samples])).to(torch_device)
            emb = model.embed_images(raw)
    return samples, modality, emb.float().cpu().numpy(), file_sha256(checkpoint)
