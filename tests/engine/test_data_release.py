"""ReleaseDataset: the AstroCLIP HDF5 release layout, split, properties, workers, bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest

from astroclip_engine.data.provabgs import sidecar_properties_path
from astroclip_engine.data.release import ReleaseDataset
from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.errors import DataFormatError
from tests.engine.test_data_builders import property_table, write_release


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("release") / "tiny.h5"
    # groups written out of order and with a gap: the reader must use numeric order
    written = write_release(path, {"2": 5, "0": 10}, size=12)
    return path, written


def test_rows_follow_numeric_group_order_and_sky_orientation(release):
    path, written = release
    with ReleaseDataset(path) as ds:
        assert isinstance(ds, PairedDataset)
        assert ds.groups == ["0", "2"] and len(ds) == 15 and ds.image_size == 12
        expected_ids = np.concatenate([written["0"]["targetids"], written["2"]["targetids"]])
        np.testing.assert_array_equal(ds.targetids, expected_ids)
        sample = ds[11]  # row 1 of group "2"
        np.testing.assert_array_equal(sample.image, written["2"]["images"][1])
        np.testing.assert_array_equal(sample.spectrum, written["2"]["spectra"][1])
        assert sample.targetid == written["2"]["targetids"][1]
        assert sample.redshift == pytest.approx(written["2"]["redshifts"][1])
        assert sample.image.dtype == np.float32 and sample.image.flags.c_contiguous
        np.testing.assert_array_equal(ds[-1].spectrum, written["2"]["spectra"][-1])
        with pytest.raises(IndexError):
            ds.read_image(15)


def test_stored_layout_is_transposed_x_y_band(release):
    path, written = release
    with h5py.File(path) as f:
        raw = f["0"]["images"][3]
    sky = written["0"]["images"][3]
    # stored axes (x, y, band): raw[x, y, b] == sky[b, y, x]
    assert raw[2, 7, 1] == sky[1, 7, 2]


def test_split_is_first_80_percent_of_each_group(release):
    path, _ = release
    with ReleaseDataset(path) as ds:
        train, test = ds.split_indices("train"), ds.split_indices("test")
    np.testing.assert_array_equal(train, [*range(0, 8), 10, 11, 12, 13])
    np.testing.assert_array_equal(test, [8, 9, 14])
    assert len(np.intersect1d(train, test)) == 0


def test_block_reads_match_single_rows_across_groups(release):
    path, _ = release
    with ReleaseDataset(path) as ds:
        rows = np.array([0, 1, 2, 9, 10, 11, 3, 14])
        block = ds.read_spectra(rows)
        for k, row in enumerate(rows):
            np.testing.assert_array_equal(block[k], ds.read_spectrum(int(row)))


def test_pickled_dataset_reopens_its_file(release):
    path, written = release
    ds = ReleaseDataset(path)
    ds.read_image(0)
    clone = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(clone.read_spectrum(2), written["0"]["spectra"][2])
    ds.close()
    clone.close()


def test_dataloader_workers_read_correct_rows(release):
    torch = pytest.importorskip("torch")
    path, _ = release
    ds = ReleaseDataset(path)
    ds.read_image(0)  # the parent holds an open handle before the fork
    loader = torch.utils.data.DataLoader(
        ds, batch_size=4, num_workers=2, collate_fn=lambda batch: [s.targetid for s in batch],
        multiprocessing_context="fork")
    ids = [t for batch in loader for t in batch]
    np.testing.assert_array_equal(ids, ds.targetids)
    ds.close()


def test_sidecar_properties_are_joined(tmp_path):
    path = tmp_path / "survey.h5"
    written = write_release(path, {"0": 6}, size=8)
    ids = written["0"]["targetids"]
    table = property_table(ids[:4])  # two targets have no properties
    table.write(sidecar_properties_path(path), path="data", format="hdf5")
    with ReleaseDataset(path) as ds:
        assert ds.joined.n_matched == 4
        assert set(ds.properties) == {"log_mstar", "log_z_mw", "t_age", "log_ssfr"}
        np.testing.assert_allclose(ds.properties["log_mstar"][:4], table["PROVABGS_LOGMSTAR_BF"],
                                   rtol=1e-6)
        assert np.isnan(ds.properties["log_mstar"][4:]).all()
        assert ds[5].properties == {}
        expected = np.log10(table["AVG_SFR"][1]) - table["PROVABGS_LOGMSTAR_BF"][1]
        assert ds[1].properties["log_ssfr"] == pytest.approx(expected, rel=1e-5)
    with ReleaseDataset(path, auto_properties=False) as ds:
        assert ds.properties == {}


# -- bad input ---------------------------------------------------------------------------------


def _copy_with(tmp_path: Path, source: Path, edit) -> Path:
    target = tmp_path / "edited.h5"
    target.write_bytes(source.read_bytes())
    with h5py.File(target, "r+") as f:
        edit(f)
    return target


def _replace(f: h5py.File, key: str, data: np.ndarray) -> None:
    del f[key]
    f[key] = data


@pytest.mark.parametrize(("edit", "key", "words"), [
    (lambda f: f["0"].__delitem__("spectra"), "0/spectra", "missing dataset"),
    (lambda f: _replace(f, "0/images", np.zeros((10, 12, 12, 3), "f8")), "0/images", "float32"),
    (lambda f: _replace(f, "0/images", np.zeros((10, 12, 10, 3), "f4")), "0/images",
     "(n, S, S, 3)"),
    (lambda f: _replace(f, "2/spectra", np.zeros((5, 7780, 1), "f4")), "2/spectra", "7781"),
    (lambda f: _replace(f, "0/redshifts", np.zeros(9, "f4")), "0/redshifts", "shape"),
    (lambda f: _replace(f, "0/targetids", np.zeros(10, "f8")), "0/targetids", "integer"),
])
def test_layout_errors_name_file_key_and_expectation(tmp_path, release, edit, key, words):
    path = _copy_with(tmp_path, release[0], edit)
    with pytest.raises(DataFormatError) as info:
        ReleaseDataset(path)
    assert info.value.key == key and words in str(info.value) and str(path) in str(info.value)


def test_no_numeric_groups_is_a_clear_error(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["images"] = np.zeros((2, 4, 4, 3), "f4")
    with pytest.raises(DataFormatError, match=r"groups '0'\.\.'9'"):
        ReleaseDataset(path)


def test_truncated_and_non_hdf5_files(tmp_path, release):
    data = release[0].read_bytes()
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError) as info:
        ds = ReleaseDataset(truncated)
        for i in range(len(ds)):  # if the header survived, the rows cannot
            ds[i]
    assert str(truncated) in str(info.value)
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(DataFormatError, match="HDF5"):
        ReleaseDataset(text)
    with pytest.raises(DataFormatError, match="no such file"):
        ReleaseDataset(tmp_path / "missing.h5")


def test_all_zero_and_nan_rows_are_returned_as_is(tmp_path):
    path = tmp_path / "zeros.h5"
    write_release(path, {"0": 4}, size=8)
    with h5py.File(path, "r+") as f:
        f["0/spectra"][1] = 0.0
        images = f["0/images"][2]
        images[0, 0, 0] = np.nan
        f["0/images"][2] = images
    with ReleaseDataset(path) as ds:
        assert not ds.read_spectrum(1).any()
        assert np.isnan(ds.read_image(2)).sum() == 1
