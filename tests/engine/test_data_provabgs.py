"""PropertyTable: quality cuts, derived properties (sSFR = SFR / M*), exact join, formats."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from astropy.table import Table

from astroclip_engine.data.provabgs import PropertyTable
from astroclip_engine.errors import DataFormatError


def _table() -> Table:
    return Table({
        "TARGETID": np.array([5, 3, 9, 7, 11, 3], dtype=np.int64),
        "PROVABGS_LOGMSTAR_BF": [10.0, 11.0, -1.0, 9.5, 10.5, 8.0],
        "MAG_G": [19.0, 20.0, 19.0, 19.0, -99.0, 19.0],
        "MAG_R": [18.0] * 6,
        "MAG_Z": [17.0] * 6,
        "Z_MW": [0.02, 0.01, 0.02, -1.0, 0.02, 0.02],
        "TAGE_MW": [5.0, 9.0, 1.0, 2.0, 3.0, 4.0],
        "AVG_SFR": [1.0, 0.0, 1.0, 10.0, 1.0, 1.0],
    })


@pytest.mark.parametrize("suffix", [".fits", ".hdf5"])
def test_cuts_derivations_and_join(tmp_path, suffix):
    path = tmp_path / f"provabgs{suffix}"
    kwargs = {"path": "data"} if suffix == ".hdf5" else {}
    _table().write(path, **kwargs)
    table = PropertyTable.read(path)
    assert table.n_rows == 6
    # TARGETID 9 fails log M* > 0, 11 fails MAG_G > 0; duplicate 3 keeps its first row
    np.testing.assert_array_equal(table.targetids, [3, 5, 7])
    joined = table.join(np.array([7, 5, 42, 3]))
    np.testing.assert_allclose(joined["log_mstar"], [9.5, 10.0, np.nan, 11.0])
    np.testing.assert_allclose(joined["log_z_mw"], [np.nan, np.log10(0.02), np.nan, -2.0],
                               rtol=1e-6)
    np.testing.assert_allclose(joined["t_age"], [2.0, 5.0, np.nan, 9.0])
    # sSFR = SFR / M* (not divided by metallicity); SFR = 0 is non-physical in log -> NaN
    np.testing.assert_allclose(joined["log_ssfr"], [1.0 - 9.5, -10.0, np.nan, np.nan],
                               rtol=1e-6)
    assert all(col.dtype == np.float32 for col in joined.values())
    np.testing.assert_array_equal(table.match(np.array([3, 4, 7])), [0, -1, 2])


def test_hdf5_column_per_dataset_layout(tmp_path):
    path = tmp_path / "columns.hdf5"
    with h5py.File(path, "w") as f:
        for name, col in _table().columns.items():
            f[name] = np.asarray(col)
    assert len(PropertyTable.read(path).targetids) == 3


def test_optional_columns_missing_give_nan(tmp_path):
    path = tmp_path / "basic.fits"
    _table()["TARGETID", "PROVABGS_LOGMSTAR_BF", "MAG_G", "MAG_R", "MAG_Z"].write(path)
    joined = PropertyTable.read(path).join(np.array([5]))
    assert joined["log_mstar"][0] == 10.0
    assert np.isnan(joined["log_ssfr"][0]) and np.isnan(joined["t_age"][0])


def test_missing_required_column_and_corrupt_file(tmp_path):
    path = tmp_path / "nomass.fits"
    _table()["TARGETID", "MAG_G", "MAG_R", "MAG_Z"].write(path)
    with pytest.raises(DataFormatError, match="PROVABGS_LOGMSTAR_BF") as info:
        PropertyTable.read(path)
    assert info.value.key == "PROVABGS_LOGMSTAR_BF"
    bad = tmp_path / "bad.fits"
    bad.write_bytes(b"SIMPLE  = garbage" * 10)
    with pytest.raises(DataFormatError, match="PROVABGS"):
        PropertyTable.read(bad)


def test_astropy_hdf5_table_read_without_astropy_matches_astropy(tmp_path, monkeypatch):
    """A plain astropy-written HDF5 table is read with h5py alone (fast start-up), with the
    same result as astropy's reader; a masked table still goes through astropy (mask applied)."""
    from astroclip_engine.data import provabgs

    plain = tmp_path / "plain.hdf5"
    _table().write(plain, path="data", serialize_meta=True)
    fast = PropertyTable.read(plain).join(np.array([7, 5, 3]))
    monkeypatch.setattr(provabgs, "_plain_compound_table", lambda f: None)
    slow = PropertyTable.read(plain).join(np.array([7, 5, 3]))
    monkeypatch.undo()
    for name in slow:
        np.testing.assert_array_equal(fast[name], slow[name])

    masked = tmp_path / "masked.hdf5"
    table = Table(_table(), masked=True)
    table["PROVABGS_LOGMSTAR_BF"].mask = [True, False, False, False, False, False]
    table.write(masked, path="data", serialize_meta=True)
    with h5py.File(masked) as f:
        assert provabgs._plain_compound_table(f) is None
    assert 5 not in PropertyTable.read(masked).targetids  # masked log M* fails the cut
