"""Exact cosine k-nearest neighbours and k-NN regression: the one implementation every module uses
(validation metric during training, zero-shot evaluation, search)."""

from __future__ import annotations

import numpy as np


def l2_normalize(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norm = np.linalg.norm(x, axis=axis, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def cosine_knn(
    queries: np.ndarray,
    keys: np.ndarray,
    k: int,
    exclude: np.ndarray | None = None,
    largest: bool = True,
    block: int = 1024,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (nq, k) and cosine similarities (nq, k) of the k most (or least) similar keys.

    Inputs must already be L2-normalised. `exclude[i]` is a key index to skip for query i
    (e.g. the query itself), or -1. `allowed` (bool, one per key) keeps the search to those
    keys (the explorer's property ranges). Work is blocked so memory stays O(block * N). Past
    the one pass over the keys (a matrix-vector product for a single query) only an O(N) selection
    runs, on the similarities in place: no negated or scaled copies.
    """
    n_keys = keys.shape[0] if allowed is None else int(np.count_nonzero(allowed))
    if k > n_keys - (1 if exclude is not None else 0):
        raise ValueError(f"k = {k} but only {n_keys} galaxies to search")
    out_idx = np.empty((queries.shape[0], k), dtype=np.int64)
    out_sim = np.empty((queries.shape[0], k), dtype=np.float32)
    for start in range(0, queries.shape[0], block):
        chunk = queries[start:start + block]
        sims = (keys @ chunk[0])[None, :] if len(chunk) == 1 else chunk @ keys.T
        if exclude is not None:
            ex = exclude[start:start + block]
            ok = ex >= 0
            sims[np.flatnonzero(ok), ex[ok]] = -np.inf if largest else np.inf
        if allowed is not None:
            sims[:, ~allowed] = -np.inf if largest else np.inf
        idx, sim = _select_top_k(sims, k, largest)
        out_idx[start:start + block], out_sim[start:start + block] = idx, sim
    return out_idx, out_sim


def _select_top_k(sims: np.ndarray, k: int, largest: bool) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the k largest (or smallest) entries of each row, sorted
    best first (ties keep index order)."""
    n = sims.shape[1]
    if largest:
        part = np.argpartition(sims, n - k, axis=1)[:, n - k:]
    else:
        part = np.argpartition(sims, k - 1, axis=1)[:, :k]
    part_sims = np.take_along_axis(sims, part, axis=1)
    # sort by value, ties by index, as a stable sort over the full row would
    order = np.lexsort((part, -part_sims if largest else part_sims), axis=1)
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_sims, order, axis=1)


def knn_regress(
    train_embeddings: np.ndarray,
    train_targets: np.ndarray,
    query_embeddings: np.ndarray,
    k: int = 16,
    weighted: bool = False,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """Predict targets (nq,) or (nq, t): the mean (or similarity-weighted mean) of k neighbours."""
    idx, sims = cosine_knn(query_embeddings, train_embeddings, k, exclude=exclude)
    neighbours = train_targets[idx]
    if not weighted:
        return neighbours.mean(axis=1)
    weights = np.clip(1.0 / np.maximum(1.0 - sims, 1e-6), 0, None)
    if neighbours.ndim == 3:
        weights = weights[..., None]
    return (neighbours * weights).sum(axis=1) / weights.sum(axis=1)


def r2_score(true: np.ndarray, predicted: np.ndarray) -> float:
    """Coefficient of determination, ignoring NaN targets."""
    ok = np.isfinite(true) & np.isfinite(predicted)
    if ok.sum() < 2:
        return float("nan")
    t, p = true[ok], predicted[ok]
    ss_tot = float(((t - t.mean()) ** 2).sum())
    if ss_tot == 0:
        return float("nan")
    return 1.0 - float(((t - p) ** 2).sum()) / ss_tot
