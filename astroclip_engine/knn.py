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
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (nq, k) and cosine similarities (nq, k) of the k most (or least) similar keys.

    Inputs must already be L2-normalised. `exclude[i]` is a key index to skip for query i
    (e.g. the query itself), or -1. Work is blocked so memory stays O(block * N).
    """
    n_keys = keys.shape[0]
    if k > n_keys - (1 if exclude is not None else 0):
        raise ValueError(f"k = {k} but only {n_keys} galaxies to search")
    sign = 1.0 if largest else -1.0
    out_idx = np.empty((queries.shape[0], k), dtype=np.int64)
    out_sim = np.empty((queries.shape[0], k), dtype=np.float32)
    for start in range(0, queries.shape[0], block):
        sims = sign * (queries[start:start + block] @ keys.T)
        if exclude is not None:
            rows = np.arange(sims.shape[0])
            ex = exclude[start:start + block]
            ok = ex >= 0
            sims[rows[ok], ex[ok]] = -np.inf
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-part_sims, axis=1, kind="stable")
        out_idx[start:start + block] = np.take_along_axis(part, order, axis=1)
        out_sim[start:start + block] = sign * np.take_along_axis(part_sims, order, axis=1)
    return out_idx, out_sim


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
