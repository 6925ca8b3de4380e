"""Guard against the Qt binding bug that ended long explorer sessions: PySide6 6.12.0 releases a
reference to the `True` singleton on many pyqtgraph calls, and after a few thousand clicks Python
aborts ("bool_dealloc"). pyproject.toml pins a binding without it; this test catches a
regression."""

import sys

import numpy as np
import pyqtgraph as pg

from astroclip_engine.constants import WAVELENGTH


def test_plot_updates_do_not_drop_references_to_true(qtbot) -> None:
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    curve = widget.plot()
    flux = np.random.default_rng(0).random(WAVELENGTH.size).astype(np.float32)
    for _ in range(5):  # warm-up: caches settle
        curve.setData(WAVELENGTH, flux)
        widget.setYRange(0, 1)
    before = sys.getrefcount(True)
    for i in range(200):
        curve.setData(WAVELENGTH, flux)
        widget.setYRange(0, 1 + i)
    lost = before - sys.getrefcount(True)
    assert lost < 50, f"{lost} references to True lost in 200 plot updates (binding refcount bug)"
