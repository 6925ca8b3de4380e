"""Fuzz: corrupt HDF5 / FITS bytes give a DataFormatError or a valid result, nothing else."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from astroclip_engine.data.desi_fits import read_desi_coadd
from astroclip_engine.data.legacy_fits import read_legacy_cutout
from astroclip_engine.data.open import describe, open_dataset
from astroclip_engine.errors import DataFormatError
from tests.engine.test_data_builders import write_coadd, write_cutout, write_release

FUZZ = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    write_release(folder / "r.h5", {"0": 3}, size=4)
    write_coadd(folder / "coadd-f.fits", n=1, arms={"B": (3600.0, 3680.0),
                                                    "R": (3640.0, 3720.0),
                                                    "Z": (3700.0, 3800.0)})
    write_cutout(folder / "c.fits", shape=(3, 8, 8))
    return {name: (folder / name).read_bytes() for name in ("r.h5", "coadd-f.fits", "c.fits")}


def mutations(header_bytes: int) -> st.SearchStrategy:
    """Byte overwrites (mostly in the metadata at the start) and an optional truncation."""
    offsets = st.one_of(st.integers(0, header_bytes), st.integers(0, 10**6))
    return st.tuples(st.lists(st.tuples(offsets, st.integers(0, 255)), min_size=1, max_size=6),
                     st.one_of(st.none(), st.floats(0.0, 1.0)))


def corrupt(data: bytes, edits: tuple[list[tuple[int, int]], float | None]) -> bytes:
    raw = bytearray(data)
    for offset, value in edits[0]:
        raw[offset % len(raw)] = value
    if edits[1] is not None:
        raw = raw[: int(len(raw) * edits[1])]
    return bytes(raw)


def only_format_errors(call, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy warns about the damage it tolerates
        try:
            call(path)
        except DataFormatError as exc:
            assert path.name in str(exc)  # the message names the file


@FUZZ
@given(edits=mutations(4096))
def test_corrupt_release(tmp_path, originals, edits):
    path = tmp_path / "r.h5"
    path.write_bytes(corrupt(originals["r.h5"], edits))

    def read_all(p: Path) -> None:
        ds = open_dataset(p)
        for i in range(len(ds)):
            ds[i]
        ds.close()

    only_format_errors(read_all, path)
    only_format_errors(describe, path)


@FUZZ
@given(edits=mutations(2880 * 4))
def test_corrupt_coadd(tmp_path, originals, edits):
    path = tmp_path / "coadd-f.fits"
    path.write_bytes(corrupt(originals["coadd-f.fits"], edits))
    only_format_errors(read_desi_coadd, path)
    only_format_errors(describe, path)


@FUZZ
@given(edits=mutations(2880))
def test_corrupt_cutout(tmp_path, originals, edits):
    path = tmp_path / "c.fits"
    path.write_bytes(corrupt(originals["c.fits"], edits))
    only_format_errors(lambda p: read_legacy_cutout(p, size=4), path)
    only_format_errors(describe, path)


def test_corruption_is_not_silently_accepted(tmp_path, originals):
    """A destroyed HDF5 superblock is always an error (the fuzz tests above can pass on luck)."""
    path = tmp_path / "r.h5"
    path.write_bytes(bytes(64) + originals["r.h5"][64:])
    with pytest.raises(DataFormatError):
        open_dataset(path)
    assert np.frombuffer(path.read_bytes()[:8], np.uint8).sum() == 0
