"""open_dataset / describe / `astroclip info`: format detection and summaries of every format."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from astroclip_engine.cli import main
from astroclip_engine.data.open import describe, detect_format, open_dataset
from astroclip_engine.data.parquet import ParquetDataset
from astroclip_engine.data.provabgs import sidecar_properties_path
from astroclip_engine.data.release import ReleaseDataset
from astroclip_engine.errors import DataFormatError
from tests.engine.test_data_builders import (
    make_pairs,
    property_table,
    write_cutout,
    write_parquet,
    write_release,
    write_save_to_disk,
)


@pytest.fixture()
def release(tmp_path):
    path = tmp_path / "survey.h5"
    write_release(path, {"0": 10, "1": 5}, size=8)
    with h5py.File(path, "r+") as f:
        f["0/spectra"][3] = 0.0  # an all-zero spectrum
        f["1/redshifts"][0] = 1.5  # outside 0-0.8
        f["0/spectra"][4, 100, 0] = np.inf
        img = f["1/images"][2]
        img[1, 1, 1] = np.nan
        f["1/images"][2] = img
    return path


def test_detects_every_format(tmp_path, release, realdata):
    write_parquet(tmp_path / "hub.parquet", make_pairs(3, size=6))
    write_save_to_disk(tmp_path / "saved", [make_pairs(3, size=6)])
    property_table(np.arange(3)).write(tmp_path / "props.fits")
    write_cutout(tmp_path / "cut.fits")
    spectra = realdata / "desi_spectra"
    assert detect_format(release) == "hdf5-release"
    assert detect_format(tmp_path / "hub.parquet") == "parquet"
    assert detect_format(tmp_path / "saved") == "arrow"
    assert detect_format(tmp_path / "props.fits") == "property-table"
    assert detect_format(tmp_path / "cut.fits") == "legacy-cutout"
    assert detect_format(spectra / "coadd-4-80613-thru20210324.fits") == "desi-coadd"
    assert isinstance(open_dataset(release), ReleaseDataset)
    assert isinstance(open_dataset(tmp_path / "saved"), ParquetDataset)
    with pytest.raises(DataFormatError, match="not a paired"):
        open_dataset(tmp_path / "cut.fits")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataFormatError, match="unrecognised"):
        detect_format(tmp_path / "notes.txt")
    with pytest.raises(DataFormatError, match="neither"):
        detect_format(spectra / "stack-LRG.fits")


def test_describe_release_counts_quality_problems(release):
    property_table([1000, 1001, 2004]).write(sidecar_properties_path(release), path="data")
    info = describe(release)
    assert info["format"] == "hdf5-release" and info["rows"] == 15
    assert info["groups"] == {"0": 10, "1": 5}
    assert (info["train"], info["test"]) == (12, 3)
    assert info["image_shape"] == [3, 8, 8] and info["spectrum_length"] == 7781
    assert info["redshift"]["outside_range"] == 1 and info["redshift"]["max"] == 1.5
    quality = info["quality"]
    assert quality["exact"] and quality["rows_checked"] == 15
    assert quality["zero_spectra"] == 1 and quality["nonfinite_spectra"] == 1
    assert quality["nonfinite_images"] == 1 and quality["nonfinite_image_pixels"] == 1
    assert info["properties"]["matched"] == 3
    sampled = describe(release, sample=5)["quality"]
    assert not sampled["exact"] and sampled["rows_checked"] == 5
    json.dumps(info)


def test_describe_single_objects(realdata, tmp_path):
    coadd = describe(realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits")
    assert coadd["format"] == "desi-coadd" and coadd["targets"] == 1
    assert coadd["objects"][0]["redshift"] == pytest.approx(0.36874, abs=1e-5)
    cut = describe(realdata / "legacysurvey" / "astroclip_dr9_grz_357.9087_-54.8817.fits")
    assert cut["image_shape"] == [3, 256, 256] and cut["crop_shape"] == [3, 152, 152]
    assert not cut["nonfinite_pixels_replaced"]
    property_table(np.arange(4)).write(tmp_path / "p.hdf5", path="data")
    table = describe(tmp_path / "p.hdf5")
    assert table["format"] == "property-table" and table["kept"] == 4
    with pytest.raises(DataFormatError, match=r"\(3, H, W\)"):
        describe(realdata / "legacysurvey" / "astroquery_ls_g_166.1125_38.2089.fits")


def test_info_command_text_and_json(release, capsys):
    assert main(["info", str(release)]) == 0
    out = capsys.readouterr().out
    assert "hdf5-release" in out and "zero spectra: 1" in out
    assert main(["info", str(release), "--json", "--sample", "4"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["quality"]["rows_checked"] == 4
    assert main(["info", str(release.with_name("nothing.h5"))]) == 2
    assert "no such file" in capsys.readouterr().err


def test_mock_survey_opens_with_its_sidecar_properties(request):
    pytest.importorskip("astroclip_engine.data.mock")
    path = request.getfixturevalue("mock_survey")
    with open_dataset(path) as ds:
        assert len(ds) == 64 and ds.image_size == 152
        assert ds.joined.path is not None and ds.joined.n_matched > 0
        sample = ds[0]
        assert sample.image.shape == (3, 152, 152) and sample.spectrum.shape == (7781,)
    info = describe(path, sample=8)
    assert info["rows"] == 64 and info["properties"]["matched"] > 0
