"""`astroclip embed` over several GPUs and nodes: Lightning's predict loop under DDP.

Each rank embeds one contiguous shard of the rows (rank r of W: rows n*r//W to n*(r+1)//W) and
streams it into its own part file, `<out>.parts/rank<r>-of-<W>.h5` (image, spectrum, valid and
a `rows_done` counter flushed after every batch, so a rerun resumes every shard where it
stopped). After a barrier, rank zero merges the parts in row order into `<out>.partial` with the
per-row metadata columns of the single-process store, fsyncs it and renames it to `<out>` in one
atomic step; the parts are then removed. The result is the same store as `embed.embed_dataset`
writes. Lightning starts the processes (one per device on a node, `srun` tasks under SLURM);
the output folder must be shared by every node.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path
from typing import Any

import h5py
import lightning as L
import torch

from astroclip_engine.embed import (
    _embed_batch,
    _finish,
    _open,
    _open_partial,
    _write_errors,
    partial_path,
)
from astroclip_engine.errors import StoreError
from astroclip_engine.inference import prepare_model
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.store import StoreInfo

log = logging.getLogger(__name__)
COLUMNS = ("image", "spectrum", "valid")


def parts_dir(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".parts")


def shard(n: int, rank: int, world: int) -> tuple[int, int]:
    """Rows [start, stop) of rank `rank` among `world` ranks (contiguous, sizes differ by <= 1)."""
    return n * rank // world, n * (rank + 1) // world


def embed_distributed(
    checkpoint: str | Path,
    dataset: str | Path,
    out: str | Path,
    *,
    devices: int,
    num_nodes: int = 1,
    accelerator: str = "auto",
    properties: str | Path | None = None,
    batch_size: int = 64,
    restart: bool = False,
    precision: str = "32",
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Embed `dataset` into the store `out` with devices x num_nodes DDP ranks; returns `out`."""
    from astroclip_engine.models.checkpoints import file_sha256
    from astroclip_engine.models.published import load_embedding_model

    if batch_size < 1:
        raise StoreError(f"batch size must be at least 1, got {batch_size}")
    out = Path(out)
    model = load_embedding_model(checkpoint)
    trainer = L.Trainer(accelerator=accelerator, devices=devices, num_nodes=num_nodes,
                        strategy="ddp", use_distributed_sampler=False, logger=False,
                        enable_progress_bar=False, enable_model_summary=False,
                        enable_checkpointing=False)
    ds: Any = _open(dataset, properties)
    try:
        info = StoreInfo(embedding_dim=int(model.embedding_dim), checkpoint=str(checkpoint),
                         checkpoint_sha256=file_sha256(checkpoint),
                         dataset_path=str(Path(ds.path).resolve()))
        module = _ShardEmbedder(model, ds, info, out, batch_size, restart,
                                precision, reporter or null_reporter, cancel)
        trainer.predict(module, return_predictions=False)  # starts the other ranks
        module.close_part()
        trainer.strategy.barrier("embed parts written")
        if trainer.global_rank == 0:
            merge_parts(ds, info, out, trainer.world_size, properties)
        trainer.strategy.barrier("embed store merged")
    finally:
        ds.close()
    return out


