"""The fast paths behind the 200k-galaxy targets: table scatter, coloured density, thumbnails."""

from __future__ import annotations

import numpy as np

from astroclip_gui.explorer.thumbnails import area_matrix, downsample
from astroclip_gui.explorer.views.colour_table import BrushTable, quantise
from astroclip_gui.explorer.views.density import density_rgba
from astroclip_gui.explorer.views.embedding_map import DENSITY_THRESHOLD
from astroclip_gui.explorer.views.table_scatter import TableScatterItem
from tests.gui.windows import N_GALAXIES


def test_table_scatter_shares_table_brushes_and_atlas_cells(qtbot) -> None:
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(500, 2)).astype(np.float32)
    table = BrushTable("viridis")
    q = quantise(rng.normal(size=500))
    item = TableScatterItem(size=5)
    item.set_points(xy, q.codes, table.table(q))
    assert all(b is table.continuous[c] for b, c in zip(item.data["brush"], q.codes, strict=True))
    cells = item.data["sourceRect"]
    same = q.codes[:, None] == q.codes[None, :]  # equal codes <=> equal atlas cells
    assert np.array_equal(same, cells[:, None] == cells[None, :])
    assert item.dataBounds(0) == (float(xy[:, 0].min()), float(xy[:, 0].max()))
    item.set_spot_size(9)
    assert item.opts["size"] == 9 and item.fragmentAtlas.maxWidth >= 9


def test_density_image_bins_take_the_top_point_colour_and_log_count_alpha() -> None:
    colours = np.array([[255, 0, 0, 255], [0, 0, 255, 255]], dtype=np.uint8)
    x = np.array([0.1, 0.15, 0.12, 0.9], dtype=np.float32)
    y = np.array([0.1, 0.12, 0.11, 0.9], dtype=np.float32)
    codes = np.array([0, 0, 1, 0])  # the last point in the dense bin is blue
    image = density_rgba(x, y, codes, colours, (0, 1), (0, 1), (2, 2))
    assert image.shape == (2, 2, 4)
    assert tuple(image[0, 0, :3]) == (0, 0, 255) and image[0, 0, 3] == 255  # 3 points
    assert tuple(image[1, 1, :3]) == (255, 0, 0) and 100 < image[1, 1, 3] < 255  # 1 point
    assert image[0, 1, 3] == 0 and image[1, 0, 3] == 0  # empty bins are transparent


def test_auto_density_switches_on_visible_points_and_keeps_colours(window) -> None:
    view = window.map_view
    assert DENSITY_THRESHOLD >= 50_000 and not view.showing_density  # 120 points: points
    view.density_threshold = N_GALAXIES - 1
    view.set_density_mode("auto")
    assert view.showing_density and not view.base.isVisible()
    image = view.density.image
    assert image.ndim == 3 and image.shape[2] == 4
    drawn = image[image[..., 3] > 0][:, :3]
    palette = view.table.rgba(view.quantised)[:, :3]
    assert len(drawn) and all((palette == rgb).all(axis=1).any() for rgb in drawn)
    (x0, x1), _ = view.viewbox.viewRange()
    view.viewbox.setXRange(x0, x0 + (x1 - x0) * 0.05, padding=0)  # zoomed in: few visible
    view._update_layer()
    assert not view.showing_density and view.base.isVisible()


def test_thumbnails_are_area_averaged_to_display_size(window) -> None:
    weights = area_matrix(152, 96)
    assert np.allclose(weights.sum(axis=1), 1.0) and np.allclose(weights.sum(axis=0), 96 / 152)
    image = np.random.default_rng(1).random((2, 3, 152, 140)).astype(np.float32)
    small = downsample(image, 96)
    assert small.shape == (2, 3, 96, 88)
    assert np.allclose(small.mean(axis=(-1, -2)), image.mean(axis=(-1, -2)), atol=1e-3)
    assert downsample(image, 200) is image
    rgbs = window.controller.thumbnails([0, 5, 9], size=24)
    assert [r.shape for r in rgbs] == [(24, 24, 3)] * 3
    assert all(r.min() >= 0 and r.max() <= 1 for r in rgbs)
