"""The explorer opens projects made from published files and queries them with seed models."""

from __future__ import annotations

from pathlib import Path

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
