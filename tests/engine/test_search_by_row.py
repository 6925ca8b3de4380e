"""Similarity search by store row (what the explorer's clicks use) equals search by TARGETID."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from astroclip_engine.errors import StoreError
from astroclip_engine.search import SimilaritySearch
from astroclip_engine.store import EmbeddingStore
from tests.engine.test_science_search import make_store


@pytest.mark.parametrize(("query", "key"), [("image", "image"), ("spectrum", "image")])
def test_search_by_row_matches_targetid(tmp_path: Path, query: str, key: str) -> None:
    with EmbeddingStore(make_store(tmp_path / "emb.h5", n=120)) as store:
        search = SimilaritySearch(store)
        for row in (10, 57, 119):
            by_row = search.search(query, key, row=row, k=6)  # type: ignore[arg-type]
            by_id = search.search(query, key, targetid=int(store.targetids[row]), k=6)  # type: ignore[arg-type]
            np.testing.assert_array_equal(by_row.rows, by_id.rows)
            np.testing.assert_array_equal(by_row.similarities, by_id.similarities)
            if query == key:
                assert row not in by_row.rows  # never finds itself


def test_search_by_row_errors(tmp_path: Path) -> None:
    with EmbeddingStore(make_store(tmp_path / "emb.h5", n=60)) as store:
        search = SimilaritySearch(store)
        with pytest.raises(StoreError, match="row 60 is outside the store"):
            search.search("image", "image", row=60)
        with pytest.raises(StoreError, match="exactly one"):
            search.search("image", "image", row=3, targetid=1003)
