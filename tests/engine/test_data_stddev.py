"""Spectrum stddev: streamed result equals a direct computation; skips; IO; `astroclip stddev`."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from astroclip_engine.cli import main
from astroclip_engine.data.release import ReleaseDataset
from astroclip_engine.data.stddev import (
    RunningMoments,
    load_spectrum_stddev,
    save_spectrum_stddev,
    spectrum_stddev_stats,
)
from astroclip_engine.errors import DataFormatError, JobCancelled
from astroclip_engine.jobs import CancelToken
from tests.engine.test_data_builders import write_release


@pytest.fixture()
def release(tmp_path):
    path = tmp_path / "survey.h5"
    write_release(path, {"0": 20, "1": 10}, size=4, seed=5)
    with h5py.File(path, "r+") as f:
        f["0/spectra"][2] = 0.0  # all zero: skipped
        f["1/spectra"][1] = 3.0  # constant: skipped as invalid
        f["0/spectra"][18] = 0.0  # test row: never read
        spectra = f["1/spectra"][3]
        spectra[::7] *= np.linspace(1, 30, len(spectra[::7]))[:, None]  # structure across bins
        f["1/spectra"][3] = spectra
    return path


def _direct(ds: ReleaseDataset) -> np.ndarray:
    rows = [ds.read_spectrum(int(i)).astype(np.float64) for i in ds.split_indices("train")]
    rows = [r for r in rows if r.any() and r.std() > 0]
    z = np.stack([(r - r.mean()) / r.std() for r in rows])
    return z.std(axis=0, ddof=1)


def test_streamed_stddev_equals_direct_computation(release):
    with ReleaseDataset(release) as ds:
        events = []
        result = spectrum_stddev_stats(ds, reporter=events.append, block_size=5)
        np.testing.assert_allclose(result.stddev, _direct(ds), rtol=1e-5)
    assert (result.n_used, result.n_zero, result.n_invalid) == (22, 1, 1)
    assert result.stddev.shape == (7781,) and result.stddev.dtype == np.float32
    assert events[-1].current == events[-1].total == 24


def test_running_moments_merge_matches_numpy():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(50, 3)) * [1, 5, 0.1]
    moments = RunningMoments(3)
    for start, stop in ((0, 7), (7, 8), (8, 31), (31, 50)):
        moments.add(data[start:stop])
    np.testing.assert_allclose(moments.std(), data.std(axis=0, ddof=1), rtol=1e-12)


def test_max_rows_and_cancel(release):
    with ReleaseDataset(release) as ds:
        result = spectrum_stddev_stats(ds, max_rows=6)
        assert result.n_used + result.n_zero + result.n_invalid == 6
        token = CancelToken()
        token.cancel()
        with pytest.raises(JobCancelled):
            spectrum_stddev_stats(ds, cancel=token)


def test_too_few_usable_spectra(tmp_path):
    path = tmp_path / "zeros.h5"
    write_release(path, {"0": 3}, size=4)
    with h5py.File(path, "r+") as f:
        f["0/spectra"][:] = 0.0
    with ReleaseDataset(path) as ds, pytest.raises(DataFormatError, match="usable"):
        spectrum_stddev_stats(ds)


@pytest.mark.parametrize("name", ["std.npy", "std.h5"])
def test_save_load_roundtrip_and_validation(release, tmp_path, name):
    with ReleaseDataset(release) as ds:
        result = spectrum_stddev_stats(ds)
    out = save_spectrum_stddev(tmp_path / name, result, source="survey.h5")
    np.testing.assert_array_equal(load_spectrum_stddev(out), result.stddev)
    assert not list(tmp_path.glob(".*tmp"))  # the atomic writer left no temporary files
    if name.endswith(".h5"):
        with h5py.File(out) as f:
            assert f.attrs["n_used"] == 22 and f.attrs["source"] == "survey.h5"


def test_load_rejects_bad_files(tmp_path):
    np.save(tmp_path / "short.npy", np.ones(100, np.float32))
    with pytest.raises(DataFormatError, match="7781"):
        load_spectrum_stddev(tmp_path / "short.npy")
    np.save(tmp_path / "neg.npy", -np.ones(7781, np.float32))
    with pytest.raises(DataFormatError, match="non-negative"):
        load_spectrum_stddev(tmp_path / "neg.npy")
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY junk")
    with pytest.raises(DataFormatError, match=r"junk\.npy"):
        load_spectrum_stddev(tmp_path / "junk.npy")
    with pytest.raises(DataFormatError, match="astroclip stddev"):
        load_spectrum_stddev(tmp_path / "absent.npy")


def test_stddev_command(release, tmp_path, capsys):
    out = tmp_path / "stddev.npy"
    assert main(["stddev", str(release), "--out", str(out), "--max-rows", "10"]) == 0
    assert "spectra used" in capsys.readouterr().out
    assert load_spectrum_stddev(out).shape == (7781,)
