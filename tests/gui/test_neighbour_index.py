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


def test_background_build_leaves_a_core_to_the_gui(tmp_path: Path, monkeypatch) -> None:
    """At a million galaxies the build takes minutes: on every core it halves the click speed
    (docs/benchmarks.md, gui_load), so it runs on all cores but one."""
    import os

    from astroclip_gui.explorer import engine_access

    for cores, threads in ((1, 1), (2, 1), (16, 15)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, c=cores: set(range(c)))
        assert engine_access.background_threads() == threads
    path = make_store(tmp_path / "big.h5", n=1500, dim=16)
    with EmbeddingStore(path) as store:
        search = NeighbourSearch(store)
        search.engine.ann_threshold = 1000
        seen: list[int] = []
        real = search.engine.build_index
        monkeypatch.setattr(search.engine, "build_index",
                            lambda modality, threads=-1: (seen.append(threads),
                                                          real(modality, threads=threads))[1])
        search.build_indexes()
        assert seen == [15, 15]  # sched_getaffinity still reports 16 cores here
        assert search.engine.index_ready("image") and search.engine.index_ready("spectrum")
