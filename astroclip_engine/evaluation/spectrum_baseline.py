"""The supervised spectrum baseline: an MLP trained on the spectra themselves (the train split's
labels), on the same split as the embeddings. It is the "what could a network learn from these
spectra, with labels, at this sample size" ceiling that zero-shot numbers should be read
against (docs/science.md).

Input: each spectrum standardised as for the encoders (`transforms.prepare_spectra`), then
averaged into `spectrum_match.REBIN`-pixel bins (12.8 A: beats the per-pixel noise down while
keeping lines and breaks, 486 features on the DESI grid).
"""

from __future__ import annotations

import numpy as np
import torch

from astroclip_engine.data.schema import PairedDataset
from astroclip_engine.data.spectrum_match import REBIN
from astroclip_engine.data.transforms import prepare_spectra
from astroclip_engine.evaluation.baselines import BaselineConfig, subsample
from astroclip_engine.evaluation.data import EvalData, Prediction, mask_groups, predictions_for
from astroclip_engine.evaluation.few_shot import fit_mlp, predict_mlp
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter

HIDDEN = (256, 64)
READ_CHUNK = 512


def rebinned_spectra(dataset: PairedDataset, rows: np.ndarray,
                     cancel: CancelToken | None = None) -> np.ndarray:
    """(n, L // REBIN) float32: standardised spectra averaged into REBIN-pixel bins."""
    out: list[np.ndarray] = []
    for start in range(0, len(rows), READ_CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        raw = np.stack([np.asarray(dataset.read_spectrum(int(r)), np.float32).reshape(-1)
                        for r in rows[start:start + READ_CHUNK]])
        x = prepare_spectra(torch.from_numpy(raw), train=False).numpy()
        usable = x.shape[1] // REBIN * REBIN
        out.append(x[:, :usable].reshape(len(x), -1, REBIN).mean(axis=2))
    width = out[0].shape[1] if out else 0
    return np.concatenate(out) if out else np.empty((0, width), np.float32)


def spectrum_baseline(data: EvalData, dataset: PairedDataset,
                      config: BaselineConfig | None = None, reporter: Reporter | None = None,
                      cancel: CancelToken | None = None) -> list[Prediction]:
    """MLP [256, 64] predictions of every target from the rebinned spectra of the test split."""
    config = config or BaselineConfig()
    report = reporter or null_reporter
    train = subsample(data.train, config.max_train, config.seed)
    test = subsample(data.test, config.max_test, config.seed + 1)
    report(Progress("spectrum baseline", 0, 2, "reading spectra"))
    x_train = rebinned_spectra(dataset, data.rows[train], cancel)
    x_test = rebinned_spectra(dataset, data.rows[test], cancel)
    report(Progress("spectrum baseline", 1, 2, "training"))
    out: list[Prediction] = []
    for names in mask_groups(data.targets, train):
        y = np.stack([data.targets[n] for n in names], axis=1)
        ok = np.isfinite(y[train, 0])
        if ok.sum() < 20:
            continue
        fitted = fit_mlp(x_train[ok], y[train][ok], HIDDEN, config.seed)
        out += predictions_for("mlp", data.targets, names, test, predict_mlp(fitted, x_test),
                               "spectrum", "spectrum")
    report(Progress("spectrum baseline", 2, 2))
    return out
