"""ParquetDataset: hub parquet files, folders of shards, save_to_disk folders, bad input."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from astroclip_engine.data.parquet import ParquetDataset
from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.errors import DataFormatError
from tests.engine.test_data_builders import (
    HFArrayType,
    hub_table,
    make_pairs,
    write_parquet,
    write_save_to_disk,
)


def _check_rows(ds: ParquetDataset, data: dict, offset: int = 0) -> None:
    for i in range(len(data["targetids"])):
        np.testing.assert_array_equal(ds.read_image(offset + i), data["images"][i])
        np.testing.assert_array_equal(ds.read_spectrum(offset + i), data["spectra"][i])


def test_single_file_with_hf_extension_metadata(tmp_path):
    data = make_pairs(10, size=8)
    path = write_parquet(tmp_path / "train-00000-of-00001.parquet", data, row_group_size=4)
    field = pq.ParquetFile(path).schema_arrow.field("image")
    assert field.metadata[b"ARROW:extension:name"] == \
        b"datasets.features.features.Array3DExtensionType"
    with ParquetDataset(path) as ds:
        assert isinstance(ds, PairedDataset)
        assert len(ds) == 10 and ds.image_size == 8
        _check_rows(ds, data)
        np.testing.assert_array_equal(ds.targetids, data["targetids"])
        np.testing.assert_allclose(ds.redshifts, data["redshifts"])
        np.testing.assert_array_equal(ds.split_indices("train"), np.arange(8))
        np.testing.assert_array_equal(ds.split_indices("test"), [8, 9])
        sample = ds[-1]
        assert sample.targetid == data["targetids"][-1] and sample.image.shape == (3, 8, 8)
        np.testing.assert_array_equal(ds.read_spectra(np.arange(10)), data["spectra"])


def test_registered_extension_type_is_read_too(tmp_path):
    data = make_pairs(5, size=6, seed=3)
    path = write_parquet(tmp_path / "a.parquet", data)
    pa.register_extension_type(HFArrayType((1, 2, 3)))
    pa.register_extension_type(HFArrayType((1, 2)))
    try:
        assert isinstance(pq.read_table(path).column("image").type, pa.ExtensionType)
        with ParquetDataset(path) as ds:
            _check_rows(ds, data)
    finally:
        pa.unregister_extension_type("datasets.features.features.Array3DExtensionType")
        pa.unregister_extension_type("datasets.features.features.Array2DExtensionType")


def test_plain_nested_lists_without_metadata(tmp_path):
    data = make_pairs(4, size=6, seed=4)
    path = write_parquet(tmp_path / "plain.parquet", data, extension=False)
    with ParquetDataset(path) as ds:
        assert ds.image_shape == (6, 6, 3)
        _check_rows(ds, data)


def test_folder_of_shards_in_name_order(tmp_path):
    parts = [make_pairs(3, size=6, seed=k, first_id=100 * k) for k in range(3)]
    folder = tmp_path / "data"
    folder.mkdir()
    for k, part in enumerate(parts):
        write_parquet(folder / f"train-{k:05d}-of-00003-abc.parquet", part, row_group_size=2)
    with ParquetDataset(tmp_path) as ds:  # shards found recursively
        assert len(ds) == 9
        for k, part in enumerate(parts):
            _check_rows(ds, part, offset=3 * k)
        np.testing.assert_array_equal(ds.read_spectra(np.array([2, 3, 4, 8])),
                                      np.stack([parts[0]["spectra"][2], parts[1]["spectra"][0],
                                                parts[1]["spectra"][1], parts[2]["spectra"][2]]))


def test_save_to_disk_folder(tmp_path):
    parts = [make_pairs(5, size=6, seed=k, first_id=100 * k) for k in range(2)]
    folder = write_save_to_disk(tmp_path / "saved", parts)
    with ParquetDataset(folder) as ds:
        assert len(ds) == 10
        _check_rows(ds, parts[0])
        _check_rows(ds, parts[1], offset=5)


def test_missing_column_and_wrong_shapes(tmp_path):
    data = make_pairs(3, size=6)
    table = hub_table(data).drop_columns(["spectrum"])
    pq.write_table(table, tmp_path / "nospec.parquet")
    with pytest.raises(DataFormatError) as info:
        ParquetDataset(tmp_path / "nospec.parquet")
    assert info.value.key == "spectrum" and "missing column" in str(info.value)

    short = dict(data, spectra=data["spectra"][:, :100])
    write_parquet(tmp_path / "short.parquet", short)
    with pytest.raises(DataFormatError, match="7781"):
        ParquetDataset(tmp_path / "short.parquet")

    table = hub_table(data).set_column(0, "image", pa.array([1.0, 2.0, 3.0]))
    pq.write_table(table, tmp_path / "flat.parquet")
    with pytest.raises(DataFormatError, match="nested list") as info:
        ParquetDataset(tmp_path / "flat.parquet")
    assert info.value.key == "image"


def test_row_with_wrong_element_count_is_caught_on_read(tmp_path):
    data = make_pairs(3, size=4)
    table = hub_table(data, extension=False)
    bad = table.column("image").combine_chunks().to_pylist()
    bad[1] = bad[1][:-1]  # one x-column short
    table = table.set_column(0, "image", pa.array(bad, table.schema.field("image").type))
    pq.write_table(table, tmp_path / "ragged.parquet", row_group_size=1)
    with ParquetDataset(tmp_path / "ragged.parquet") as ds:
        ds.read_image(0)
        with pytest.raises(DataFormatError, match="shape"):
            ds.read_image(1)


def test_truncated_parquet_and_empty_folder(tmp_path):
    path = write_parquet(tmp_path / "t.parquet", make_pairs(4, size=6))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 100])
    with pytest.raises(DataFormatError) as info:
        ParquetDataset(path)
    assert str(path) in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match=r"no \.parquet"):
        ParquetDataset(tmp_path / "empty")
    (tmp_path / "bad_state").mkdir()
    (tmp_path / "bad_state" / "state.json").write_text(json.dumps({"nothing": 1}))
    with pytest.raises(DataFormatError, match=r"state\.json"):
        ParquetDataset(tmp_path / "bad_state")
