"""`train()` end to end on the tiny mock: events, status, checkpoints, resume rules, cancel."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import lightning as L
import pytest
import torch

from astroclip_engine.config import RunConfig, load_preset
from astroclip_engine.errors import ConfigError
from astroclip_engine.jobs import CancelToken, Progress
from astroclip_engine.training.run import train
from astroclip_engine.training.run_dir import RunDir


def tiny_config(data: Path, **trainer: Any) -> RunConfig:
    """demo-cpu shrunk to seconds: D = 8, 32 px crop, batch 16, 2 epochs, no workers."""
    return load_preset("demo-cpu").replace(
        model={"embedding_dim": 8, "image_crop": 32},
        data={"path": str(data), "num_workers": 0, "val_fraction": 0.2},
        trainer={"batch_size": 16, "max_epochs": 2, "log_every_n_steps": 1, **trainer},
    )


@pytest.fixture(scope="module")
def finished_run(mock_survey: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, RunConfig, str, list[Progress]]:
    out = tmp_path_factory.mktemp("run") / "run"
    stream = io.StringIO()
    seen: list[Progress] = []
    config = tiny_config(mock_survey)
    status = train(config, out, progress_stream=stream, reporter=seen.append)
    assert status.state == "finished"
    return out, config, stream.getvalue(), seen


def test_progress_events_parse_in_order(finished_run) -> None:
    out, _, streamed, seen = finished_run
    events = RunDir(out).read_progress()
    kinds = [e.event for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert kinds.count("epoch") == 2 and "step" in kinds and "checkpoint" in kinds
    # stdout carries exactly the same JSON lines as progress.jsonl
    assert [json.loads(line)["event"] for line in streamed.splitlines()] == kinds
    steps = [e for e in events if e.event == "step"]
    assert all(e.train_loss is not None and e.lr is not None and e.eta_s is not None
               for e in steps)
    assert [e.step for e in steps] == sorted(e.step for e in steps)
    last_epoch = [e for e in events if e.event == "epoch"][-1]
    assert last_epoch.val_loss is not None
    assert set(last_epoch.r2) == {"image_image", "spectrum_spectrum", "image_spectrum",
                                  "spectrum_image"}
    assert seen and seen[-1].job == "train" and seen[-1].metrics["event"] == "end"


def test_status_and_checkpoints(finished_run) -> None:
    out, config, _, _ = finished_run
    run = RunDir(out)
    status = run.read_status()
    assert status.state == "finished" and status.epoch == 2 and status.best_val_loss is not None
    assert run.read_config() == config
    assert list((out / "logs" / "csv").rglob("metrics.csv"))
    assert list((out / "logs" / "tensorboard").rglob("events.out.tfevents.*"))
    for path in (run.best_checkpoint, run.last_checkpoint):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        assert checkpoint["hyper_parameters"]["config"] == config.to_dict()
        assert checkpoint["state_dict"] and all(k.startswith("model.")
                                                for k in checkpoint["state_dict"])
    assert torch.load(run.last_checkpoint, weights_only=True)["epoch"] == 1  # 0-based, 2nd


def test_checkpoint_loads_as_a_model(finished_run) -> None:
    from astroclip_engine.models.checkpoints import load_astroclip

    out, config, _, _ = finished_run
    model, loaded = load_astroclip(RunDir(out).best_checkpoint)
    assert loaded == config
    assert model.encode_spectrum(torch.randn(2, 7781)).shape == (2, 8)


def test_new_run_into_an_existing_run_is_refused(finished_run) -> None:
    out, config, _, _ = finished_run
    with pytest.raises(ConfigError, match="already holds a run"):
        train(config, out)


def test_resume_with_a_different_config_shows_the_diff(finished_run) -> None:
    out, config, _, _ = finished_run
    changed = config.replace(trainer={"batch_size": 8}, optim={"lr": 2e-3})
    with pytest.raises(ConfigError) as info:
        train(changed, out, resume=True)
    message = str(info.value)
    assert "trainer.batch_size: 16 -> 8" in message and "optim.lr: 0.001 -> 0.002" in message
    assert "trainer.max_epochs:" not in message
    assert RunDir(out).read_config() == config  # untouched


def test_extending_max_epochs_resumes_where_it_stopped(finished_run, tmp_path: Path) -> None:
    out, config, _, _ = finished_run
    status = train(config.replace(trainer={"max_epochs": 3}), out, resume=True)
    assert status.state == "finished" and status.epoch == 3
    starts = [e for e in RunDir(out).read_progress() if e.event == "start"]
    assert starts[-1].epoch == 3 and starts[-1].step > 0 and "resumed" in starts[-1].message


class _CancelAfter(L.Callback):
    def __init__(self, token: CancelToken, steps: int) -> None:
        self.token, self.steps = token, steps

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step >= self.steps:
            self.token.cancel()


def test_cancel_saves_last_checkpoint(mock_survey: Path, tmp_path: Path) -> None:
    token = CancelToken()
    status = train(tiny_config(mock_survey, max_epochs=5), tmp_path / "run", cancel=token,
                   callbacks=[_CancelAfter(token, 1)])
    assert status.state == "cancelled"
    run = RunDir(tmp_path / "run")
    assert run.read_status().state == "cancelled"
    assert torch.load(run.last_checkpoint, weights_only=True)["global_step"] < 10
    assert run.read_progress()[-1].event == "end"


def test_validation_r2_is_leave_one_out_and_drops_padding() -> None:
    from astroclip_engine.training.module import validation_r2

    n = 60
    z = torch.linspace(0.0, 0.6, n)
    smooth = torch.stack([torch.cos(2 * z), torch.sin(2 * z)], dim=1)  # angle encodes z
    noise = torch.nn.functional.normalize(torch.randn(n, 2, generator=torch.Generator()
                                                      .manual_seed(0)), dim=1)
    outputs = {"image_emb": smooth, "spectrum_emb": noise, "redshift": z,
               "index": torch.arange(n), "valid": torch.ones(n, dtype=torch.bool)}
    r2 = validation_r2(outputs, k=4)
    assert r2["image_image"] > 0.95 and r2["spectrum_spectrum"] < 0.5
    # padding rows (repeated indices, as DistributedSampler adds) and invalid rows are ignored
    padded = {key: torch.cat([value, value[:5]]) for key, value in outputs.items()}
    padded["valid"][-1] = False
    assert validation_r2(padded, k=4) == pytest.approx(r2)
    assert all(v != v for v in validation_r2({k: v[:2] for k, v in outputs.items()}, 4).values())


def test_failure_before_training_is_recorded_and_the_folder_reusable(
        mock_survey: Path, tmp_path: Path) -> None:
    from astroclip_engine.errors import DataFormatError
    from astroclip_engine.training.run import prepare_run_dir
    from tests.engine.test_training_datamodule import write_release

    bad = write_release(tmp_path / "zero.h5", zero_spectra=True)
    with pytest.raises(DataFormatError, match="no valid pairs"):
        train(tiny_config(bad), tmp_path / "run")
    run = RunDir(tmp_path / "run")
    status = run.read_status()
    assert status.state == "failed" and "no valid pairs" in status.message
    assert run.read_progress()[-1].event == "error"
    # nothing was trained, so a corrected configuration may start again in the same folder
    assert prepare_run_dir(run, tiny_config(mock_survey), resume=False) is None
    assert run.read_config().data.path == str(mock_survey)
