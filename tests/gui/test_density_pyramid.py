"""The cached density pyramid draws what the exact per-frame binning draws (Qt-free)."""

from __future__ import annotations

import numpy as np

from astroclip_gui.explorer.views.density import density_rgba
from astroclip_gui.explorer.views.density_pyramid import DensityPyramid

COLOURS = np.array([[255, 0, 0, 255], [0, 0, 255, 255]], dtype=np.uint8)


def _two_layers(n: int = 40_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Red points over the unit square, then (drawn later, higher indices) blue ones over its
    lower-left quarter, plus a point with no coordinates."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, n).astype(np.float32)
    y = rng.uniform(0, 1, n).astype(np.float32)
    x[n // 2:] *= 0.5
    y[n // 2:] *= 0.5
    x[7] = np.nan
    codes = (np.arange(n) >= n // 2).astype(np.intp)
    return x, y, codes


def test_pyramid_image_matches_exact_binning() -> None:
    x, y, codes = _two_layers()
    pyramid = DensityPyramid(x, y, finest=256)
    assert pyramid.visible_count((0, 1.01), (0, 1.01)) == len(x) - 1  # the NaN point is out
    view, shape = ((0.0, 1.0), (0.0, 1.0)), (40, 50)
    assert pyramid.finest_cell_fits(*view, shape)
    fast = pyramid.rgba(codes, COLOURS, *view, shape)
    exact = density_rgba(x, y, codes, COLOURS, *view, shape)
    filled = (fast[..., 3] > 0) & (exact[..., 3] > 0)
    assert filled.mean() > 0.95
    same_colour = (fast[..., :3] == exact[..., :3]).all(axis=-1)[filled]
    assert same_colour.mean() > 0.95  # the top (last-drawn) point's colour, up to border bins
    assert tuple(fast[5, 5, :3]) == (0, 0, 255) and tuple(fast[35, 45, :3]) == (255, 0, 0)
    # opacity follows the count: the doubly covered quarter is more opaque, without stripes
    quarter, rest = fast[3:17, 3:22, 3], fast[24:37, 28:47, 3]
    assert quarter.mean() > rest.mean() and rest.std() < 12


def test_zoomed_in_uses_the_points_of_the_visible_cells() -> None:
    x, y, codes = _two_layers()
    pyramid = DensityPyramid(x, y, finest=64)
    view, shape = ((0.40, 0.45), (0.40, 0.45)), (60, 60)
    assert not pyramid.finest_cell_fits(*view, shape)
    assert pyramid.visible_points(*view) is None  # not indexed yet
    subset = pyramid.index_points().visible_points(*view)
    assert subset is not None and np.all(np.diff(subset) > 0)
    inside = np.flatnonzero((x >= 0.40) & (x < 0.45) & (y >= 0.40) & (y < 0.45))
    assert np.isin(inside, subset).all() and len(subset) < len(x) // 10
    np.testing.assert_array_equal(
        density_rgba(x, y, codes, COLOURS, *view, shape, subset=subset),
        density_rgba(x, y, codes, COLOURS, *view, shape))


def test_map_view_builds_the_pyramid_off_the_gui_thread(qtbot) -> None:
    from astroclip_gui.explorer.views.embedding_map import EmbeddingMapView

    x, y, codes = _two_layers(5000)
    x[7] = 0.5
    view = EmbeddingMapView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.density_threshold = 1000
    view.set_data(np.c_[x, y], codes.astype(np.float32), categorical=True)
    view.wait_for_density_cache()
    assert view._pyramid is not None and view.visible_count() == 5000
    view._update_layer()
    assert view.showing_density and (view.density.image[..., 3] > 0).mean() > 0.1
    view.set_data(np.c_[x[:500], y[:500]], codes[:500].astype(np.float32))  # below threshold
    assert view._pyramid is None and not view.showing_density
    qtbot.wait(150)  # let the throttled range timer fire while the view still exists
