"""`astroclip embed --devices 2` on CPU: two gloo DDP ranks each embed a shard, rank zero merges
them into one store equal to the single-process store."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from astroclip_engine.embed import embed_dataset, partial_path
from astroclip_engine.embed_parallel import parts_dir, shard
from tests.engine.test_science_embed import save_tiny_model

pytestmark = pytest.mark.slow


def test_shards_cover_every_row_once() -> None:
    for n, world in ((64, 2), (7, 3), (2, 4)):
        bounds = [shard(n, r, world) for r in range(world)]
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))


def test_two_gloo_ranks_write_the_single_process_store(mock_survey: Path,
                                                       tmp_path: Path) -> None:
    checkpoint = save_tiny_model(tmp_path / "tiny.ckpt")
    single = embed_dataset(checkpoint, mock_survey, tmp_path / "single.h5", batch_size=16,
                           device="cpu")
    out = tmp_path / "ddp.h5"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_NTASKS", "SLURM_PROCID"):
        env.pop(key, None)
    result = subprocess.run(
        [sys.executable, "-m", "astroclip_engine.cli", "embed", "--checkpoint", str(checkpoint),
         "--data", str(mock_survey), "--out", str(out), "--batch-size", "16", "--devices", "2",
         "--accelerator", "cpu"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Starting with 2 processes" in result.stdout + result.stderr  # really two ranks
    assert out.is_file() and not parts_dir(out).exists() and not partial_path(out).exists()
    with h5py.File(single, "r") as a, h5py.File(out, "r") as b:
        names = _datasets(a)
        assert sorted(names) == sorted(_datasets(b))
        for name in names:
            if name in ("image", "spectrum"):
                np.testing.assert_allclose(b[name][()], a[name][()], atol=1e-5, rtol=0)
            else:
                np.testing.assert_array_equal(b[name][()], a[name][()], err_msg=name)
        assert b.attrs["rows_done"] == a.attrs["rows_done"] == len(a["targetid"])
        assert b.attrs["checkpoint_sha256"] == a.attrs["checkpoint_sha256"]


def _datasets(f: h5py.File) -> list[str]:
    names: list[str] = []
    f.visit(lambda name: names.append(name) if isinstance(f[name], h5py.Dataset) else None)
    return names
