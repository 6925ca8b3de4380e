"""`astroclip evaluate`: run every evaluation on a store's held-out split and write
REPORT_DIR/report.json, REPORT_DIR/report.md and the plots; compare several stores by size."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from astroclip_engine.atomic import atomic_write_text
from astroclip_engine.errors import StoreError
from astroclip_engine.evaluation import plots
from astroclip_engine.evaluation.baselines import (
    BaselineConfig,
    image_baseline,
    photometry_baseline,
)
from astroclip_engine.evaluation.data import EvalData, Prediction, load_eval_data
from astroclip_engine.evaluation.few_shot import few_shot
from astroclip_engine.evaluation.retrieval import retrieval
from astroclip_engine.evaluation.zero_shot import zero_shot
from astroclip_engine.jobs import CancelToken, Progress, Reporter, null_reporter
from astroclip_engine.store import EmbeddingStore

log = logging.getLogger(__name__)


def evaluate_store(
    store_path: str | Path,
    out_dir: str | Path,
    *,
    properties: str | Path | None = None,
    k: int = 16,
    k_weighted: int = 64,
    few_shot_mlp: bool = True,
    image_baseline_cnn: bool = True,
    photometry_mlp: bool = True,
    baseline: BaselineConfig | None = None,
    make_plots: bool = True,
    pretrained_spectrum: str | Path | None = None,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Evaluate one store; returns the report dictionary written to report.json.
    `pretrained_spectrum`: an `astroclip pretrain` checkpoint, evaluated alone (frozen) too."""
    report = reporter or null_reporter
    out_dir = Path(out_dir)
    with EmbeddingStore(store_path) as store:
        data = load_eval_data(store, properties)
        info = store.info
        targetids = store.targetids[data.rows]
        dataset_rows = store.rows[data.rows]
    result: dict[str, Any] = {
        "store": str(store_path), "embedding_dim": info.embedding_dim,
        "checkpoint": info.checkpoint, "checkpoint_sha256": info.checkpoint_sha256,
        "dataset_path": info.dataset_path, "n_train": len(data.train),
        "n_test": len(data.test), "n_invalid_excluded": data.n_invalid,
        "targets": list(data.targets), "missing_targets": data.missing_targets,
        "skipped_test_without_value": data.skipped(),
    }
    zs = zero_shot(data, k, k_weighted, reporter, cancel)
    result["zero_shot"] = [p.summary() for p in zs]
    fs = few_shot(data, reporter=reporter, cancel=cancel) if few_shot_mlp else []
    result["few_shot"] = [p.summary() for p in fs]
    report(Progress("retrieval", 0, 1))
    result["retrieval"] = retrieval(data, cancel)
    report(Progress("retrieval", 1, 1))
    result["encoder_alone"] = []
    if pretrained_spectrum is not None:
        from astroclip_engine.evaluation.encoder_alone import (
            encoder_alone_rows,
            specformer_features,
        )

        features = specformer_features(pretrained_spectrum, data.dataset_path, dataset_rows)
        result["encoder_alone"] = encoder_alone_rows(features, data, "SpecFormer alone", k)
    result["morphology"] = _morphology(data, targetids)
    base, notes = _baselines(data, image_baseline_cnn, photometry_mlp, baseline, reporter, cancel)
    result["baselines"] = [p.summary() for p in base]
    result["baseline_notes"] = notes
    if make_plots:
        result["plots"] = _plots(out_dir, zs, fs, base, k, k_weighted)
    atomic_write_text(out_dir / "report.json", json.dumps(result, indent=2))
    atomic_write_text(out_dir / "report.md", markdown(result))
    return result


def _baselines(data: EvalData, cnn: bool, photometry: bool, config: BaselineConfig | None,
               reporter: Reporter | None,
               cancel: CancelToken | None) -> tuple[list[Prediction], list[str]]:
    notes: list[str] = []
    out: list[Prediction] = []
    if not (cnn or photometry):
        return out, notes
    dataset = _open_dataset(data.dataset_path, notes)
    if photometry:
        preds, source = photometry_baseline(data, dataset, config, cancel)
        out += preds
        notes.append(f"photometry baseline: {source} g, r, z magnitudes")
    if cnn and dataset is not None:
        from astroclip_engine.evaluation.spectrum_baseline import spectrum_baseline

        out += image_baseline(data, dataset, config, reporter, cancel)
        out += spectrum_baseline(data, dataset, config, reporter, cancel)
        notes.append("spectrum baseline: MLP [256, 64] on the standardised spectra in 12.8 A "
                     "bins")
    elif cnn:
        notes.append("image and spectrum baselines skipped: the source dataset cannot be "
                     "opened")
    if dataset is not None:
        dataset.close()
    return out, notes


def _morphology(data: EvalData, targetids: Any) -> list[dict[str, Any]]:
    """Morphology accuracies when the dataset is a mock with MORPH_CLASS labels, else []."""
    from astroclip_engine.data.mock import mock_properties_path
    from astroclip_engine.errors import DataFormatError
    from astroclip_engine.evaluation.morphology import morphology_rows, read_morphology

    if not data.dataset_path:
        return []
    table = mock_properties_path(data.dataset_path)
    if not table.exists():
        return []
    try:
        labels = read_morphology(table, targetids)
    except DataFormatError as exc:
        log.info("no morphology evaluation: %s", exc)
        return []
    return morphology_rows({"image": data.image, "spectrum": data.spectrum}, labels,
                           data.train, data.test)


def _open_dataset(path: str, notes: list[str]) -> Any:
    if not path or not Path(path).exists():
        notes.append(f"source dataset {path!r} not found")
        return None
    from astroclip_engine.data.open import open_dataset

    return open_dataset(path)


