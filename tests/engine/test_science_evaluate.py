"""`astroclip evaluate` on a synthetic store whose source dataset is a tiny release file with
images that carry the redshift (so the supervised baselines have something to learn)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from astroclip_engine.cli import main
from astroclip_engine.constants import N_SPECTRUM_BINS, WAVELENGTH
from astroclip_engine.data.release_writer import ReleaseWriter
from astroclip_engine.errors import StoreError
from astroclip_engine.evaluation import compare_stores, evaluate_store
from astroclip_engine.evaluation.baselines import BaselineConfig
from astroclip_engine.evaluation.retrieval import partner_ranks, retrieval_metrics
from tests.engine.test_science_search import (  # noqa: F401 (one_thread: autouse fixture)
    make_store,
    one_thread,
    synthetic_catalogue,
)

N = 300
SIZE = 32
TINY = BaselineConfig(max_train=240, max_test=60, epochs=4, batch_size=32, downsample=2, crop=16)


def write_release(path: Path, n: int, seed: int = 0) -> Path:
    """Galaxies whose flux and colour follow the synthetic catalogue's redshift."""
    z = synthetic_catalogue(n, seed)["redshift"]
    rng = np.random.default_rng(seed + 5)
    yy, xx = np.mgrid[:SIZE, :SIZE] - (SIZE - 1) / 2
    profile = np.exp(-(yy ** 2 + xx ** 2) / (2 * 3.0 ** 2))
    flux = 2.0 / (z + 0.05) ** 1.5
    colour = np.stack([1.0 - z, np.ones(n), 1.0 + 2 * z], axis=1)
    images = flux[:, None, None, None] * colour[:, :, None, None] * profile
    images = images + 0.02 * rng.normal(size=images.shape)
    # an H-alpha line at its redshifted wavelength on a noisy flat continuum
    line = 5.0 * np.exp(-0.5 * ((WAVELENGTH[None] - 6563.0 * (1 + z[:, None])) / 20.0) ** 2)
    spectra = 1.0 + line + 0.3 * rng.normal(size=(n, N_SPECTRUM_BINS))
    with ReleaseWriter(path, image_size=SIZE) as writer:
        writer.append("0", images.astype(np.float32), spectra.astype(np.float32), z,
                      np.arange(n) + 1000)
    return path


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("evaluate")
    release = write_release(folder / "tiny.h5", N)
    return make_store(folder / "emb.h5", n=N, dim=16, dataset_path=str(release))


def test_evaluate_writes_report_plots_and_baselines(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = evaluate_store(store_path, out, baseline=TINY)
    assert (out / "report.json").is_file() and (out / "report.md").is_file()
    assert json.loads((out / "report.json").read_text())["n_test"] == result["n_test"] == 60
    assert result["n_invalid_excluded"] == 4 and result["n_train"] == 236
    targets = {"redshift", "log_mstar", "log_z_mw", "t_age", "log_ssfr"}
    assert set(result["targets"]) == targets and result["missing_targets"] == []
    assert result["skipped_test_without_value"]["redshift"] == 0
    assert result["skipped_test_without_value"]["log_mstar"] > 0  # NaNs counted, not used

    def r2(section: str, method: str, query: str, key: str, target: str) -> float:
        rows = [r for r in result[section] if (r["method"], r["query"], r["key"],
                                               r["target"]) == (method, query, key, target)]
        assert len(rows) == 1, (section, method, query, key, target)
        return rows[0]["r2"]

    for target in targets:
        for q, k in (("image", "image"), ("spectrum", "spectrum"), ("image", "spectrum"),
                     ("spectrum", "image")):
            for method in ("knn16", "knn64w"):
                assert np.isfinite(r2("zero_shot", method, q, k, target))
        for m in ("image", "spectrum"):
            assert np.isfinite(r2("few_shot", "mlp", m, m, target))
    # the synthetic spectra are the cleaner modality: better redshift than images
    assert r2("zero_shot", "knn16", "spectrum", "spectrum", "redshift") > 0.8
    assert r2("zero_shot", "knn16", "spectrum", "spectrum", "redshift") > \
        r2("zero_shot", "knn16", "image", "image", "redshift")
    baselines = {(r["method"], r["target"]): r["r2"] for r in result["baselines"]}
    assert {("cnn", t) for t in targets} | {("photometry", t) for t in targets} <= set(baselines)
    assert baselines[("photometry", "redshift")] > 0.5  # aperture colours know the redshift
    spectra = {r["target"]: r["r2"] for r in result["baselines"]
               if r["method"] == "mlp" and r["query"] == "spectrum"}
    assert set(spectra) == set(targets)
    assert spectra["redshift"] > 0.5  # the line position gives the redshift (noise: <= 0)
    assert "photometry baseline: aperture g, r, z magnitudes" in result["baseline_notes"]
    retrieval = result["retrieval"]["image->spectrum"]
    assert retrieval["top10"] > retrieval["top1"] > retrieval["chance_top1"]
    for stem in ("zero_shot_knn16", "zero_shot_knn64w", "few_shot_mlp", "baselines"):
        assert (out / f"{stem}.png").stat().st_size > 1000
        assert (out / f"{stem}.pdf").is_file()
    markdown = (out / "report.md").read_text()
    assert "| knn16 image->spectrum |" in markdown and "top-10" in markdown
    assert not list(out.glob(".*tmp"))  # atomic writes leave no temporaries


def test_partner_ranks_exact() -> None:
    q = np.eye(4, dtype=np.float32)
    keys = q[[0, 2, 1, 3]]  # partners of rows 1 and 2 swapped
    ranks = partner_ranks(q, keys, block=3)
    np.testing.assert_array_equal(ranks, [1, 2, 2, 1])
    assert retrieval_metrics(ranks)["top1"] == 0.5


def test_too_few_galaxies_and_mixed_datasets(tmp_path: Path) -> None:
    small = make_store(tmp_path / "small.h5", n=60, dim=8, n_invalid=0)
    with pytest.raises(StoreError, match="needs at least 64 reference galaxies"):
        evaluate_store(small, tmp_path / "r", image_baseline_cnn=False, photometry_mlp=False)
    other = make_store(tmp_path / "other.h5", n=60, dim=8, dataset_path="/elsewhere.h5")
    with pytest.raises(StoreError, match="same dataset"):
        compare_stores([small, other], tmp_path / "c")


def test_compare_by_embedding_size_cli(store_path: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    dataset = str(store_path.parent / "tiny.h5")
    stores = [make_store(tmp_path / f"d{d}.h5", n=N, dim=d, dataset_path=dataset)
              for d in (4, 16)]
    out = tmp_path / "cmp"
    assert main(["evaluate", "--compare", *map(str, stores), "--out", str(out)]) == 0
    result = json.loads((out / "compare.json").read_text())
    assert {r["embedding_dim"] for r in result["zero_shot"]} == {4, 16}
    assert (out / "r2_vs_dim.png").is_file() and (out / "r2_vs_dim.pdf").is_file()
    assert "D=16 image->spectrum" in capsys.readouterr().out
    assert main(["evaluate", str(stores[0]), "--out", str(tmp_path / "single"),
                 "--no-image-baseline", "--no-few-shot", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["few_shot"] == [] and all(r["method"] == "photometry"
                                             for r in report["baselines"])
