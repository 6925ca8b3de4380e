"""Cluster names from property medians and morphology (astroclip_engine.cluster_labels)."""

from __future__ import annotations

import numpy as np

from astroclip_engine.cluster_labels import (
    cluster_name,
    dominant_class,
    percentile_rank,
    summarise_clusters,
)

MORPH = ("smooth", "disk", "edge-on", "merger")


def _two_populations(n: int = 400, seed: int = 0):
    """Cluster 0: low z, red, quiescent, smooth; cluster 1: higher z, blue, star-forming,
    disks; a few noise points (-1)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1], n // 2)
    labels[:5] = -1
    red = labels <= 0
    columns = {
        "redshift": np.where(red, 0.15, 0.45) + rng.normal(0, 0.02, n),
        "g-r": np.where(red, 0.9, 0.4) + rng.normal(0, 0.05, n),
        "log_ssfr": np.where(red, -12.0, -9.5) + rng.normal(0, 0.2, n),
        "t_age": 5.0 + rng.normal(0, 0.5, n),  # the same in both: never named
    }
    columns["g-r"][10] = np.nan  # unknown values are ignored
    morphology = np.where(red, 0, 1)
    morphology[rng.random(n) < 0.1] = 3
    morphology[20] = -1
    xy = np.where(red[:, None], [-5.0, 0.0], [5.0, 1.0]) + rng.normal(0, 0.3, (n, 2))
    return labels, xy, columns, morphology.astype(np.int64)


def test_summaries_name_what_distinguishes_each_cluster():
    labels, xy, columns, morphology = _two_populations()
    summaries = summarise_clusters(labels, xy, columns, morphology, MORPH, n_examples=4)
    assert [s.label for s in summaries] == [1, 0]  # largest first, noise skipped
    by_label = {s.label: s for s in summaries}
    name0, name1 = by_label[0].name.split(", "), by_label[1].name.split(", ")
    assert name0[0] == "z~0.15" and set(name0[1:3]) == {"red", "quiescent"}
    assert name0[3] == "smooth" and len(name0) == 4
    assert name1[0] == "z~0.45" and set(name1[1:3]) == {"blue", "star-forming"}
    assert name1[3] == "disk" and len(name1) == 4
    assert "old" not in by_label[0].name and "young" not in by_label[0].name
    assert by_label[0].size == 195 and by_label[1].size == 200
    assert abs(by_label[0].centre[0] + 5) < 0.2 and abs(by_label[1].centre[0] - 5) < 0.2
    assert abs(by_label[1].medians["log_ssfr"] + 9.5) < 0.1
    examples = by_label[0].examples
    assert examples.size == 4 and np.all(labels[examples] == 0)
    # examples are the members nearest the centre
    d = np.hypot(*(xy[labels == 0] - np.array(by_label[0].centre)).T)
    assert np.hypot(*(xy[examples] - np.array(by_label[0].centre)).T).max() <= np.sort(d)[3]


def test_unknown_properties_use_high_and_low():
    sample = {"redshift": np.linspace(0, 1, 101), "sersic_n": np.linspace(0, 8, 101)}
    assert cluster_name({"redshift": 0.3, "sersic_n": 7.5}, sample) == "z~0.30, high sersic_n"
    assert cluster_name({"redshift": 0.3, "sersic_n": 4.0}, sample) == "z~0.30"
    assert cluster_name({"redshift": float("nan")}, sample) == "typical"


def test_at_most_max_terms_most_distinct_first():
    sample = {name: np.linspace(0, 1, 101) for name in ("a", "b", "c", "d")}
    medians = {"a": 0.75, "b": 0.01, "c": 0.95, "d": 0.2}
    assert cluster_name(medians, sample, max_terms=2) == "low b, high c"


def test_morphology_named_only_when_over_represented():
    share = np.array([0.6, 0.3, 0.05, 0.05])
    assert dominant_class(np.array([0] * 7 + [1] * 3), share, MORPH) is None  # 0.7 < 1.3 x 0.6
    assert dominant_class(np.array([1] * 6 + [0] * 4), share, MORPH) == "disk"
    assert dominant_class(np.array([-1, -1]), share, MORPH) is None


def test_percentile_rank():
    values = np.arange(10.0)
    assert percentile_rank(values, -1) == 0.0
    assert percentile_rank(values, 100) == 1.0
    assert percentile_rank(values, 4.5) == 0.5
    assert percentile_rank(values, float("nan")) == 0.5
