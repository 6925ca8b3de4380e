"""LightningDataModule over any `PairedDataset` (HDF5 release, parquet, mock).

Splits: the dataset's own train split minus a seeded, deterministic validation fraction
(`config.data.val_fraction`), and its test split. Items are raw float32 arrays (image (3, H, W)
nanomaggies, spectrum (7781,) flux), the redshift and the row index; preprocessing and the
per-batch filtering of invalid pairs (`transforms.valid_pair_mask`) happen on the device in the
LightningModule, so the loader stays cheap and device-agnostic. Per-worker file handles are the
reader's job.

Before training starts, `setup` refuses a dataset without a single valid pair: rows whose
redshift lies outside `constants.REDSHIFT_RANGE` are dropped up front (the redshift column is
small), and a sample of the remaining spectra is read to make sure not all of them are empty.
"""

from __future__ import annotations

import signal
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.fabric.utilities.seed import pl_worker_init_function
from torch.utils.data import DataLoader, Dataset

from astroclip_engine.config import RunConfig
from astroclip_engine.constants import REDSHIFT_RANGE
from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.errors import DataFormatError

SPECTRUM_PROBE = 256
"""How many spectra `setup` reads to make sure the dataset holds at least one valid pair."""


class PairDataset(Dataset[dict[str, Any]]):
    """Rows `indices` of a PairedDataset as dicts of raw tensors."""

    def __init__(self, source: PairedDataset, indices: np.ndarray, redshifts: np.ndarray) -> None:
        self.source = source
        self.indices = np.asarray(indices, dtype=np.int64)
        self.redshifts = redshifts

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = int(self.indices[i])
        return {
            "image": torch.from_numpy(np.asarray(self.source.read_image(row), dtype=np.float32)),
            "spectrum": torch.from_numpy(
                np.asarray(self.source.read_spectrum(row), dtype=np.float32).reshape(-1)
            ),
            "redshift": torch.tensor(float(self.redshifts[row]), dtype=torch.float32),
            "index": torch.tensor(row, dtype=torch.int64),
        }


def split_train_val(train_rows: np.ndarray, val_fraction: float,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic (seeded) split of the train rows into (train, validation), both sorted."""
    rows = np.asarray(train_rows, dtype=np.int64)
    if len(rows) < 2:
        raise ValueError(f"need at least 2 training rows to hold out a validation set, got "
                         f"{len(rows)}")
    n_val = min(len(rows) - 1, max(1, round(val_fraction * len(rows))))
    order = np.random.default_rng(seed).permutation(len(rows))
    return np.sort(rows[order[n_val:]]), np.sort(rows[order[:n_val]])


def worker_init(worker_id: int) -> None:
    """DataLoader workers ignore SIGINT / SIGTERM (a Ctrl-C reaches the whole process group):
    the main process stops training cleanly and ends them. Seeds them as Lightning would."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pl_worker_init_function(worker_id)


class PairedDataModule(L.LightningDataModule):
    """Train / validation / test loaders of raw pairs over one PairedDataset."""

    def __init__(self, dataset: PairedDataset, batch_size: int, val_fraction: float = 0.1,
                 seed: int = 42, num_workers: int = 0) -> None:
        super().__init__()
        self.dataset = dataset
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.seed = seed
        self.num_workers = num_workers
        self.train_rows: np.ndarray | None = None
        self.val_rows: np.ndarray | None = None
        self.test_rows: np.ndarray | None = None
        self._redshifts: np.ndarray | None = None

    @classmethod
    def from_config(cls, config: RunConfig) -> PairedDataModule:
        """Open `config.data.path` (with its property table, if any) and wrap it."""
        from astroclip_engine.data.open import open_dataset

        dataset = open_dataset(config.data.path, properties=config.data.properties)
        return cls(dataset, batch_size=config.trainer.batch_size,
                   val_fraction=config.data.val_fraction, seed=config.trainer.seed,
                   num_workers=config.data.num_workers)

    def setup(self, stage: str | None = None) -> None:
        if self.train_rows is not None:
            return
        redshifts = np.asarray(self.dataset.redshifts, dtype=np.float32)
        low, high = REDSHIFT_RANGE
        usable = np.isfinite(redshifts) & (redshifts >= low) & (redshifts <= high)
        train = self.dataset.split_indices("train")
        train = train[usable[train]]
        if len(train) < 2:
            raise DataFormatError(
                self.dataset.path,
                f"no usable training pairs: {len(train)} rows of the train split have a redshift "
                f"in [{low}, {high}] (at least 2 are needed)", key="redshifts")
        self._check_spectra(train)
        self._redshifts = redshifts
        self.train_rows, self.val_rows = split_train_val(train, self.val_fraction, self.seed)
        test = self.dataset.split_indices("test")
        self.test_rows = test[usable[test]]

    def _check_spectra(self, rows: np.ndarray) -> None:
        rng = np.random.default_rng(self.seed)
        probe = rng.choice(rows, size=min(SPECTRUM_PROBE, len(rows)), replace=False)
        for row in probe:
            spectrum = np.asarray(self.dataset.read_spectrum(int(row)))
            if np.isfinite(spectrum).all() and np.any(spectrum != 0):
                return
        raise DataFormatError(
            self.dataset.path,
            f"no valid pairs: all {len(probe)} spectra read (of {len(rows)} training rows with a "
            f"valid redshift) are all zero or not finite", key="spectra")

    def _loader(self, rows: np.ndarray | None, shuffle: bool) -> DataLoader:
        if rows is None or self._redshifts is None:
            raise RuntimeError("PairedDataModule.setup() has not run")
        drop_last = shuffle and len(rows) >= 2 * self.batch_size
        return DataLoader(
            PairDataset(self.dataset, rows, self._redshifts),
            batch_size=self.batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            num_workers=self.num_workers,
            pin_memory=torch.cuda.is_available(),
            persistent_workers=self.num_workers > 0,
            worker_init_fn=worker_init if self.num_workers > 0 else None,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_rows, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_rows, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_rows, shuffle=False)

    def teardown(self, stage: str | None = None) -> None:
        """Keep the dataset open: `fit` then `test` reuse it (closed by the caller)."""
