"""Supervised baselines on the same split as the embeddings: a small CNN trained on the raw
images, and an MLP on g, r, z photometry (catalogue magnitudes, or aperture magnitudes measured
on the images). They answer "how much did the embeddings add?".

Kept cheap on purpose (CPU, minutes): at most `max_train` / `max_test` galaxies (a seeded random
subsample), images downsampled 4x and centre-cropped to 32 px, a few epochs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.evaluation.data import EvalData, Prediction, predictions_for
from astroclip_engine.evaluation.few_shot import fit_mlp, predict_mlp
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter

APERTURE_RADIUS_PX = 8


@dataclass(frozen=True)
class BaselineConfig:
    max_train: int = 4000
    max_test: int = 2000
    epochs: int = 8
    batch_size: int = 64
    lr: float = 2e-3
    downsample: int = 4
    crop: int = 32
    seed: int = 0


def subsample(index: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if len(index) <= limit:
        return index
    return np.sort(np.random.default_rng(seed).choice(index, size=limit, replace=False))


def read_images(dataset: PairedDataset, rows: np.ndarray, config: BaselineConfig,
                cancel: CancelToken | None = None) -> np.ndarray:
    """(n, 3, c, c) float32: downsampled, centre-cropped (c = config.crop, or less for small
    images), asinh-stretched images."""
    out: np.ndarray | None = None
    pool = nn.AvgPool2d(config.downsample)
    for i, row in enumerate(rows):
        if cancel is not None and i % 256 == 0:
            cancel.raise_if_cancelled()
        image = torch.from_numpy(np.ascontiguousarray(dataset.read_image(int(row))))
        small = pool(image[None])[0]
        crop = min(config.crop, small.shape[-2], small.shape[-1])
        if out is None:
            out = np.empty((len(rows), 3, crop, crop), dtype=np.float32)
        top, left = (small.shape[-2] - crop) // 2, (small.shape[-1] - crop) // 2
        out[i] = small[:, top:top + crop, left:left + crop].numpy()
    if out is None:
        return np.empty((0, 3, config.crop, config.crop), dtype=np.float32)
    return np.arcsinh(out / 0.01).astype(np.float32)


def aperture_magnitudes(dataset: PairedDataset, rows: np.ndarray,
                        cancel: CancelToken | None = None) -> np.ndarray:
    """(n, 3) g, r, z AB magnitudes in a circular aperture at the centre (22.5 - 2.5 log10 f)."""
    mags = np.empty((len(rows), 3), dtype=np.float64)
    mask = None
    for i, row in enumerate(rows):
        if cancel is not None and i % 256 == 0:
            cancel.raise_if_cancelled()
        image = dataset.read_image(int(row))
        if mask is None:
            h, w = image.shape[-2:]
            yy, xx = np.mgrid[:h, :w]
            mask = (yy - (h - 1) / 2) ** 2 + (xx - (w - 1) / 2) ** 2 <= APERTURE_RADIUS_PX ** 2
        flux = image[:, mask].sum(axis=1)
        mags[i] = 22.5 - 2.5 * np.log10(np.maximum(flux, 1e-3))
    return mags


def photometry_features(mags: np.ndarray) -> np.ndarray:
    """Magnitudes and the g-r, r-z colours."""
    return np.column_stack([mags, mags[:, 0] - mags[:, 1], mags[:, 1] - mags[:, 2]])


class SmallCNN(nn.Module):
    """Three conv blocks and a linear head: a deliberately small supervised image regressor
    (or classifier, `train_cnn_classifier`)."""

    def __init__(self, n_out: int) -> None:  # regression targets or class logits
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in ((3, 16), (16, 32), (32, 64)):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                       nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def train_cnn(images: np.ndarray, y: np.ndarray, config: BaselineConfig,
              cancel: CancelToken | None = None) -> SmallCNN:
    """Fit a SmallCNN on standardised targets with a NaN-masked MSE and random flips."""
    target = torch.from_numpy(y.astype(np.float32))

    def loss(predicted: torch.Tensor, wanted: torch.Tensor) -> torch.Tensor:
        ok = torch.isfinite(wanted)
        return ((predicted - torch.nan_to_num(wanted)) ** 2)[ok].mean()

    return _fit(SmallCNN(y.shape[1]), images, target, loss, config, cancel)


def train_cnn_classifier(images: np.ndarray, labels: np.ndarray, n_classes: int,
                         config: BaselineConfig, cancel: CancelToken | None = None) -> SmallCNN:
    """Fit a SmallCNN as an `n_classes`-way classifier (cross-entropy on labels 0..n-1, random
    flips); its outputs are the class logits."""
    target = torch.from_numpy(labels.astype(np.int64))
    return _fit(SmallCNN(n_classes), images, target, nn.functional.cross_entropy, config, cancel)


def _fit(model: SmallCNN, images: np.ndarray, target: torch.Tensor,
         loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], config: BaselineConfig,
         cancel: CancelToken | None) -> SmallCNN:
    """Adam on mini-batches of (images, target) with random flips; the model in eval mode."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    x = torch.from_numpy(images)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), config.batch_size):
            if cancel is not None:
                cancel.raise_if_cancelled()
            batch = order[start:start + config.batch_size]
            if len(batch) < 2:
                continue
            xb = x[batch]
            if torch.rand(1, generator=generator) < 0.5:
                xb = xb.flip(-1)
            if torch.rand(1, generator=generator) < 0.5:
                xb = xb.flip(-2)
            loss = loss_fn(model(xb), target[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return model.eval()


def image_baseline(data: EvalData, dataset: PairedDataset, config: BaselineConfig | None = None,
                   reporter: Reporter | None = None,
                   cancel: CancelToken | None = None) -> list[Prediction]:
    """The small CNN on raw images, one multi-output model for every target."""
    config = config or BaselineConfig()
    report = reporter or null_reporter
    train = subsample(data.train, config.max_train, config.seed)
    test = subsample(data.test, config.max_test, config.seed + 1)
    report(Progress("image baseline", 0, 3, "reading images"))
    x_train = read_images(dataset, data.rows[train], config, cancel)
    x_test = read_images(dataset, data.rows[test], config, cancel)
    names = list(data.targets)
    y = np.stack([data.targets[n] for n in names], axis=1)
    mean, std = np.nanmean(y[train], axis=0), np.nanstd(y[train], axis=0)
    std = np.where(std > 0, std, 1.0)
    report(Progress("image baseline", 1, 3, "training"))
    with torch.inference_mode(False):
        model = train_cnn(x_train, (y[train] - mean) / std, config, cancel)
    with torch.no_grad():
        predicted = torch.cat([model(torch.from_numpy(x_test[i:i + 256]))
                               for i in range(0, len(x_test), 256)]).numpy() * std + mean
    report(Progress("image baseline", 3, 3))
    return predictions_for("cnn", data.targets, names, test, predicted, "image", "image")


def photometry_baseline(data: EvalData, dataset: PairedDataset | None,
                        config: BaselineConfig | None = None,
                        cancel: CancelToken | None = None) -> tuple[list[Prediction], str]:
    """An MLP [64, 64] on g, r, z magnitudes and colours; returns predictions and the source
    of the photometry ("catalogue" or "aperture")."""
    config = config or BaselineConfig()
    train = subsample(data.train, config.max_train, config.seed)
    test = subsample(data.test, config.max_test, config.seed + 1)
    if data.photometry is not None:
        features, source = data.photometry.astype(np.float64), "catalogue"
        x_train, x_test = features[train], features[test]
    elif dataset is not None:
        x_train = aperture_magnitudes(dataset, data.rows[train], cancel)
        x_test = aperture_magnitudes(dataset, data.rows[test], cancel)
        source = "aperture"
    else:
        return [], "none"
    x_train, x_test = photometry_features(x_train), photometry_features(x_test)
    out: list[Prediction] = []
    for name, values in data.targets.items():
        ok = np.isfinite(values[train]) & np.isfinite(x_train).all(axis=1)
        if ok.sum() < 20:
            continue
        fitted = fit_mlp(x_train[ok], values[train][ok], seed=config.seed)
        x = np.nan_to_num(x_test, nan=float(np.nanmedian(x_train)))
        out += predictions_for("photometry", data.targets, [name], test, predict_mlp(fitted, x))
    return out, source
