"""PairedDataModule: deterministic splits, raw items, and refusing data without valid pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astroclip_engine.data.datamodule import PairedDataModule, split_train_val
from astroclip_engine.data.open import open_dataset
from astroclip_engine.data.release_writer import ReleaseWriter
from astroclip_engine.errors import DataFormatError


def write_release(path: Path, n: int = 20, size: int = 16, zero_spectra: bool = False,
                  redshift: float | None = None) -> Path:
    """A tiny file in the real release layout (random pixels; a smooth spectrum)."""
    rng = np.random.default_rng(0)
    z = np.full(n, redshift, np.float32) if redshift is not None else \
        rng.uniform(0.05, 0.5, n).astype(np.float32)
    spectra = np.zeros((n, 7781), np.float32) if zero_spectra else \
        (1.0 + rng.normal(0, 0.1, (n, 7781))).astype(np.float32)
    images = rng.normal(0, 0.01, (n, 3, size, size)).astype(np.float32)
    with ReleaseWriter(path, image_size=size) as writer:
        writer.append("0", images, spectra, z, np.arange(n, dtype=np.int64) + 100)
    return path


def test_split_is_deterministic_disjoint_and_complete() -> None:
    rows = np.arange(100, 200)
    train, val = split_train_val(rows, 0.1, seed=3)
    again_train, again_val = split_train_val(rows, 0.1, seed=3)
    assert np.array_equal(train, again_train) and np.array_equal(val, again_val)
    assert len(val) == 10 and not set(train) & set(val)
    assert np.array_equal(np.sort(np.concatenate([train, val])), rows)
    assert not np.array_equal(split_train_val(rows, 0.1, seed=4)[1], val)


def test_loaders_yield_raw_pairs(tmp_path: Path) -> None:
    dataset = open_dataset(write_release(tmp_path / "d.h5", n=20))
    module = PairedDataModule(dataset, batch_size=4, val_fraction=0.25, seed=1)
    module.setup("fit")
    assert len(module.train_rows) + len(module.val_rows) == 16  # 80 % of 20 are train
    assert np.array_equal(module.test_rows, np.arange(16, 20))
    batch = next(iter(module.val_dataloader()))
    assert batch["image"].shape == (4, 3, 16, 16) and batch["spectrum"].shape == (4, 7781)
    rows = batch["index"].numpy()
    assert np.allclose(batch["redshift"].numpy(), dataset.redshifts[rows])
    assert np.allclose(batch["spectrum"][0].numpy(), dataset.read_spectrum(int(rows[0])))


def test_all_empty_spectra_are_refused_before_training(tmp_path: Path) -> None:
    dataset = open_dataset(write_release(tmp_path / "zero.h5", zero_spectra=True))
    with pytest.raises(DataFormatError, match=r"zero\.h5 \[spectra\]: no valid pairs"):
        PairedDataModule(dataset, batch_size=4).setup("fit")


def test_redshifts_out_of_range_are_refused(tmp_path: Path) -> None:
    dataset = open_dataset(write_release(tmp_path / "far.h5", redshift=1.5))
    with pytest.raises(DataFormatError, match=r"\[redshifts\]: no usable training pairs"):
        PairedDataModule(dataset, batch_size=4).setup("fit")
