"""Imported published files show their stored images and spectra (`data.published_pairs`)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from astroclip_engine.constants import N_SPECTRUM_BINS
from astroclip_engine.data.open import open_dataset
from astroclip_engine.data.published_pairs import PublishedPairs, holds_pairs
from astroclip_engine.errors import DataFormatError
from astroclip_engine.import_embeddings import import_embeddings
from astroclip_engine.store import EmbeddingStore
from tests.published_files import write_official_hdf5, write_official_table, write_seed_b_npz


def test_official_file_images_and_spectra_open_as_the_project_dataset(tmp_path) -> None:
    source = write_official_hdf5(tmp_path / "astroclip_embeddings.hdf5",
                                 spectrum_length=N_SPECTRUM_BINS)
    project = import_embeddings(source, tmp_path / "project")
    with EmbeddingStore(project.store) as store:
        assert store.info.dataset_path == str(source.resolve())
    dataset = open_dataset(source)
    assert isinstance(dataset, PublishedPairs) and dataset.image_kind == "rgb"
    with h5py.File(source) as f:
        np.testing.assert_array_equal(dataset.targetids, f["object_id"][:])
        np.testing.assert_array_equal(dataset.read_image(3), f["image"][3][::-1])
        np.testing.assert_array_equal(dataset.read_spectrum(3), f["spectrum"][3, :, 0])
    assert dataset.read_spectrum(0).shape == (N_SPECTRUM_BINS,)
    assert len(dataset.split_indices("test")) == len(dataset) == 40
    with pytest.raises(IndexError):
        dataset.read_image(40)
    dataset.close()


def test_seed_b_images_are_read_one_row_at_a_time(tmp_path) -> None:
    source = write_seed_b_npz(tmp_path / "embeddings-main.npz")
    dataset = open_dataset(source)
    with np.load(source) as reference:
        expected = np.moveaxis(reference["images"][5], -1, 0)[::-1]
        np.testing.assert_array_equal(dataset.read_image(5), expected)
        np.testing.assert_array_equal(dataset.targetids, reference["targetid"])
    with pytest.raises(DataFormatError, match="stores no spectra"):  # source_spec is not 7781
        dataset.read_spectrum(0)
    assert dataset[5].spectrum is None


def test_tables_without_images_keep_no_dataset(tmp_path) -> None:
    source = write_official_table(tmp_path / "provabgs_paired_test_embeddings.hdf5")
    assert not holds_pairs(source)
    with EmbeddingStore(import_embeddings(source, tmp_path / "p").store) as store:
        assert store.info.dataset_path == ""
