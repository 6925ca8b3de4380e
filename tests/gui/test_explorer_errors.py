"""Bad input never crashes the explorer: messages, dialogs, placeholders, dataset relinking."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from astroclip_engine.errors import StoreError
from astroclip_gui.app import main
from astroclip_gui.explorer.views.spectrum_plot import smooth_spectrum
from tests.gui.windows import open_window


def _errors(window) -> list[str]:
    return [m.text() for m in window.messages if m.objectName() == "errorDialog"]


def test_file_that_is_not_a_store_gives_a_message(qtbot, tmp_path) -> None:
    bogus = tmp_path / "not_a_store.h5"
    with h5py.File(bogus, "w") as f:
        f["x"] = np.arange(3)
    w = open_window(qtbot, tmp_path / "settings")
    w.open(bogus)
    qtbot.waitUntil(lambda: bool(_errors(w)), timeout=10000)
    assert "not an AstroCLIP embeddings store" in _errors(w)[0]
    assert w.state.loaded is None and w.isVisible()
    w.open(tmp_path / "missing_folder")
    assert "no such project file" in _errors(w)[-1]


def test_worker_exception_becomes_a_dialog_with_details(window, qtbot) -> None:
    def explode(reporter, cancel):
        raise StoreError("synthetic failure for the test")

    window.runner.submit("Exploding job", explode)
    qtbot.waitUntil(lambda: bool(_errors(window)), timeout=5000)
    box = [m for m in window.messages if m.objectName() == "errorDialog"][-1]
    assert "synthetic failure" in box.text()
    assert "Traceback" in box.detailedText()
    window.state.set_active(1)  # still usable
    assert window.gallery.list.count() == 16


def test_moved_dataset_is_asked_for_and_remembered(qtbot, tmp_path, explorer_project) -> None:
    project = tmp_path / "proj"
    shutil.copytree(explorer_project.parent, project)
    (project / "dataset.h5").rename(tmp_path / "moved.h5")
    w = open_window(qtbot, tmp_path / "settings")
    asked: list[str] = []
    w.controller.ask_dataset = lambda recorded: asked.append(recorded) or str(tmp_path / "moved.h5")
    w.open(project)
    qtbot.waitUntil(lambda: w.state.loaded is not None, timeout=15000)
    assert asked == [str(project / "dataset.h5")]
    w.state.set_active(0)
    assert not w.image_view.showing_placeholder
    mapping = w.session.dataset_mapping()
    assert mapping[str(project / "dataset.h5")] == str(tmp_path / "moved.h5")
    w.state.set_project(None)
    w.controller.ask_dataset = lambda recorded: pytest.fail("asked again")
    w.open(project)
    qtbot.waitUntil(lambda: w.state.loaded is not None, timeout=15000)
    assert w.state.loaded.dataset is not None


def test_empty_image_and_spectrum_show_placeholders(window) -> None:
    window.image_view.set_image(np.zeros((3, 32, 32), np.float32), "TARGETID 1")
    assert window.image_view.showing_placeholder
    assert "all zeros" in window.image_view.placeholder.text()
    window.spectrum_view.set_spectrum(np.zeros(7781, np.float32), 0.1, title="TARGETID 1")
    assert window.spectrum_view.showing_placeholder
    window.spectrum_view.set_spectrum(None, 0.1, title="TARGETID 1")
    assert "No spectrum" in window.spectrum_view.placeholder.text()
    for band in ("g", "r", "z"):
        for stretch in ("asinh", "linear", "log"):
            window.image_view.band_box.setCurrentText(band)
            window.image_view.stretch_box.setCurrentText(stretch)
            window.image_view.set_image(np.random.default_rng(0).normal(size=(3, 8, 8)), "x")
            assert not window.image_view.showing_placeholder


def test_ivar_weighted_smoothing_ignores_masked_pixels() -> None:
    flux = np.ones(101)
    flux[50] = 1000.0
    ivar = np.ones(101)
    ivar[50] = 0.0
    np.testing.assert_allclose(smooth_spectrum(flux, 3.0, ivar), 1.0, rtol=1e-9)
    assert smooth_spectrum(flux, 3.0)[50] > 10  # unweighted smoothing keeps the spike


def test_open_fits_without_checkpoint_shows_object(window, qtbot, realdata) -> None:
    coadd = realdata / "desi_spectra" / "coadd-4-80613-thru20210324.fits"
    window.controller.open_fits(coadd)
    qtbot.waitUntil(lambda: window.state.external is not None, timeout=20000)
    assert window.state.external.targetid == 39633345008634465
    assert not window.spectrum_view.showing_placeholder
    assert abs(window.spectrum_view.redshift - 0.36874) < 1e-3
    assert any("no checkpoint" in m.text() for m in window.messages)


def test_smoke_entry_point(explorer_project) -> None:
    assert main([str(explorer_project), "--smoke"]) == 0
