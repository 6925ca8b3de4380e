"""Published embedding files: `astroclip info` names them, `astroclip import` makes a project
whose store evaluation reads; only the needed columns are read (npz members memory-mapped)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from astroclip_engine.errors import DataFormatError
from astroclip_engine.project import Project
from astroclip_engine.published_embeddings import open_published, read_column
from astroclip_engine.store import EmbeddingStore
from tests.published_files import write_official_hdf5, write_official_table, write_seed_b_npz


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("published")
    return {"hdf5-datasets": write_official_hdf5(folder / "astroclip_embeddings.hdf5"),
            "hdf5-table": write_official_table(folder / "provabgs_paired_test_embeddings.hdf5",
                                               n=80),
            "npz": write_seed_b_npz(folder / "embeddings-main.npz")}


def test_info_names_layout_rows_and_keys(files, capsys) -> None:
    from astroclip_engine.cli import main

    expected = {"hdf5-datasets": (40, 32, "image_embeddings"),
                "hdf5-table": (80, 32, "astroclip_image_embeddings"),
                "npz": (40, 16, "im_embeddings")}
    for layout, path in files.items():
        assert main(["info", str(path), "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        rows, dim, image_key = expected[layout]
        assert (info["layout"], info["rows"], info["embedding_dim"]) == (layout, rows, dim)
        assert info["columns"]["image"] == image_key
    npz = open_published(files["npz"])
    assert npz.columns["spectrum"] == "spectra" and "source_spec" in npz.keys
    assert npz.keys["images"] == ((40, 8, 8, 3), "float32")


def test_npz_columns_are_memory_mapped_and_compressed_members_read_alone(files,
                                                                        tmp_path) -> None:
    data = open_published(files["npz"])
    column = read_column(data, "image")
    assert isinstance(column, np.memmap)
    with np.load(files["npz"], allow_pickle=False) as reference:
        np.testing.assert_array_equal(column, reference["im_embeddings"])
        np.testing.assert_array_equal(read_column(data, "redshift"), reference["redshifts"])
        packed = tmp_path / "packed.npz"
        np.savez_compressed(packed, **{k: reference[k] for k in reference.files})
    packed_data = open_published(packed)
    np.testing.assert_array_equal(read_column(packed_data, "spectrum"),
                                  read_column(data, "spectrum"))


def test_import_makes_a_project_that_evaluation_reads(files, tmp_path, capsys) -> None:
    from astroclip_engine.cli import main

    out = tmp_path / "project"
    assert main(["import", str(files["hdf5-table"]), "--out", str(out)]) == 0
    project = Project.load(out)
    with EmbeddingStore(project.store) as store, h5py.File(files["hdf5-table"]) as f:
        table = f["__astropy_table__"][:]
        np.testing.assert_array_equal(store.targetids, table["targetid"])
        np.testing.assert_allclose(store.redshift, table["Z_HP"], rtol=1e-6)
        image = table["astroclip_image_embeddings"]
        np.testing.assert_allclose(store.embeddings("image")[:],
                                   image / np.linalg.norm(image, axis=1, keepdims=True),
                                   rtol=1e-5)
        props = store.properties()
        np.testing.assert_allclose(props["log_mstar"], table["LOG_MSTAR"], rtol=1e-6)
        np.testing.assert_allclose(props["log_z_mw"], table["Z_MW"] / np.log(10), rtol=1e-5)
        np.testing.assert_allclose(
            props["log_ssfr"], np.log10(table["AVG_SFR"]) - table["LOG_MSTAR"], rtol=1e-5)
        assert set(np.unique(store.split)) == {0, 1}
    capsys.readouterr()
    assert main(["evaluate", str(project.store), "--out", str(tmp_path / "report"),
                 "--no-few-shot", "--no-image-baseline"]) == 0
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert "log_mstar" in json.dumps(report)


def test_files_without_embedding_columns_are_refused(tmp_path) -> None:
    path = tmp_path / "other.hdf5"
    with h5py.File(path, "w") as f:
        f.create_dataset("image", data=np.zeros((4, 3, 8, 8), "f4"))
    with pytest.raises(DataFormatError, match="no image and spectrum embedding columns"):
        open_published(path)


def test_pickled_object_arrays_in_an_npz_are_never_loaded(tmp_path) -> None:
    from astroclip_engine.import_embeddings import import_embeddings

    path = tmp_path / "hostile.npz"
    np.savez(path, im_embeddings=np.zeros((3, 4), "f4"),
             spectra=np.array([[print] * 4] * 3, dtype=object), targetid=np.arange(3))
    with pytest.raises(DataFormatError, match="object"):
        import_embeddings(path, tmp_path / "project")
    assert not (tmp_path / "project" / "embeddings.h5").exists()
