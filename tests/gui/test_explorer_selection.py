"""Lasso/box selections, undo, subsets and CSV export with exactly the selected rows."""

from __future__ import annotations

import csv

import numpy as np

from astroclip_gui.explorer.selection import (
    SelectionHistory,
    SelectMode,
    box_polygon,
    points_in_polygon,
)
from tests.gui.windows import open_window


def test_points_in_polygon_matches_direct_test() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(-1, 1, (2000, 2))
    triangle = np.array([[-1, -1], [1, -1], [-1, 1]])
    inside = points_in_polygon(xy, triangle)
    expected = np.flatnonzero(xy[:, 0] + xy[:, 1] < 0)
    assert np.array_equal(inside, expected)
    assert points_in_polygon(xy, triangle[:2]).size == 0


def test_selection_history_add_subtract_undo() -> None:
    history = SelectionHistory()
    history.apply(np.array([3, 1, 2]))
    history.apply(np.array([5]), SelectMode.ADD)
    assert history.current.indices.tolist() == [1, 2, 3, 5]
    history.apply(np.array([2, 9]), SelectMode.SUBTRACT)
    assert history.current.indices.tolist() == [1, 3, 5]
    history.undo()
    assert history.current.indices.tolist() == [1, 2, 3, 5]
    history.undo()
    history.undo()
    assert len(history.current) == 0 and history.undo() is None


def test_lasso_then_export_csv_has_exactly_those_rows(window, tmp_path) -> None:
    xy = window.state.loaded.maps["joint"]
    x0, x1 = np.percentile(xy[:, 0], [20, 70])
    y0, y1 = np.percentile(xy[:, 1], [10, 80])
    window.map_view.select_polygon(box_polygon(x0, y0, x1, y1))
    expected = np.flatnonzero((xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0)
                              & (xy[:, 1] < y1))
    assert expected.size > 5
    assert np.array_equal(window.state.selection.indices, expected)
    assert f"{expected.size} selected" in window.count_label.text()
    assert len(window.map_view.selected.data) == expected.size
    assert window.map_view.base.opacity() < window.map_view.opacity  # the rest is dimmed
    out = tmp_path / "selection.csv"
    assert window.controller.export_selection(out) == expected.size
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    store = window.state.loaded.store
    assert [int(r["targetid"]) for r in rows] == store.targetids[expected].tolist()
    assert {"umap_x", "umap_y", "redshift", "log_mstar", "split"} <= set(rows[0])
    np.testing.assert_allclose([float(r["redshift"]) for r in rows], store.redshift[expected],
                               rtol=1e-5)
    np.testing.assert_allclose([float(r["umap_x"]) for r in rows], xy[expected, 0], rtol=1e-5)


def test_modifiers_add_subtract_and_ctrl_z(window, qtbot) -> None:
    xy = window.state.loaded.maps["joint"]
    left = box_polygon(xy[:, 0].min() - 1, xy[:, 1].min() - 1, np.median(xy[:, 0]),
                       xy[:, 1].max() + 1)
    everything = box_polygon(*(xy.min(axis=0) - 1), *(xy.max(axis=0) + 1))
    window.map_view.select_polygon(left)
    n_left = len(window.state.selection)
    window.map_view.select_polygon(everything, SelectMode.ADD)
    assert len(window.state.selection) == len(xy)
    window.map_view.select_polygon(left, SelectMode.SUBTRACT)
    assert len(window.state.selection) == len(xy) - n_left
    window.actions.actions["undo"].trigger()
    assert len(window.state.selection) == len(xy)


def test_neighbour_export_has_scores(window, tmp_path) -> None:
    window.state.set_active(4)
    out = tmp_path / "neighbours.csv"
    assert window.controller.export_neighbours(out) == 16
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = window.state.neighbours
    assert [int(r["targetid"]) for r in rows] == \
        window.state.loaded.store.targetids[result.indices].tolist()
    np.testing.assert_allclose([float(r["score"]) for r in rows], result.scores, rtol=1e-5)


def test_subsets_and_session_survive_a_restart(qtbot, tmp_path, explorer_project) -> None:
    settings = tmp_path / "settings"
    first = open_window(qtbot, settings, explorer_project)
    first.map_view.select_polygon(box_polygon(-100, -100, 0, 100))
    chosen = first.state.selection.indices.copy()
    first.save_subset("west")
    first.map_controls.colour_box.setCurrentText("log_ssfr")
    first.state.set_active(11)
    first.set_style("light")
    assert first.subsets.list.count() == 1
    first.close()
    second = open_window(qtbot, settings)
    second.restore_session()
    qtbot.waitUntil(lambda: second.state.active == 11, timeout=15000)
    assert np.array_equal(second.state.subsets["west"], chosen)
    assert second.state.colour_by == "log_ssfr"
    assert second.style_name == "light"
    assert str(explorer_project) in second.session.recent()
    second.subsets.restoreRequested.emit("west")
    assert np.array_equal(second.state.selection.indices, chosen)
