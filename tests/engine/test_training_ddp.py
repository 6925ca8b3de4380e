"""A real 2-process DDP run on CPU (gloo): both ranks train on the global batch and finish with
identical weights; only rank zero writes the run directory."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from astroclip_engine.training.run_dir import RunDir
from tests.engine.test_training_run import tiny_config

pytestmark = pytest.mark.slow

SCRIPT = """
import sys
import lightning as L
import torch
from astroclip_engine.config import RunConfig
from astroclip_engine.training.run import train

class DumpWeights(L.Callback):
    def on_train_end(self, trainer, pl_module):
        state = {k: v.detach().cpu().clone() for k, v in pl_module.model.state_dict().items()}
        torch.save({"state": state, "world_size": trainer.world_size},
                   f"{sys.argv[3]}/rank{trainer.global_rank}.pt")

if __name__ == "__main__":
    train(RunConfig.from_yaml(sys.argv[1]), sys.argv[2], callbacks=[DumpWeights()])
"""


def test_two_cpu_ranks_end_with_identical_weights(mock_survey: Path, tmp_path: Path) -> None:
    config = tiny_config(mock_survey, devices=2, accelerator="cpu", batch_size=8)
    (tmp_path / "config.yaml").write_text(config.to_yaml())
    script = tmp_path / "ddp_train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_NTASKS", "SLURM_PROCID"):
        env.pop(key, None)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "config.yaml"), str(tmp_path / "run"),
         str(tmp_path)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    first, second = ranks[0]["state"], ranks[1]["state"]
    assert first.keys() == second.keys()
    for key in first:
        assert torch.equal(first[key], second[key]), key
    saved = torch.load(RunDir(tmp_path / "run").last_checkpoint, weights_only=True)
    trained = {k[len("model."):]: v for k, v in saved["state_dict"].items()}
    assert all(torch.equal(trained[k], first[k]) for k in first)
    status = RunDir(tmp_path / "run").read_status()
    assert status.state == "finished" and status.epoch == 2
    events = RunDir(tmp_path / "run").read_progress()
    assert [e.event for e in events].count("start") == 1  # rank zero only
