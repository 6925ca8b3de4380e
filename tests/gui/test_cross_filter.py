"""Brush masks, histograms and the sidecar catalogue columns (Qt-free explorer logic)."""

from __future__ import annotations

import h5py
import numpy as np

from astroclip_gui.explorer.catalogue_columns import catalogue_columns
from astroclip_gui.explorer.cross_filter import CrossFilter, bin_column, panel_columns
from astroclip_gui.explorer.density_contours import density_contours


def test_brushes_combine_and_histograms_count_subsets():
    rng = np.random.default_rng(0)
    z, m = rng.uniform(0, 1, 1000).astype(np.float32), rng.normal(10, 1, 1000)
    z[3] = np.nan
    cf = CrossFilter({"redshift": z, "log_mstar": m})
    assert cf.brushed() is None
    cf.set_brush("redshift", 0.6, 0.2)  # either order
    assert np.array_equal(cf.brushed(), np.flatnonzero((z >= 0.2) & (z <= 0.6)))
    cf.set_brush("log_mstar", 10, 99)
    both = np.flatnonzero((z >= 0.2) & (z <= 0.6) & (m >= 10))
    assert np.array_equal(cf.brushed(), both)
    counts = cf.histograms(both)
    assert counts["redshift"].sum() == both.size
    assert cf.columns["redshift"].counts.sum() == 999  # NaN counted nowhere
    cf.clear_brush("log_mstar")
    assert cf.brushed().size > both.size
    cf.clear()
    assert cf.brushed() is None


def test_categorical_bins_and_panel_columns():
    morph = np.array([0, 1, 1, 3, -1], dtype=np.float32)
    binned = bin_column("morphology", morph, categorical=True)
    assert binned.counts.tolist() == [1, 2, 0, 1]
    columns = {"redshift": np.zeros(3), "split": np.zeros(3), "cluster: kmeans": np.zeros(3),
               "id": np.arange(3.0) * 100}
    assert panel_columns(columns, {"split", "cluster: kmeans", "id"}) == ["redshift"]


def test_catalogue_columns_from_the_sidecar_table(tmp_path):
    dataset = tmp_path / "mock.h5"
    dataset.touch()
    rows = np.zeros(3, dtype=[("TARGETID", "i8"), ("MAG_G", "f4"), ("MAG_R", "f4"),
                              ("MORPH_CLASS", "i4")])
    rows["TARGETID"] = [30, 10, 20]
    rows["MAG_G"], rows["MAG_R"], rows["MORPH_CLASS"] = [21, 20, 19], [20, 19.5, 18], [2, 0, 1]
    with h5py.File(tmp_path / "mock.provabgs.hdf5", "w") as f:
        f["provabgs"] = rows
    out = catalogue_columns(dataset, np.array([10, 99, 30]))
    assert np.allclose(out["g-r"], [0.5, np.nan, 1.0], equal_nan=True)
    assert out["morphology"].tolist() == [0, -1, 2]
    assert catalogue_columns(tmp_path / "none.h5", np.array([1])) == {}


def test_density_contours_enclose_the_requested_fractions():
    from matplotlib.path import Path

    rng = np.random.default_rng(0)
    xy = np.r_[rng.normal(0, 1, (4000, 2)), rng.normal(8, 0.5, (2000, 2))]
    levels = density_contours(xy, enclosed=(0.5, 0.9))
    assert len(levels) == 2 and all(levels)
    for fraction, lines in zip((0.5, 0.9), levels, strict=True):
        inside = sum(Path(line).contains_points(xy).sum() for line in lines) / len(xy)
        assert abs(inside - fraction) < 0.1  # of the smoothed density: about
