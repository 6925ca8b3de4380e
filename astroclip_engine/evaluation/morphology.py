"""Morphology classification from frozen embeddings (the mock's MORPH_CLASS labels: 0 smooth,
1 disk, 2 edge-on, 3 merger; `data.mock_morphology`).

Protocols, on the store's own train (reference) / test (query) split:
- k-NN: majority vote of the k = 16 most cosine-similar reference galaxies (`knn.cosine_knn`);
- few-shot: a logistic regression fitted on `shots` labelled reference galaxies per class.
Accuracies are reported with the majority-class rate of the test set, the accuracy of always
guessing the most common class. The supervised reference: the small CNN of
`evaluation/baselines.py` trained as a classifier on the raw images of the train split
(`cnn_morphology_row`), its accuracy on the test split.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.errors import DataFormatError, reading
from astroclip_engine.evaluation.baselines import (
    BaselineConfig,
    read_images,
    subsample,
    train_cnn_classifier,
)
from astroclip_engine.jobs import CancelToken
from astroclip_engine.knn import cosine_knn, l2_normalize

LABEL_COLUMN = "MORPH_CLASS"


def read_morphology(table: str | Path, targetids: np.ndarray) -> np.ndarray:
    """MORPH_CLASS of each TARGETID from a mock property table (-1 where absent)."""
    path = Path(table)
    with reading(path, expected="a mock property table"), h5py.File(path, "r") as f:
        if "provabgs" not in f or LABEL_COLUMN not in (f["provabgs"].dtype.names or ()):
            raise DataFormatError(path, f"no {LABEL_COLUMN} column (a mock made before "
                                        "morphology labels?)", key=LABEL_COLUMN)
        rows = f["provabgs"][:]
    lookup = dict(zip(rows["TARGETID"].astype(np.int64).tolist(),
                      rows[LABEL_COLUMN].astype(int).tolist(), strict=True))
    return np.array([lookup.get(int(t), -1) for t in targetids], dtype=int)


def knn_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
                 test_y: np.ndarray, k: int = 16) -> float:
    idx, _ = cosine_knn(l2_normalize(test_x), l2_normalize(train_x), k)
    votes = train_y[idx]
    predicted = np.array([np.bincount(v).argmax() for v in votes])
    return float(np.mean(predicted == test_y))


def few_shot_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
                      test_y: np.ndarray, shots: int = 10, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    pick = np.concatenate([rng.permutation(np.flatnonzero(train_y == c))[:shots]
                           for c in np.unique(train_y)])
    model = LogisticRegression(max_iter=2000).fit(l2_normalize(train_x[pick]), train_y[pick])
    return float(np.mean(model.predict(l2_normalize(test_x)) == test_y))


def morphology_rows(features: dict[str, np.ndarray], labels: np.ndarray, train: np.ndarray,
                    test: np.ndarray, k: int = 16, shots: int = 10) -> list[dict[str, object]]:
    """One row per feature set (e.g. "image", "spectrum"): k-NN and few-shot accuracy."""
    train = train[labels[train] >= 0]
    test = test[labels[test] >= 0]
    majority = float(np.mean(labels[test] == np.bincount(labels[train]).argmax()))
    return [{"features": name, "knn": knn_accuracy(x[train], labels[train], x[test],
                                                   labels[test], k),
             f"few_shot_{shots}": few_shot_accuracy(x[train], labels[train], x[test],
                                                    labels[test], shots),
             "majority": majority, "n_test": len(test)}
            for name, x in features.items()]


def cnn_accuracy(dataset: PairedDataset, train_rows: np.ndarray, train_y: np.ndarray,
                 test_rows: np.ndarray, test_y: np.ndarray, config: BaselineConfig | None = None,
                 cancel: CancelToken | None = None) -> float:
    """Test accuracy of the baselines' SmallCNN trained as a classifier on the raw images of
    `train_rows` (dataset rows) with labels `train_y`."""
    config = config or BaselineConfig()
    images = read_images(dataset, train_rows, config, cancel)
    model = train_cnn_classifier(images, train_y, int(max(train_y.max(), test_y.max())) + 1,
                                 config, cancel)
    test_images = read_images(dataset, test_rows, config, cancel)
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(test_images[i:i + 256]))
                            for i in range(0, len(test_images), 256)])
    return float(np.mean(logits.argmax(dim=1).numpy() == test_y))


def cnn_morphology_row(dataset: PairedDataset, dataset_rows: np.ndarray, labels: np.ndarray,
                       train: np.ndarray, test: np.ndarray, config: BaselineConfig | None = None,
                       cancel: CancelToken | None = None) -> dict[str, object]:
    """The supervised row of the morphology table (same split and majority rate as
    `morphology_rows`; at most config.max_train / max_test galaxies)."""
    config = config or BaselineConfig()
    train = subsample(train[labels[train] >= 0], config.max_train, config.seed)
    test = subsample(test[labels[test] >= 0], config.max_test, config.seed + 1)
    with torch.inference_mode(False):
        accuracy = cnn_accuracy(dataset, dataset_rows[train], labels[train], dataset_rows[test],
                                labels[test], config, cancel)
    majority = float(np.mean(labels[test] == np.bincount(labels[train]).argmax()))
    return {"features": "supervised CNN (raw images)", "knn": None, "few_shot_10": None,
            "supervised": accuracy, "majority": majority, "n_test": len(test)}
