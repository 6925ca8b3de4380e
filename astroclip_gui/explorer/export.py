"""CSV export of a selection or a neighbour list, written atomically; Qt-free."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from astroclip_engine.atomic import atomic_path


def export_rows_csv(
    path: str | Path,
    indices: np.ndarray,
    targetids: np.ndarray,
    coords: np.ndarray | None,
    columns: Mapping[str, np.ndarray],
    scores: np.ndarray | None = None,
) -> int:
    """Write one CSV row per index: targetid, umap_x, umap_y, every column, score. Returns rows."""
    indices = np.asarray(indices, dtype=np.int64)
    header = ["targetid", "umap_x", "umap_y", *columns.keys()]
    if scores is not None:
        header.append("score")
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for n, i in enumerate(indices):
            xy = coords[i] if coords is not None else (np.nan, np.nan)
            row: list[object] = [int(targetids[i]), _fmt(xy[0]), _fmt(xy[1])]
            row.extend(_fmt(values[i]) for values in columns.values())
            if scores is not None:
                row.append(_fmt(scores[n]))
            writer.writerow(row)
    return int(indices.size)


def _fmt(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return "" if not np.isfinite(number) else f"{number:.6g}"