class _ShardEmbedder(L.LightningModule):
    """predict_step embeds one batch of this rank's shard into its part file."""

    def __init__(self, model: Any, ds: Any, info: StoreInfo, out: Path,
                 batch_size: int, restart: bool, precision: str, reporter: Reporter,
                 cancel: CancelToken | None) -> None:
        super().__init__()
        # channels-last weights; Lightning then moves the model to the rank's device
        prepare_model(model, torch.device("cpu"), "32")
        self.model, self.ds, self.info = model, ds, info
        self.out, self.batch_size, self.restart = out, batch_size, restart
        self.reporter, self.cancel, self.precision = reporter, cancel, precision
        self.part: h5py.File | None = None
        self.start_row = self.stop_row = 0

    def predict_dataloader(self) -> Any:
        """This rank's (start, stop) row batches still to do (ranks are known only now)."""
        from torch.utils.data import DataLoader

        rank, world = self.global_rank, self.trainer.world_size
        self.start_row, self.stop_row = shard(len(self.ds), rank, world)
        path = parts_dir(self.out) / f"rank{rank}-of-{world}.h5"
        if self.restart and rank == 0:
            partial_path(self.out).unlink(missing_ok=True)
        self.part = _open_part(path, self.info, self.start_row, self.stop_row, self.restart)
        done = self.start_row + int(self.part.attrs["rows_done"])
        batches = [(s, min(s + self.batch_size, self.stop_row))
                   for s in range(done, self.stop_row, self.batch_size)]
        return DataLoader(batches, batch_size=None, shuffle=False)

    def predict_step(self, batch: tuple[int, int], batch_idx: int) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        start, stop = (int(v) for v in batch)
        rows = _embed_batch(self.ds, self.model, self.device, start, stop, self.precision)
        assert self.part is not None
        offset = start - self.start_row
        with _write_errors(Path(self.part.filename), start):
            for name in COLUMNS:
                self.part[name][offset:offset + len(rows[name])] = rows[name]
            self.part.flush()
            self.part.attrs["rows_done"] = stop - self.start_row
            self.part.flush()
        if self.global_rank == 0:
            self.reporter(Progress("embed", stop - self.start_row,
                                   self.stop_row - self.start_row, "rank 0 shard"))

    def close_part(self) -> None:
        if self.part is not None and self.part.id.valid:
            self.part.close()


def _open_part(path: Path, info: StoreInfo, start: int, stop: int, restart: bool) -> h5py.File:
    """A rank's resumable part file: the same checkpoint, dataset and shard, or a new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not restart:
        with contextlib.suppress(OSError):
            f = h5py.File(path, "r+")
            same = (str(f.attrs.get("checkpoint_sha256")) == info.checkpoint_sha256
                    and str(f.attrs.get("dataset_path")) == info.dataset_path
                    and int(f.attrs.get("start", -1)) == start
                    and int(f.attrs.get("stop", -1)) == stop and "rows_done" in f.attrs)
            if same:
                log.info("%s: resuming at row %d", path, start + int(f.attrs["rows_done"]))
                return f
            f.close()
    f = h5py.File(path, "w")
    f.attrs.update({"checkpoint_sha256": info.checkpoint_sha256,
                    "dataset_path": info.dataset_path, "start": start, "stop": stop,
                    "rows_done": 0})
    n, dim = stop - start, info.embedding_dim
    for name in ("image", "spectrum"):
        f.create_dataset(name, shape=(n, dim), dtype="f4")
    f.create_dataset("valid", shape=(n,), dtype=bool)
    f.flush()
    return f


def merge_parts(ds: Any, info: StoreInfo, out: Path, world: int,
                properties: str | Path | None) -> Path:
    """Rank zero: every complete part, in row order, into one store renamed atomically to
    `out`; the parts folder is removed afterwards."""
    n = len(ds)
    partial = partial_path(out)
    partial.unlink(missing_ok=True)
    f = _open_partial(partial, ds, info, properties)
    try:
        for rank in range(world):
            start, stop = shard(n, rank, world)
            path = parts_dir(out) / f"rank{rank}-of-{world}.h5"
            with h5py.File(path, "r") as part:
                if int(part.attrs["rows_done"]) != stop - start:
                    raise StoreError(f"{path}: rank {rank} embedded {part.attrs['rows_done']} "
                                     f"of its {stop - start} rows; rerun to resume")
                with _write_errors(partial, start):
                    for name in COLUMNS:
                        f[name][start:stop] = part[name][()]
        f.attrs["rows_done"] = n
        f.flush()
    finally:
        f.close()
    _finish(partial, out)
    shutil.rmtree(parts_dir(out), ignore_errors=True)
    return out
