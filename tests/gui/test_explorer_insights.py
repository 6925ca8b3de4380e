"""The explorer's insight views driven as a user would: brushing property ranges, the cluster
table and its map overlays, and a second model's map linked galaxy by galaxy."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from astroclip_engine.neighbour_overlap import neighbour_overlap
from astroclip_gui.explorer.compare import OVERLAP_COLUMN
from tests.synthetic import build_synthetic_project


def _brush(qtbot, window, name: str, low: float, high: float) -> None:
    """Move a histogram's range as a drag does (sigRegionChanged, then the throttle timer)."""
    hist = window.insights.panel.plots[name]
    panel = window.insights.panel
    hist.region.setRegion((low, high))
    assert panel._timer.isActive()  # updates are coalesced while dragging
    qtbot.waitUntil(lambda: not panel._timer.isActive(), timeout=3000)


def _highlighted_on(map_view) -> int:
    """Galaxies highlighted on a map (its scatter layer, or its image of many galaxies)."""
    return len(map_view.selected.data) + map_view.selection_image.indices.size


def test_brushing_a_range_highlights_and_filters_the_search(qtbot, window):
    loaded = window.state.loaded
    z = loaded.columns["redshift"]
    assert "redshift" in window.insights.panel.plots
    low, high = np.percentile(z, [20, 60])
    _brush(qtbot, window, "redshift", low, high)
    inside = np.flatnonzero((z >= low) & (z <= high))
    assert np.array_equal(window.state.brush, inside)
    assert _highlighted_on(window.map_view) == inside.size
    assert "in the property ranges" in window.count_label.text()
    # the neighbour search keeps to the brushed galaxies
    outside = int(np.flatnonzero(~np.isin(np.arange(loaded.n), inside))[0])
    window.state.set_active(outside)
    result = window.state.neighbours
    assert result is not None and len(result.indices) == min(16, inside.size)
    assert np.isin(result.indices, inside).all()
    assert result.scores[0] >= result.scores[-1]
    # a second brush narrows the set; clearing restores the full search
    mass = loaded.columns["log_mstar"]
    _brush(qtbot, window, "log_mstar", float(np.median(mass)), float(mass.max()))
    both = inside[mass[inside] >= np.median(mass)]
    assert np.array_equal(window.state.brush, both)
    qtbot.mouseClick(window.insights.panel.clear_button, Qt.MouseButton.LeftButton)
    assert window.state.brush is None
    assert _highlighted_on(window.map_view) == 0
    # the search follows once the brush rests
    qtbot.waitUntil(lambda: not np.isin(window.state.neighbours.indices, inside).all(),
                    timeout=3000)


def test_dragging_a_range_edge_with_the_mouse(qtbot, window):
    """Press on the range's upper edge, move to the median redshift, release."""
    hist = window.insights.panel.plots["redshift"]
    canvas, view = window.insights.panel.canvas, hist.plot.vb
    z = window.state.loaded.columns["redshift"]
    (_, _), (y0, y1) = view.viewRange()

    def widget_pos(x: float) -> QPoint:
        return canvas.mapFromScene(view.mapViewToScene(QPointF(x, (y0 + y1) / 2)))

    start, end = widget_pos(hist.region.lines[1].value()), widget_pos(float(np.median(z)))
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for t in np.linspace(0, 1, 8)[1:]:
        QTest.mouseMove(viewport, QPoint(int(start.x() + t * (end.x() - start.x())), start.y()))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    qtbot.waitUntil(lambda: window.state.brush is not None, timeout=3000)
    high = hist.region.getRegion()[1]
    assert abs(high - np.median(z)) < 0.05 * (z.max() - z.min())
    assert np.array_equal(window.state.brush, np.flatnonzero(z <= high))  # lower end open
    assert _highlighted_on(window.map_view) == window.state.brush.size
    assert hist.brushed.isVisible()


def test_a_map_lasso_shows_the_selection_distributions(qtbot, window):
    panel = window.insights.panel
    hist = panel.plots["redshift"]
    assert not hist.selected.isVisible()
    xy = window.map_view.xy
    centre = xy[0]
    angles = np.linspace(0, 2 * np.pi, 40)
    window.map_view.select_polygon(centre + 4.0 * np.c_[np.cos(angles), np.sin(angles)])
    selection = window.state.selection.indices
    assert len(selection) > 0
    assert hist.selected.isVisible()
    column = window.insights.cross_filter.filter.columns["redshift"]
    expected = np.bincount(column.codes[selection], minlength=column.n_bins + 1)[:-1]
    _, shown = hist.selected.getData()
    assert np.allclose(shown, expected / expected.sum())
    assert f"{len(selection):,} selected on the map" in panel.summary.text()


