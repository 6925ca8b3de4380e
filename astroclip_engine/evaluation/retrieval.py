"""Cross-modal retrieval: for each test galaxy, the rank of its own partner among all test
galaxies in the other modality (1 = the partner is the most similar)."""

from __future__ import annotations

import numpy as np

from astroclip_engine.evaluation.data import EvalData
from astroclip_engine.jobs import CancelToken


def partner_ranks(queries: np.ndarray, keys: np.ndarray, block: int = 1024,
                  cancel: CancelToken | None = None) -> np.ndarray:
    """Rank (1-based) of keys[i] among all keys for queries[i]; inputs L2-normalised, paired
    row by row. Ties count in the partner's favour. Memory stays O(block * n)."""
    n = queries.shape[0]
    ranks = np.empty(n, dtype=np.int64)
    for start in range(0, n, block):
        if cancel is not None:
            cancel.raise_if_cancelled()
        stop = min(n, start + block)
        sims = queries[start:stop] @ keys.T
        own = sims[np.arange(stop - start), np.arange(start, stop)]
        ranks[start:stop] = (sims > own[:, None]).sum(axis=1) + 1
    return ranks


def retrieval_metrics(ranks: np.ndarray) -> dict[str, float]:
    return {
        "top1": float((ranks <= 1).mean()),
        "top10": float((ranks <= 10).mean()),
        "median_rank": float(np.median(ranks)),
        "n": len(ranks),
        "chance_top1": 1.0 / len(ranks),
    }


def retrieval(data: EvalData, cancel: CancelToken | None = None) -> dict[str, dict[str, float]]:
    """Partner-retrieval metrics on the test split in both directions."""
    image, spectrum = data.image[data.test], data.spectrum[data.test]
    return {
        "image->spectrum": retrieval_metrics(partner_ranks(image, spectrum, cancel=cancel)),
        "spectrum->image": retrieval_metrics(partner_ranks(spectrum, image, cancel=cancel)),
    }
