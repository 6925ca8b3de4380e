"""Few-shot regression: a small MLP [64, 64] trained on frozen embeddings of the train split."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from astroclip_engine.evaluation.data import (
    EvalData,
    Prediction,
    mask_groups,
    predictions_for,
    require_size,
)
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter

MIN_TRAIN = 20


def fit_mlp(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...] = (64, 64), seed: int = 0,
            max_iter: int = 300) -> tuple[StandardScaler, MLPRegressor, np.ndarray, np.ndarray]:
    """An MLP on standardised inputs and standardised targets, with early stopping."""
    scaler = StandardScaler().fit(x)
    mean, std = y.mean(axis=0), y.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    model = MLPRegressor(hidden_layer_sizes=hidden, early_stopping=True, random_state=seed,
                         max_iter=max_iter, learning_rate_init=1e-3, n_iter_no_change=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        target = (y - mean) / std
        model.fit(scaler.transform(x), target.ravel() if target.ndim == 2 and
                  target.shape[1] == 1 else target)
    return scaler, model, mean, std


def predict_mlp(fitted: tuple[StandardScaler, MLPRegressor, np.ndarray, np.ndarray],
                x: np.ndarray) -> np.ndarray:
    scaler, model, mean, std = fitted
    out = np.asarray(model.predict(scaler.transform(x))).reshape(len(x), -1)
    return out * std + mean


def few_shot(
    data: EvalData,
    hidden: tuple[int, ...] = (64, 64),
    seed: int = 0,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> list[Prediction]:
    """MLP predictions of every target from image and from spectrum embeddings."""
    report = reporter or null_reporter
    groups = mask_groups(data.targets, data.train)
    total = 2 * len(groups)
    out: list[Prediction] = []
    report(Progress("few-shot MLP", 0, total))
    step = 0
    for modality in ("image", "spectrum"):
        for names in groups:
            if cancel is not None:
                cancel.raise_if_cancelled()
            y = np.stack([data.targets[n] for n in names], axis=1)
            ref = data.train[np.isfinite(y[data.train, 0])]
            require_size(len(ref), MIN_TRAIN, "the few-shot MLP", data.store_path)
            x = data.embeddings(modality)
            fitted = fit_mlp(x[ref], y[ref], hidden, seed)
            predicted = predict_mlp(fitted, x[data.test])
            out += predictions_for("mlp", data.targets, names, data.test, predicted,
                                   modality, modality)
            step += 1
            report(Progress("few-shot MLP", step, total, modality))
    return out
