"""Zero-shot k-NN regression from frozen embeddings, in-modal and cross-modal.

Two protocols: k = 16 uniform cosine neighbours (`knn.knn_regress`, the public reproduction)
and k = 64 distance-weighted euclidean neighbours on standardised embeddings (the paper; the
scaler is fitted on the reference set and applied to the queries, which live in the same space).
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsRegressor
from sklearn.preprocessing import StandardScaler

from astroclip_engine.evaluation.data import (
    EvalData,
    Prediction,
    mask_groups,
    predictions_for,
    require_size,
)
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.knn import knn_regress
from astroclip_engine.modalities import MODALITY_PAIRS

DIRECTIONS = MODALITY_PAIRS
"""(query modality, reference modality)."""


def zero_shot(
    data: EvalData,
    k: int = 16,
    k_weighted: int = 64,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> list[Prediction]:
    """k-NN predictions of every target in the four directions, with both protocols."""
    report = reporter or null_reporter
    groups = mask_groups(data.targets, data.train)
    total = len(DIRECTIONS) * len(groups)
    out: list[Prediction] = []
    step = 0
    report(Progress("zero-shot k-NN", 0, total))
    for query, key in DIRECTIONS:
        for names in groups:
            if cancel is not None:
                cancel.raise_if_cancelled()
            y = np.stack([data.targets[n] for n in names], axis=1)
            ref = data.train[np.isfinite(y[data.train, 0])]
            require_size(len(ref), max(k, k_weighted), "zero-shot k-NN", data.store_path)
            ref_x, ref_y = data.embeddings(key)[ref], y[ref]
            q_x = data.embeddings(query)[data.test]
            uniform = knn_regress(ref_x, ref_y, q_x, k=k)
            out += predictions_for(f"knn{k}", data.targets, names, data.test, uniform, query, key)
            weighted = weighted_knn(ref_x, ref_y, q_x, k_weighted)
            out += predictions_for(f"knn{k_weighted}w", data.targets, names, data.test,
                                   weighted, query, key)
            step += 1
            report(Progress("zero-shot k-NN", step, total, f"{query}->{key}"))
    return out


def weighted_knn(ref_x: np.ndarray, ref_y: np.ndarray, query_x: np.ndarray, k: int) -> np.ndarray:
    """Distance-weighted euclidean k-NN on embeddings standardised with the reference scaler."""
    scaler = StandardScaler().fit(ref_x)
    model = KNeighborsRegressor(n_neighbors=k, weights="distance", algorithm="brute")
    model.fit(scaler.transform(ref_x), ref_y)
    return np.asarray(model.predict(scaler.transform(query_x))).reshape(len(query_x), -1)