def test_cluster_table_row_selects_the_cluster(qtbot, window):
    insights = window.insights
    table = insights.cluster_table.table
    labels = window.state.loaded.columns["cluster: kmeans_joint"].astype(int)
    assert table.rowCount() == len(np.unique(labels))
    assert [item.toPlainText() for item in insights.annotations.labels] == \
        [s.name for s in insights.clusters.summaries]
    assert all(s.name.startswith("z~") for s in insights.clusters.summaries)
    rect = table.visualItemRect(table.item(1, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    label = insights.clusters.summaries[1].label
    members = np.flatnonzero(labels == label)
    assert np.array_equal(window.state.selection.indices, members)
    assert _highlighted_on(window.map_view) == members.size
    # names and contours are toggleable overlays
    qtbot.mouseClick(insights.cluster_table.labels_box, Qt.MouseButton.LeftButton)
    assert not any(item.isVisible() for item in insights.annotations.labels)
    assert not insights.annotations.contours
    qtbot.mouseClick(insights.cluster_table.contours_box, Qt.MouseButton.LeftButton)
    assert insights.annotations.contours
    assert all(item.isVisible() for item in insights.annotations.contours)


@pytest.fixture
def second_store(tmp_path_factory):
    """The same 120 galaxies (TARGETIDs) embedded by another 'model' (another seed)."""
    from tests.gui.windows import N_GALAXIES

    folder = tmp_path_factory.mktemp("second")
    project = build_synthetic_project(folder / "b", n=N_GALAXIES, image_size=32, seed=11)
    return project.parent / "embeddings.h5"


def _compare(qtbot, window, path, monkeypatch):
    """File > Compare with another store…, the file dialog answered with `path`."""
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.actions.actions["compare"].trigger()


def test_two_models_linked_by_galaxy(qtbot, window, second_store, monkeypatch):
    compare = window.insights.compare
    _compare(qtbot, window, second_store, monkeypatch)
    qtbot.waitUntil(lambda: compare.comparison is not None, timeout=30000)
    c = compare.comparison
    b_map = window.insights.compare_view.map_view
    assert window.insights.docks["compare"].isVisible()
    assert c.n_matched == window.state.loaded.n
    # select in map A -> the same galaxies highlighted in map B
    window.map_view.select_polygon(np.array([[-20, -20], [0, -20], [0, 20], [-20, 20.0]]))
    selection = window.state.selection.indices
    assert len(selection)
    assert np.array_equal(np.sort(c.a_to_b[selection]), b_map._selection)
    assert _highlighted_on(b_map) == len(selection)
    # a click in map B makes that galaxy active in A (and marks it in B)
    index_b = 7
    qtbot.mouseClick(b_map.viewport(), Qt.MouseButton.LeftButton, pos=b_map.view_pos_of(index_b))
    qtbot.waitUntil(lambda: window.state.active == int(c.b_to_a[index_b]), timeout=3000)
    assert len(b_map.active_mark.data) == 1
    # a lasso in map B selects the same galaxies in A
    xy_b = b_map.xy
    box = np.array([[-20, -20], [xy_b[index_b, 0] + 0.01, -20],
                    [xy_b[index_b, 0] + 0.01, 20], [-20, 20.0]])
    b_map.select_polygon(box)
    inside_b = np.flatnonzero(xy_b[:, 0] <= xy_b[index_b, 0] + 0.01)
    assert np.array_equal(window.state.selection.indices, np.sort(c.b_to_a[inside_b]))


def test_neighbour_overlap_colours_both_maps(qtbot, window, second_store, monkeypatch):
    from astroclip_engine.store import EmbeddingStore

    view = window.insights.compare_view
    _compare(qtbot, window, second_store, monkeypatch)
    qtbot.waitUntil(lambda: window.insights.compare.comparison is not None, timeout=30000)
    c = window.insights.compare.comparison
    with EmbeddingStore(second_store) as b:
        expected = neighbour_overlap(window.state.loaded.store.embeddings("image"),
                                     b.embeddings("image")[c.a_to_b], k=16)
    assert np.allclose(c.overlap_a, expected)
    assert 0 < expected.mean() < 1  # two different models
    qtbot.mouseClick(view.colour_box, Qt.MouseButton.LeftButton)
    assert window.state.colour_by == OVERLAP_COLUMN
    assert window.map_controls.colour_box.currentText() == OVERLAP_COLUMN
    assert np.allclose(window.map_view.values, c.overlap_a)
    assert np.allclose(view.map_view.values, c.overlap_b)
    # the spectrum embeddings of B: recomputed on choosing them
    view.modality_b.setCurrentText("spectrum")
    qtbot.waitUntil(lambda: window.insights.compare.comparison.modalities[1] == "spectrum",
                    timeout=30000)
    assert not np.allclose(window.insights.compare.comparison.overlap_a, expected)
    qtbot.mouseClick(view.colour_box, Qt.MouseButton.LeftButton)
    assert window.state.colour_by == "redshift"


def test_a_store_of_other_galaxies_is_refused_with_a_dialog(qtbot, window, tmp_path,
                                                           monkeypatch):
    other = build_synthetic_project(tmp_path / "other", n=30, image_size=16, seed=2)
    store = other.parent / "embeddings.h5"
    with h5py.File(store, "r+") as f:
        f["targetid"][...] = f["targetid"][...] + 10**12
    _compare(qtbot, window, store, monkeypatch)
    qtbot.waitUntil(lambda: any(m.windowTitle() == "Cannot compare stores"
                                for m in window.messages), timeout=30000)
    box = next(m for m in window.messages if m.windowTitle() == "Cannot compare stores")
    assert "no galaxies in common" in box.text() and str(store) in box.text()
    assert window.insights.compare.comparison is None
