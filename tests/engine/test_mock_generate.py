"""generate_mock: the release layout, the property table, determinism, groups, cancel, progress."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from astropy.table import Table

from astroclip_engine.constants import N_SPECTRUM_BINS
from astroclip_engine.data.mock import BLOCK_SIZE, generate_mock, mock_properties_path
from astroclip_engine.errors import DataFormatError, JobCancelled
from astroclip_engine.jobs import CancelToken, Progress

SIZE = 32
REQUIRED = ["TARGETID", "Z_HP", "PROVABGS_LOGMSTAR_BF", "Z_MW", "TAGE_MW", "AVG_SFR",
            "MAG_G", "MAG_R", "MAG_Z", "RA", "DEC"]


def _read_all(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        groups = sorted(f.keys(), key=int)
        return {key: np.concatenate([f[g][key][:] for g in groups])
                for key in ("images", "spectra", "redshifts", "targetids")}


@pytest.fixture(scope="module")
def small_mock(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mockgen") / "small.h5"
    events: list[Progress] = []
    generate_mock(path, n=70, seed=11, image_size=SIZE, reporter=events.append)
    assert events[-1].current == events[-1].total == 70
    return path


def test_release_layout(small_mock: Path) -> None:
    with h5py.File(small_mock, "r") as f:
        assert list(f.keys()) == ["0"]
        g = f["0"]
        assert g["images"].shape == (70, SIZE, SIZE, 3) and g["images"].dtype == np.float32
        assert g["spectra"].shape == (70, N_SPECTRUM_BINS, 1) and g["spectra"].dtype == np.float32
        assert g["redshifts"].dtype == np.float32 and g["targetids"].dtype == np.int64
        ids = g["targetids"][:]
    assert len(np.unique(ids)) == 70 and (ids > 0).all()


def test_property_table_matches_release(small_mock: Path) -> None:
    table = Table.read(mock_properties_path(small_mock), path="provabgs")
    assert mock_properties_path(small_mock).name == "small.provabgs.hdf5"
    for name in REQUIRED:
        assert name in table.colnames
    assert table["TARGETID"].dtype == np.int64
    data = _read_all(small_mock)
    np.testing.assert_array_equal(table["TARGETID"], data["targetids"])
    np.testing.assert_allclose(table["Z_HP"], data["redshifts"], rtol=1e-6)
    assert (table["PROVABGS_LOGMSTAR_BF"] > 8).all() and (table["PROVABGS_LOGMSTAR_BF"] < 13).all()
    assert (table["Z_MW"] > 0).all() and (table["Z_MW"] < 0.06).all()
    assert (table["TAGE_MW"] > 0).all() and (table["TAGE_MW"] < 13.8).all()
    assert (table["AVG_SFR"] >= 0).all()
    for band in "GRZ":
        assert np.isfinite(table[f"MAG_{band}"]).all()


def test_groups_and_batches_do_not_change_the_data(small_mock: Path, tmp_path: Path) -> None:
    path = tmp_path / "grouped.h5"
    generate_mock(path, n=70, seed=11, image_size=SIZE, group_size=30)
    with h5py.File(path, "r") as f:
        assert sorted(f.keys()) == ["0", "1", "2"]
        assert [f[k]["targetids"].shape[0] for k in ("0", "1", "2")] == [30, 30, 10]
    a, b = _read_all(small_mock), _read_all(path)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_seed_changes_the_data_and_prefix_physics_is_stable(tmp_path: Path,
                                                             small_mock: Path) -> None:
    other = tmp_path / "other.h5"
    generate_mock(other, n=BLOCK_SIZE, seed=12, image_size=SIZE)
    assert not np.array_equal(_read_all(other)["redshifts"],
                              _read_all(small_mock)["redshifts"][:BLOCK_SIZE])
    same = tmp_path / "same.h5"
    generate_mock(same, n=BLOCK_SIZE, seed=11, image_size=SIZE)
    np.testing.assert_array_equal(_read_all(same)["redshifts"],
                                  _read_all(small_mock)["redshifts"][:BLOCK_SIZE])


def test_cancel_leaves_no_files(tmp_path: Path) -> None:
    token = CancelToken()
    out = tmp_path / "cancelled.h5"

    def reporter(progress: Progress) -> None:
        if progress.current >= BLOCK_SIZE:
            token.cancel()

    with pytest.raises(JobCancelled):
        generate_mock(out, n=3 * BLOCK_SIZE, image_size=SIZE, reporter=reporter, cancel=token)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("kwargs", "key"), [({"n": 0}, "n"), ({"n": 5, "image_size": 4},
                                                                 "image_size"),
                                              ({"n": 5, "group_size": 0}, "group_size")])
def test_bad_arguments(tmp_path: Path, kwargs: dict, key: str) -> None:
    with pytest.raises(DataFormatError) as err:
        generate_mock(tmp_path / "bad.h5", **kwargs)
    assert err.value.key == key


def test_cli_writes_files_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from astroclip_engine.cli import main

    out = tmp_path / "cli.h5"
    code = main(["mock", str(out), "--n", "20", "--seed", "2", "--size", "24",
                 "--group-size", "8", "--check"])
    printed = capsys.readouterr().out
    assert str(out) in printed and str(mock_properties_path(out)) in printed
    assert "| check |" in printed
    assert code in (0, 1)  # 20 galaxies are too few for every statistic to pass reliably
    with h5py.File(out, "r") as f:
        assert sorted(f.keys()) == ["0", "1", "2"]
