"""The explorer never builds an ANN index on a click: searches stay exact until the background
job (started when a huge store opens) has built it."""

from __future__ import annotations

from pathlib import Path

from astroclip_engine.store import EmbeddingStore
from astroclip_gui.explorer.engine_access import NeighbourSearch
from tests.engine.test_science_search import make_store


def test_background_build_switches_searches_to_the_index(tmp_path: Path) -> None:
    path = make_store(tmp_path / "big.h5", n=1500, dim=16)
    with EmbeddingStore(path) as store:
        search = NeighbourSearch(store)
        search.engine.ann_threshold = 1000  # as if the store held over a million galaxies
        search.around(5, "image", "spectrum", k=8)
        assert not search.engine.index_ready("spectrum")  # the click did not build it
        search.build_indexes()
        assert search.engine.index_ready("image") and search.engine.index_ready("spectrum")
        assert len(search.around(5, "image", "spectrum", k=8).indices) == 8


def test_small_stores_need_no_index(tmp_path: Path) -> None:
    path = make_store(tmp_path / "small.h5", n=300, dim=8)
    with EmbeddingStore(path) as store:
        search = NeighbourSearch(store)
        search.build_indexes()
        assert not search.engine.index_ready("image")
