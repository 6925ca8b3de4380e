"""A map highlights many galaxies as one image, few as points (views/selection_image.py)."""

from __future__ import annotations

import numpy as np

from astroclip_gui.explorer.views.embedding_map import EmbeddingMapView
from astroclip_gui.explorer.views.selection_image import SELECTION_IMAGE_POINTS


def test_many_selected_galaxies_are_one_image(qtbot):
    view = EmbeddingMapView()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    rng = np.random.default_rng(0)
    n = SELECTION_IMAGE_POINTS + 10_000
    xy = rng.uniform(0, 10, (n, 2)).astype(np.float32)
    view.set_data(xy, xy[:, 0], label="x")
    left = np.flatnonzero(xy[:, 0] < 8)  # more than the threshold, none on the right
    view.set_selection(left)
    image = view.selection_image
    assert image.isVisible() and len(view.selected.data) == 0
    assert np.array_equal(image.indices, left)
    pixels = image.image
    filled_columns = np.flatnonzero(pixels[..., 3].max(axis=0))
    (x0, x1), _ = view.viewbox.viewRange()
    right_edge = x0 + (filled_columns.max() + 1) / pixels.shape[1] * (x1 - x0)
    assert 7.5 < right_edge < 8.5  # the selected galaxies, not the others
    view.viewbox.scaleBy((0.5, 0.5))  # a new view redraws it
    view._update_layer()
    (z0, z1), _ = view.viewbox.viewRange()
    drawn = image.mapRectToParent(image.boundingRect())
    assert abs(drawn.width() - (z1 - z0)) < 1e-3 * (z1 - z0) and z1 - z0 < 0.6 * (x1 - x0)
    view.set_selection(left[:100])
    assert not image.isVisible() and len(view.selected.data) == 100
    view.set_selection(np.empty(0, dtype=np.int64))
    assert not image.isVisible() and len(view.selected.data) == 0
