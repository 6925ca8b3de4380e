"""Names for clusters of the embedding map, from what distinguishes each cluster; Qt-free.

A cluster is named by its median redshift ("z~0.35") followed by the few properties whose
cluster median sits furthest from the whole sample's median (measured as the median's
percentile rank in the whole sample), each said with a word ("red", "quiescent", "massive")
where the property has one and as "high X" / "low X" otherwise, and by its dominant morphology
class when that class is clearly over-represented ("smooth").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

ADJECTIVES: dict[str, tuple[str, str]] = {
    "g-r": ("blue", "red"),
    "log_ssfr": ("quiescent", "star-forming"),
    "log_mstar": ("low-mass", "massive"),
    "t_age": ("young", "old"),
    "log_z_mw": ("metal-poor", "metal-rich"),
}
"""Words for a cluster whose median is low / high in the sample, per property."""
REDSHIFT = "redshift"
DISTINCT_RANK = 0.2
"""A property names a cluster when its median's rank is this far from the middle (0.5)."""
MORPHOLOGY_SHARE = 0.5
MORPHOLOGY_LIFT = 1.3
"""A morphology class names a cluster when it is at least MORPHOLOGY_SHARE of the cluster
and MORPHOLOGY_LIFT times more common there than in the whole sample."""


@dataclass(frozen=True)
class ClusterSummary:
    """One cluster: its label, size, map centre, property medians, name and example members."""

    label: int
    size: int
    centre: tuple[float, float]
    medians: dict[str, float]
    name: str
    examples: np.ndarray  # store indices of members nearest the centre


def percentile_rank(sorted_values: np.ndarray, value: float) -> float:
    """Fraction of the (sorted, finite) sample below `value` (0.5 when unknown)."""
    if not sorted_values.size or not np.isfinite(value):
        return 0.5
    lo = np.searchsorted(sorted_values, value, side="left")
    hi = np.searchsorted(sorted_values, value, side="right")
    return float((lo + hi) / 2 / sorted_values.size)


def describe_property(name: str, rank: float) -> str:
    """The word for a property whose cluster median has percentile `rank` in the sample."""
    low, high = ADJECTIVES.get(name, (f"low {name}", f"high {name}"))
    return high if rank >= 0.5 else low


def cluster_name(medians: Mapping[str, float], sample: Mapping[str, np.ndarray],
                 morphology: str | None = None, max_terms: int = 3) -> str:
    """E.g. "z~0.35, red, quiescent, smooth".

    `sample` holds each property's sorted finite values in the whole sample; only properties
    whose median rank is at least DISTINCT_RANK from 0.5 are named, the most distinct first.
    """
    terms: list[str] = []
    z = medians.get(REDSHIFT, float("nan"))
    if np.isfinite(z):
        terms.append(f"z~{z:.2f}")
    scored = []
    for name, value in medians.items():
        if name == REDSHIFT or name not in sample:
            continue
        rank = percentile_rank(sample[name], value)
        if abs(rank - 0.5) >= DISTINCT_RANK:
            scored.append((-abs(rank - 0.5), name, rank))
    terms += [describe_property(name, rank) for _, name, rank in sorted(scored)[:max_terms]]
    if morphology:
        terms.append(morphology)
    return ", ".join(terms) if terms else "typical"


def dominant_class(codes: np.ndarray, sample_share: np.ndarray,
                   class_names: Sequence[str]) -> str | None:
    """The morphology class over-represented in a cluster (codes < 0 are unknown), if any."""
    known = codes[codes >= 0].astype(np.int64)
    if not known.size:
        return None
    share = np.bincount(known, minlength=len(sample_share))[:len(sample_share)] / known.size
    best = int(np.argmax(share))
    if share[best] >= MORPHOLOGY_SHARE and share[best] >= MORPHOLOGY_LIFT * sample_share[best]:
        return class_names[best] if best < len(class_names) else str(best)
    return None


def summarise_clusters(labels: np.ndarray, xy: np.ndarray, columns: Mapping[str, np.ndarray],
                       morphology: np.ndarray | None = None,
                       class_names: Sequence[str] = (), n_examples: int = 5,
                       max_terms: int = 3) -> list[ClusterSummary]:
    """One summary per cluster label (noise, label < 0, is skipped), largest cluster first.

    `columns`: per-galaxy properties (redshift first if present); `morphology`: integer class
    codes per galaxy (-1 unknown) named by `class_names`.
    """
    labels = np.asarray(labels).astype(np.int64)
    sample = {name: np.sort(v[np.isfinite(v)]) for name, v in columns.items()}
    sample_share = None
    if morphology is not None:
        known = morphology[morphology >= 0].astype(np.int64)
        n_classes = max(len(class_names), int(known.max()) + 1 if known.size else 0)
        sample_share = np.bincount(known, minlength=n_classes) / max(known.size, 1)
    order = np.argsort(labels, kind="stable")
    ids, starts = np.unique(labels[order], return_index=True)
    out = []
    for label, members in zip(ids, np.split(order, starts[1:]), strict=True):
        if label < 0:
            continue
        medians = {name: _median(v[members]) for name, v in columns.items()}
        morph = None if sample_share is None else dominant_class(
            morphology[members], sample_share, class_names)
        centre = np.median(xy[members], axis=0)
        nearest = members[np.argsort(np.hypot(*(xy[members] - centre).T))[:n_examples]]
        out.append(ClusterSummary(int(label), int(members.size),
                                  (float(centre[0]), float(centre[1])), medians,
                                  cluster_name(medians, sample, morph, max_terms), nearest))
    return sorted(out, key=lambda s: -s.size)


def _median(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")
