"""The explorer opens projects made from published files and queries them with seed models."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from astroclip_engine.project import Project
from tests.gui.windows import open_window
from tests.published_files import write_official_table, write_seed_a, write_seed_b_npz

N_ROWS = 60


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from astroclip_engine.cli import main

    folder = tmp_path_factory.mktemp("published")
    sources = {"table": write_official_table(folder / "provabgs_paired_test_embeddings.hdf5",
                                             n=N_ROWS),
               "npz": write_seed_b_npz(folder / "embeddings-main.npz", n=N_ROWS)}
    projects = {}
    for name, source in sources.items():
        out = folder / f"{name}-project"
        assert main(["import", str(source), "--out", str(out), "--umap"]) == 0
        projects[name] = out
    return projects


@pytest.mark.parametrize("kind", ["table", "npz"])
def test_imported_project_opens_with_map_and_search(qtbot, tmp_path, imported, kind) -> None:
    window = open_window(qtbot, tmp_path / "settings", imported[kind])
    loaded = window.state.loaded
    assert loaded.n == N_ROWS and "image" in loaded.maps
    assert window.map_view.base.data.shape[0] == N_ROWS
    if kind == "table":
        assert {"redshift", "log_mstar", "t_age", "log_ssfr"} <= set(loaded.columns)
    x, y = window.map_view.xy[5]
    assert window.map_view.click_at(float(x), float(y)) == 5
    result = window.state.neighbours
    assert result is not None and 5 not in result.indices and len(result.indices) > 0
    assert np.all(np.diff(result.scores) <= 1e-6)
    window.grab().save(str(tmp_path / f"imported-{kind}.png"))
    window.runner.wait(10000)


def test_fits_query_with_a_seed_checkpoint_in_the_explorer(qtbot, tmp_path, mock_survey,
                                                           realdata) -> None:
    from astroclip_engine.cli import main

    checkpoint = write_seed_a(tmp_path / "seed_a.ckpt", dim=16)
    store = tmp_path / "proj" / "embeddings.h5"
    store.parent.mkdir()
    assert main(["embed", "--checkpoint", str(checkpoint), "--data", str(mock_survey),
                 "--out", str(store), "--device", "cpu"]) == 0
    Project(root=store.parent, name="seed A", store=store, checkpoint=checkpoint).save()
    window = open_window(qtbot, tmp_path / "settings", store.parent)
    window.controller.open_fits(realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits")
    qtbot.waitUntil(lambda: window.state.neighbours is not None, timeout=60000)
    assert window.state.external.targetid == 39633345008634465
    assert len(window.state.neighbours.indices) > 0
    window.runner.wait(10000)


def test_imported_file_with_images_and_spectra_shows_them(qtbot, tmp_path) -> None:
    from astroclip_engine.cli import main
    from astroclip_engine.constants import N_SPECTRUM_BINS
    from tests.published_files import write_official_hdf5

    source = write_official_hdf5(tmp_path / "astroclip_embeddings.hdf5", n=N_ROWS,
                                 spectrum_length=N_SPECTRUM_BINS)
    with h5py.File(source, "r+") as f:  # smooth RGB crops: a red-to-blue gradient
        ramp = np.linspace(0, 1, 16, dtype="f4")
        f["image"][...] = np.stack([np.broadcast_to(ramp, (16, 16)), np.full((16, 16), 0.3),
                                    np.broadcast_to(ramp[::-1], (16, 16))])
    out = tmp_path / "project"
    assert main(["import", str(source), "--out", str(out), "--umap"]) == 0
    window = open_window(qtbot, tmp_path / "settings", out)
    x, y = window.map_view.xy[7]
    assert window.map_view.click_at(float(x), float(y)) == 7
    qtbot.waitUntil(lambda: not window.image_view.showing_placeholder, timeout=10000)
    assert window.image_view.kind == "rgb"
    shown = window.image_view.item.image
    assert shown.shape == (16, 16, 3)
    np.testing.assert_allclose(shown[0, -1] / 255, [1.0, 0.3, 0.0], atol=0.01)  # R, G, B
    assert not window.spectrum_view.showing_placeholder
    window.grab().save(str(tmp_path.parent / "imported-images.png"))
    window.runner.wait(10000)
