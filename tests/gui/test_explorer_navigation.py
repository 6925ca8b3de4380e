"""History back/forward, find by TARGETID and by RA/Dec."""

from __future__ import annotations

import numpy as np
import pytest

from astroclip_gui.explorer.find import nearest_on_sky, parse_query


def test_history_back_and_forward(window) -> None:
    state, actions = window.state, window.actions.actions
    for index in (2, 9, 4):
        state.set_active(index)
    assert actions["back"].isEnabled() and not actions["forward"].isEnabled()
    actions["back"].trigger()
    assert state.active == 9
    actions["back"].trigger()
    assert state.active == 2 and not actions["back"].isEnabled()
    actions["forward"].trigger()
    assert state.active == 9
    state.set_active(30)  # a new visit drops the forward branch
    assert not state.can_go_forward()
    actions["back"].trigger()
    assert state.active == 9
    assert window.gallery.list.count() == 16  # the gallery follows history too


def test_find_by_targetid_and_radec(window) -> None:
    store = window.state.loaded.store
    assert window.controller.find_galaxy(str(int(store.targetids[17]))) == 17
    assert window.state.active == 17
    ra, dec = window.state.loaded.ra_dec
    assert window.controller.find_galaxy(f"{ra[23]:.6f} {dec[23]:.6f}") == 23
    assert window.controller.find_galaxy("12345") == -1  # not in the store: a message
    assert "12345" in window.messages[-1].text()
    assert window.state.active == 23


def test_parse_and_sky_distance() -> None:
    assert parse_query(" 42 ") == ("targetid", (42,))
    assert parse_query("150.1, -2.5") == ("radec", (150.1, -2.5))
    with pytest.raises(ValueError, match="TARGETID"):
        parse_query("M31")
    index, sep = nearest_on_sky(np.array([10.0, 10.0]), np.array([0.0, 1.0]), 10.0, 1.0 + 1 / 3600)
    assert index == 1 and sep == pytest.approx(1.0, rel=1e-3)
