"""Clicking the map (API and real mouse) drives the gallery, image, spectrum and properties."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.windows import N_GALAXIES


def test_project_opens_with_map_and_columns(window) -> None:
    loaded = window.state.loaded
    assert loaded.n == N_GALAXIES
    assert set(loaded.maps) == {"joint", "image", "spectrum"}
    assert {"redshift", "log_mstar", "split", "cluster: kmeans_joint"} <= set(loaded.columns)
    assert window.map_view.base.data.shape[0] == N_GALAXIES
    assert window.count_label.text() == f"{N_GALAXIES} galaxies"
    assert window.training_menu.title() == "&Training"


def test_click_api_fills_every_view(window) -> None:
    view = window.map_view
    x, y = view.xy[7]
    assert view.click_at(float(x), float(y)) == 7
    assert window.state.active == 7
    result = window.state.neighbours
    assert result is not None and len(result.indices) == 16 and 7 not in result.indices
    assert np.all(np.diff(result.scores) <= 1e-6)  # best first
    assert window.gallery.list.count() == 16
    first = window.gallery.list.item(0)
    assert first.text().startswith(f"{result.scores[0]:.3f}")
    assert not window.image_view.showing_placeholder
    assert not window.spectrum_view.showing_placeholder
    tid = int(window.state.loaded.store.targetids[7])
    assert window.properties.value_of("TARGETID") == str(tid)
    assert str(tid) in window.image_view.title.text()
    assert len(view.neighbour_marks.data) == 16 and len(view.active_mark.data) == 1
    assert view.base.data.shape[0] == N_GALAXIES  # the base layer is never touched


def test_a_click_marks_the_map_once_and_keeps_the_row(window, monkeypatch) -> None:
    view, store = window.map_view, window.state.loaded.store
    marked: list[int] = []
    draw = view.set_overlays
    monkeypatch.setattr(view, "set_overlays", lambda active, near: (marked.append(active),
                                                                    draw(active, near)))

    def no_targetid_lookup(targetid: int) -> int:
        raise AssertionError(f"a click looked up TARGETID {targetid}")

    monkeypatch.setattr(store, "index_of", no_targetid_lookup)
    window.state.set_active(5)
    marked.clear()
    x, y = view.xy[11]
    assert view.click_at(float(x), float(y)) == 11
    assert marked == [11]
    assert window.state.neighbours.query == 11
    assert len(view.neighbour_marks.data) == 16 and len(view.active_mark.data) == 1
    window.state.back()  # history navigation takes the same path
    assert window.state.active == 5 and marked == [11, 5]


def test_training_ui_adds_no_window_attributes(window, tmp_path) -> None:
    from astroclip_gui.training.controller import install_training_ui

    before = set(vars(window))
    controller = install_training_ui(window, tmp_path / "runs")
    assert set(vars(window)) == before
    assert window.training_menu.actions()[0].text() == "New training run…"
    assert controller.parent() is window


def test_real_mouse_click_on_a_point(window, qtbot) -> None:
    view = window.map_view
    target = int(np.argmax(view.xy[:, 0]))  # an outermost point: no neighbour overlaps it
    pos = view.view_pos_of(target)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     pos)
    qtbot.waitUntil(lambda: window.state.active == target, timeout=3000)
    assert window.gallery.list.count() == 16


def test_gallery_click_makes_neighbour_active(window) -> None:
    window.state.set_active(3)
    item = window.gallery.list.item(2)
    expected = int(window.state.neighbours.indices[2])
    window.gallery.list.itemClicked.emit(item)
    assert window.state.active == expected


def test_search_controls_change_the_search(window) -> None:
    window.state.set_active(10)
    window.gallery.k_box.setValue(5)
    window.gallery.order_box.setCurrentIndex(1)
    window.gallery.key_box.setCurrentText("spectrum")
    result = window.state.neighbours
    assert len(result.indices) == 5 and not result.largest
    assert result.key_modality == "spectrum"
    assert np.all(np.diff(result.scores) >= -1e-6)  # least similar first
    assert window.gallery.list.count() == 5


def test_colour_modality_and_density(window) -> None:
    view = window.map_view
    window.map_controls.colour_box.setCurrentText("cluster: kmeans_joint")
    assert view.categorical and not view.colour_bar.isVisible()
    window.map_controls.colour_box.setCurrentText("log_mstar")
    assert not view.categorical
    assert np.all(view.quantised.codes[np.isfinite(view.values)] <= 255)
    window.map_controls.modality_box.setCurrentText("spectrum")
    assert np.array_equal(view.xy, window.state.loaded.maps["spectrum"])
    view.density_threshold = 10
    view.set_density_mode("auto")
    assert view.showing_density and not view.base.isVisible()
    view.set_density_mode("points")
    assert not view.showing_density and view.base.isVisible()


def test_hover_reports_galaxy(window, qtbot) -> None:
    view = window.map_view
    target = int(np.argmin(view.xy[:, 1]))
    QTest.mouseMove(view.viewport(), view.view_pos_of(target))
    scene_pos = view.mapToScene(view.view_pos_of(target))
    view.scene().sigMouseMoved.emit(scene_pos)
    qtbot.waitUntil(lambda: "TARGETID" in window.hover_label.text(), timeout=2000)
    assert str(int(window.state.loaded.store.targetids[target])) in window.hover_label.text()
