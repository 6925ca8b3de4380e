"""Selections as index arrays (plus the polygon that made them), with undo; Qt-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from matplotlib.path import Path as MplPath


class SelectMode(Enum):
    REPLACE = "replace"
    ADD = "add"
    SUBTRACT = "subtract"


def points_in_polygon(xy: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Sorted int64 indices of the (N, 2) points inside `polygon` (M, 2).

    A bounding-box prefilter keeps the exact point-in-polygon test to the few candidates.
    """
    polygon = np.asarray(polygon, dtype=np.float64)
    if polygon.ndim != 2 or polygon.shape[0] < 3:
        return np.empty(0, dtype=np.int64)
    lo, hi = polygon.min(axis=0), polygon.max(axis=0)
    box = ((xy[:, 0] >= lo[0]) & (xy[:, 0] <= hi[0]) & (xy[:, 1] >= lo[1]) & (xy[:, 1] <= hi[1]))
    candidates = np.flatnonzero(box)
    if candidates.size == 0:
        return candidates.astype(np.int64)
    inside = MplPath(polygon).contains_points(xy[candidates])
    return candidates[inside].astype(np.int64)


def box_polygon(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


@dataclass(frozen=True)
class Selection:
    """One selection state: sorted unique indices and the polygon of the last gesture."""

    indices: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    polygon: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.indices.size)


def combine(current: np.ndarray, new: np.ndarray, mode: SelectMode) -> np.ndarray:
    """Apply a gesture's indices to the current selection."""
    new = np.unique(np.asarray(new, dtype=np.int64))
    if mode is SelectMode.ADD:
        return np.union1d(current, new)
    if mode is SelectMode.SUBTRACT:
        return np.setdiff1d(current, new, assume_unique=True)
    return new


class SelectionHistory:
    """The current selection and an undo stack of earlier ones."""

    def __init__(self, limit: int = 50) -> None:
        self.current = Selection()
        self._undo: list[Selection] = []
        self._limit = limit

    def apply(self, indices: np.ndarray, mode: SelectMode = SelectMode.REPLACE,
              polygon: np.ndarray | None = None) -> Selection:
        self._undo.append(self.current)
        del self._undo[:-self._limit]
        self.current = Selection(combine(self.current.indices, indices, mode), polygon)
        return self.current

    def undo(self) -> Selection | None:
        if not self._undo:
            return None
        self.current = self._undo.pop()
        return self.current

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def reset(self) -> None:
        self.current = Selection()
        self._undo.clear()