def _plots(out_dir: Path, zs: list[Prediction], fs: list[Prediction], base: list[Prediction],
           k: int, k_weighted: int) -> list[str]:
    paths: list[Path] = []
    for method, title in ((f"knn{k}", f"zero-shot k-NN (k = {k}, cosine)"),
                          (f"knn{k_weighted}w", f"zero-shot k-NN (k = {k_weighted}, weighted)")):
        paths += plots.prediction_grid([p for p in zs if p.method == method],
                                       out_dir / f"zero_shot_{method}", title)
    paths += plots.prediction_grid(fs, out_dir / "few_shot_mlp", "few-shot MLP [64, 64]")
    paths += plots.prediction_grid(base, out_dir / "baselines", "supervised baselines")
    return [p.name for p in paths]


def compare_stores(
    store_paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    properties: str | Path | None = None,
    k: int = 16,
    reporter: Reporter | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Zero-shot R^2 of several stores of the same dataset (e.g. D = 8 ... 512) side by side."""
    out_dir = Path(out_dir)
    datasets = {}
    for path in store_paths:
        with EmbeddingStore(path) as store:
            datasets[str(path)] = store.info.dataset_path
    if len(set(datasets.values())) > 1:
        raise StoreError("stores to compare must embed the same dataset; got " + ", ".join(
            f"{p} ({d})" for p, d in datasets.items()))
    rows: list[dict[str, Any]] = []
    for path in store_paths:
        single = evaluate_store(path, out_dir / Path(path).stem, properties=properties, k=k,
                                few_shot_mlp=False, image_baseline_cnn=False,
                                photometry_mlp=False, make_plots=False, reporter=reporter,
                                cancel=cancel)
        rows += [{**r, "embedding_dim": single["embedding_dim"], "store": str(path)}
                 for r in single["zero_shot"]]
    result = {"stores": [str(p) for p in store_paths], "zero_shot": rows,
              "plots": [p.name for p in plots.r2_vs_dim(rows, out_dir / "r2_vs_dim", f"knn{k}")]}
    atomic_write_text(out_dir / "compare.json", json.dumps(result, indent=2))
    atomic_write_text(out_dir / "compare.md", _compare_markdown(rows))
    return result


# -- Markdown ----------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def r2_table(rows: Sequence[dict[str, Any]], row_key: Any = None) -> str:
    """A Markdown table of R^2: one line per method/direction, one column per target."""
    if not rows:
        return "_none_\n"
    row_key = row_key or (lambda r: " ".join(x for x in (r["method"], _dir(r)) if x))
    targets = list(dict.fromkeys(r["target"] for r in rows))
    lines: dict[str, dict[str, Any]] = {}
    for r in rows:
        lines.setdefault(row_key(r), {})[r["target"]] = r["r2"]
    out = ["| method | " + " | ".join(targets) + " |", "|---" * (len(targets) + 1) + "|"]
    out += [f"| {name} | " + " | ".join(_fmt(v.get(t)) for t in targets) + " |"
            for name, v in lines.items()]
    return "\n".join(out) + "\n"


def _dir(r: dict[str, Any]) -> str:
    q, k = r.get("query", ""), r.get("key", "")
    return q if q == k else f"{q}->{k}"


def markdown(result: dict[str, Any]) -> str:
    skipped = ", ".join(f"{k}: {v}" for k, v in result["skipped_test_without_value"].items()
                        if v) or "none"
    parts = [
        f"# Evaluation of `{Path(result['store']).name}`\n",
        f"- embedding size {result['embedding_dim']}, checkpoint `{result['checkpoint']}`",
        f"- {result['n_train']} train (reference) and {result['n_test']} test (query) galaxies; "
        f"{result['n_invalid_excluded']} rows with an all-zero spectrum excluded",
        f"- targets: {', '.join(result['targets'])}; missing: "
        f"{', '.join(result['missing_targets']) or 'none'}",
        f"- test galaxies skipped for lack of a value: {skipped}\n",
        "## Zero-shot k-NN regression (R^2)\n", r2_table(result["zero_shot"]),
        "## Few-shot MLP [64, 64] (R^2)\n", r2_table(result["few_shot"]),
        "## Pretrained encoders alone, frozen (zero-shot R^2)\n",
        r2_table(result.get("encoder_alone", [])),
        "## Supervised baselines (R^2)\n", r2_table(result["baselines"]),
    ]
    parts += [f"- {note}" for note in result.get("baseline_notes", [])]
    if result.get("morphology"):
        parts += ["\n## Morphology classification (MORPH_CLASS, test split)\n",
                  "| embeddings | k-NN (k = 16) | few-shot (10 per class) | majority class |",
                  "|---|---|---|---|"]
        parts += [f"| {m['features']} | {m['knn']:.3f} | {m['few_shot_10']:.3f} | "
                  f"{m['majority']:.3f} |" for m in result["morphology"]]
    parts += ["\n## Cross-modal retrieval (test split)\n",
              "| direction | top-1 | top-10 | median rank | n |", "|---|---|---|---|---|"]
    parts += [f"| {d} | {m['top1']:.3f} | {m['top10']:.3f} | {m['median_rank']:.0f} | {m['n']} |"
              for d, m in result["retrieval"].items()]
    if result.get("plots"):
        parts += ["\n## Plots\n"] + [f"![{p}]({p})" for p in result["plots"] if p.endswith("png")]
    return "\n".join(parts) + "\n"


def _compare_markdown(rows: Sequence[dict[str, Any]]) -> str:
    parts = ["# Zero-shot R^2 against embedding size\n"]
    for method in dict.fromkeys(r["method"] for r in rows):
        parts += [f"## {method}\n", r2_table(
            [r for r in rows if r["method"] == method],
            row_key=lambda r: f"D={r['embedding_dim']} {_dir(r)}")]
    return "\n".join(parts)
