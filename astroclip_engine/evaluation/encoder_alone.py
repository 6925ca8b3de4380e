"""A pretrained encoder alone ("SpecFormer alone" in the AstroCLIP paper, and the MoCo image
encoder alone): zero-shot k-NN R^2 of its frozen, pooled features, on the same galaxies and
split as the aligned model's store, so the rows compare directly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from astroclip_engine.data.transforms import prepare_images, prepare_spectra
from astroclip_engine.evaluation.data import EvalData, mask_groups
from astroclip_engine.knn import knn_regress, l2_normalize, r2_score

BATCH = 256


def _pooled_features(model: torch.nn.Module, dataset_path: str | Path,
                     dataset_rows: np.ndarray, read: str,
                     prepare: Callable[[torch.Tensor], torch.Tensor]) -> np.ndarray:
    """(n, F) L2-normalised `model.forward_features` of the dataset rows, read with the
    dataset's `read` method ("read_spectrum" or "read_image") and prepared by `prepare`."""
    from astroclip_engine.data.open import open_dataset

    dataset = open_dataset(dataset_path)
    reader = getattr(dataset, read)
    out = []
    try:
        for start in range(0, len(dataset_rows), BATCH):
            raw = np.stack([np.asarray(reader(int(i)), dtype=np.float32)
                            for i in dataset_rows[start:start + BATCH]])
            with torch.no_grad():
                out.append(model.forward_features(prepare(torch.from_numpy(raw))).numpy())
    finally:
        dataset.close()
    return l2_normalize(np.concatenate(out))


def specformer_features(checkpoint: str | Path, dataset_path: str | Path,
                        dataset_rows: np.ndarray) -> np.ndarray:
    """(n, F) L2-normalised features of the pretrained SpecFormer for the given dataset rows."""
    from astroclip_engine.models.pretrain_checkpoint import (
        load_pretrained_specformer,
        pretrain_config,
    )

    config, _ = pretrain_config(checkpoint)
    model = load_pretrained_specformer(checkpoint, config.model.spectrum_encoder).eval()
    return _pooled_features(
        model, dataset_path, dataset_rows, "read_spectrum",
        lambda raw: prepare_spectra(raw.reshape(len(raw), -1), train=False))


def image_encoder_features(checkpoint: str | Path, dataset_path: str | Path,
                           dataset_rows: np.ndarray) -> np.ndarray:
    """(n, F) L2-normalised pooled features of an `astroclip pretrain --modality image` encoder
    for the given dataset rows (its own preprocessing and crop, no augmentation)."""
    from astroclip_engine.models.pretrain_checkpoint import (
        load_pretrained_image_encoder,
        pretrain_config,
    )

    config, _ = pretrain_config(checkpoint)
    model = load_pretrained_image_encoder(checkpoint, config.model.image_encoder).eval()
    return _pooled_features(model, dataset_path, dataset_rows, "read_image",
                            lambda raw: prepare_images(raw, config.model, train=False))


def encoder_alone_rows(features: np.ndarray, data: EvalData, name: str, k: int = 16
                       ) -> list[dict[str, object]]:
    """Zero-shot k-NN R^2 of every target from `features` (rows aligned with `data`)."""
    rows: list[dict[str, object]] = []
    for names in mask_groups(data.targets, data.train):
        y = np.stack([data.targets[n] for n in names], axis=1)
        ref = data.train[np.isfinite(y[data.train, 0])]
        predicted = knn_regress(features[ref], y[ref], features[data.test], k=k)
        for j, target in enumerate(names):
            true = y[data.test, j]
            ok = np.isfinite(true)
            r2 = r2_score(true[ok], predicted[ok, j])
            rows.append({"method": f"knn{k}", "query": name, "key": name, "target": target,
                         "r2": None if np.isnan(r2) else round(float(r2), 5),
                         "n": int(ok.sum())})
    return rows
