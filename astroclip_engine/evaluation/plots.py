"""Publication-quality figures: predicted-vs-true 2-D histograms with R^2 in every panel, and R^2
against embedding size. Each figure is written as PNG and PDF, atomically.

Figures are built with `matplotlib.figure.Figure` (Agg canvas), never pyplot: no global backend
switch and no figure registry, so this is safe in worker threads and beside a Qt GUI."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from astroclip_engine.atomic import atomic_path
from astroclip_engine.evaluation.data import Prediction

LABELS = {
    "redshift": "redshift $z$",
    "log_mstar": r"$\log M_\star / M_\odot$",
    "log_z_mw": r"$\log Z_{\rm MW}$",
    "t_age": r"$t_{\rm age}$ [Gyr]",
    "log_ssfr": r"$\log \rm sSFR$ [yr$^{-1}$]",
}
STYLE = {"font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "savefig.dpi": 200,
         "font.family": "DejaVu Sans"}


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """Write `stem`.png and `stem`.pdf atomically; returns the paths."""
    paths = []
    for fmt in ("png", "pdf"):
        target = stem.with_suffix(f".{fmt}")
        with atomic_path(target, suffix=f".{fmt}") as tmp:
            fig.savefig(tmp, format=fmt)
        paths.append(target)
    return paths


def prediction_grid(predictions: Sequence[Prediction], stem: Path, title: str,
                    bins: int = 60) -> list[Path]:
    """One row per method/direction, one column per target: 2-D histogram of predicted vs
    true with the 1:1 line and R^2. Axes of a column share one range (and tick labels)."""
    rows = list(dict.fromkeys(p.label for p in predictions))
    cols = list(dict.fromkeys(p.target for p in predictions))
    if not predictions:
        return []
    by_cell = {(p.label, p.target): p for p in predictions}
    limits = {col: _limits([p for p in predictions if p.target == col]) for col in cols}
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(2.0 * len(cols) + 0.8, 2.0 * len(rows) + 0.6))
        axes = fig.subplots(len(rows), len(cols), squeeze=False, sharex="col", sharey="col")
        fig.subplots_adjust(left=0.8 / (2.0 * len(cols) + 0.8), right=0.98, wspace=0.3,
                            hspace=0.08, bottom=0.45 / (2.0 * len(rows) + 0.6),
                            top=1 - 0.35 / (2.0 * len(rows) + 0.6))
        for i, row in enumerate(rows):
            for j, col in enumerate(cols):
                ax = axes[i, j]
                ax.xaxis.set_major_locator(MaxNLocator(3))
                ax.yaxis.set_major_locator(MaxNLocator(3))
                p = by_cell.get((row, col))
                if p is not None and len(p.true) >= 2:
                    _panel(ax, p, bins, limits[col])
                if i == len(rows) - 1:
                    ax.set_xlabel(f"true {LABELS.get(col, col)}")
                if j == 0:
                    ax.set_ylabel(f"{row}\npredicted")
        fig.suptitle(title)
        return save_figure(fig, stem)


def _limits(predictions: Sequence[Prediction]) -> tuple[float, float]:
    values = np.concatenate([np.concatenate([p.true, p.predicted]) for p in predictions])
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(values, [0.5, 99.5])
    return (float(lo), float(hi)) if hi > lo else (float(lo) - 0.5, float(hi) + 0.5)


def _panel(ax: Axes, p: Prediction, bins: int, limits: tuple[float, float]) -> None:
    lo, hi = limits
    counts, _, _ = np.histogram2d(p.true, p.predicted, bins=bins, range=[[lo, hi], [lo, hi]])
    counts = np.ma.masked_less(counts.T, 1)  # one raster image: small, fast PDFs
    ax.imshow(counts, origin="lower", extent=(lo, hi, lo, hi), cmap="viridis",
              norm=LogNorm(vmin=1, vmax=max(2.0, counts.max())), interpolation="nearest",
              aspect="auto")
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=0.8, ls="--")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.text(0.04, 0.95, f"$R^2$ = {p.r2:.3f}", transform=ax.transAxes, va="top", fontsize=8,
            color="black", bbox={"facecolor": "white", "alpha": 0.8, "lw": 0, "pad": 1.5})


def r2_vs_dim(rows: Sequence[dict], stem: Path, method: str = "knn16") -> list[Path]:
    """R^2 against embedding size, one panel per target, one line per direction.

    `rows` are zero-shot summaries with an added "embedding_dim"."""
    rows = [r for r in rows if r["method"] == method and r["r2"] is not None]
    targets = list(dict.fromkeys(r["target"] for r in rows))
    if not targets:
        return []
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(2.8 * len(targets), 2.6), layout="constrained")
        axes = fig.subplots(1, len(targets), squeeze=False)
        for ax, target in zip(axes[0], targets, strict=True):
            sub = [r for r in rows if r["target"] == target]
            for direction in dict.fromkeys(_direction(r) for r in sub):
                line = sorted((r["embedding_dim"], r["r2"]) for r in sub
                              if _direction(r) == direction)
                ax.plot(*zip(*line, strict=True), marker="o", ms=3, label=direction)
            ax.set_xscale("log", base=2)
            ax.set_xlabel("embedding size $D$")
            ax.set_title(LABELS.get(target, target))
            ax.grid(alpha=0.3)
        axes[0, 0].set_ylabel(f"zero-shot $R^2$ ({method})")
        axes[0, -1].legend(fontsize=7, frameon=False)
        return save_figure(fig, stem)


def _direction(row: dict) -> str:
    q, k = row["query"], row["key"]
    return q if q == k else f"{q}->{k}"
