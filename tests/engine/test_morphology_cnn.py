"""The supervised CNN row of the morphology table: the baselines' SmallCNN trained as a
classifier on raw images (evaluation/morphology.py)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from astroclip_engine.data.open import open_dataset
from astroclip_engine.evaluation.baselines import BaselineConfig
from astroclip_engine.evaluation.morphology import cnn_accuracy, cnn_morphology_row, read_morphology


class ShapeImages:
    """Images whose class is their shape: 0 a round blob, 1 a horizontal bar, 2 a vertical bar
    (random position jitter, brightness and sky noise)."""

    def __init__(self, labels: np.ndarray, seed: int = 0) -> None:
        self.labels = labels
        self.rng = np.random.default_rng(seed)

    def read_image(self, row: int) -> np.ndarray:
        yy, xx = np.mgrid[:64, :64] - 31.5 + self.rng.normal(0, 2, (2, 1, 1))
        sy, sx = {0: (4, 4), 1: (2, 10), 2: (10, 2)}[int(self.labels[row])]
        flux = self.rng.uniform(0.05, 0.2) * np.exp(-0.5 * ((yy / sy) ** 2 + (xx / sx) ** 2))
        noise = 0.005 * self.rng.standard_normal((3, 64, 64))
        return (flux[None] + noise).astype(np.float32)


def test_the_cnn_classifier_tells_separable_shapes_apart() -> None:
    labels = np.random.default_rng(1).integers(0, 3, 600)
    images = ShapeImages(labels)
    config = BaselineConfig(epochs=6, downsample=2)
    rows = np.arange(600)
    accuracy = cnn_accuracy(images, rows[:450], labels[:450], rows[450:], labels[450:], config)
    assert accuracy > 0.9


def test_cnn_row_on_the_mock_uses_its_labels_and_split(mock_survey: Path) -> None:
    table = mock_survey.with_name(f"{mock_survey.stem}.provabgs.hdf5")
    with h5py.File(table) as f:
        targetids = f["provabgs"]["TARGETID"][:]
    labels = read_morphology(table, targetids)
    dataset = open_dataset(mock_survey)
    try:
        row = cnn_morphology_row(dataset, np.arange(len(labels)), labels, np.arange(48),
                                 np.arange(48, len(labels)), BaselineConfig(epochs=1))
    finally:
        dataset.close()
    assert row["features"] == "supervised CNN (raw images)" and row["knn"] is None
    assert row["n_test"] == int((labels[48:] >= 0).sum())
    assert 0.0 <= row["supervised"] <= 1.0 and 0.0 < row["majority"] <= 1.0
