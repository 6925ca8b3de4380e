"""Masked spectrum pretraining (`astroclip pretrain`): the SpecFormer, the run directory, resume,
and the hand-over of its checkpoint to `astroclip train --spectrum-checkpoint`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from astroclip_engine.cli import main as cli_main
from astroclip_engine.config import load_preset
from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.factory import load_astroclip
from astroclip_engine.models.pretrain_checkpoint import load_pretrained_specformer
from astroclip_engine.models.specformer import SPECFORMER_PRESETS, SpecFormer
from astroclip_engine.training.run_dir import RunDir


def test_official_preset_has_the_official_sizes_and_token_count() -> None:
    model = SpecFormer(SPECFORMER_PRESETS["specformer"])
    assert (model.config.embed_dim, model.config.num_layers, model.config.num_heads) == (768, 6, 6)
    tokens = model.tokens(torch.randn(2, 7781))
    assert tokens.shape == (2, 1 + 777, 22)  # statistics token + 20-pixel windows every 10


def test_tokens_carry_the_statistics_and_the_standardised_windows() -> None:
    model = SpecFormer(SPECFORMER_PRESETS["specformer_small"])
    spectra = 3.0 + 0.5 * torch.randn(4, 7781)
    tokens = model.tokens(spectra)
    binned = torch.nn.functional.avg_pool1d(spectra[:, None], 4, ceil_mode=True)[:, 0]
    mean, std = binned.mean(1), binned.std(1)
    assert torch.allclose(tokens[:, 0, 0], (mean - 2) / 2, atol=1e-5)
    assert torch.allclose(tokens[:, 0, 1], (std - 2) / 8, atol=1e-5)
    first = (binned[:, :24] - mean[:, None]) / std[:, None]
    assert torch.allclose(tokens[:, 1, 2:], first, atol=1e-5)
    assert torch.all(tokens[:, 1:, :2] == 0)


def test_mask_covers_flux_tokens_only_in_chunks() -> None:
    model = SpecFormer(SPECFORMER_PRESETS["specformer_small"])
    mask = model.random_mask(64, 161, torch.device("cpu"), torch.Generator().manual_seed(0))
    assert not mask[:, 0].any()  # never the statistics token
    covered = mask.sum(1)
    assert covered.min() >= 10 and covered.max() <= 40


def test_masked_loss_decreases_when_training_on_one_batch() -> None:
    torch.manual_seed(0)
    model = SpecFormer(SPECFORMER_PRESETS["specformer_small"])
    spectra = torch.sin(torch.linspace(0, 60, 7781))[None] + 0.05 * torch.randn(8, 7781)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for step in range(30):
        loss = model.masked_loss(spectra, torch.Generator().manual_seed(step))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert sum(losses[-5:]) < 0.7 * sum(losses[:5])


@pytest.fixture(scope="module")
def pretrained(mock_survey: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pretrain") / "run"
    code = cli_main(["pretrain", "--modality", "spectrum", "--data", str(mock_survey),
                     "--out", str(out), "--max-epochs", "1", "--batch-size", "16",
                     "--num-workers", "0", "--progress", "none"])
    assert code == 0
    return out


def test_pretrain_writes_a_finished_run_directory(pretrained: Path) -> None:
    run = RunDir(pretrained)
    status = run.read_status()
    assert status.state == "finished" and run.best_checkpoint.exists()
    assert run.read_config().model.task == "pretrain_spectrum"
    kinds = [e.event for e in run.read_progress()]
    assert kinds[0] == "start" and "epoch" in kinds and kinds[-1] == "end"
    assert "spectrum_spectrum" in status.r2


def test_pretrain_resume_extends_the_run(pretrained: Path, tmp_path: Path) -> None:
    code = cli_main(["pretrain", "--modality", "spectrum", "--out", str(pretrained), "--resume",
                     "--max-epochs", "2", "--progress", "none"])
    assert code == 0
    assert RunDir(pretrained).read_status().epoch == 2


def test_train_starts_from_the_pretrained_specformer(pretrained: Path, mock_survey: Path,
                                                     tmp_path: Path) -> None:
    encoder = load_pretrained_specformer(RunDir(pretrained).best_checkpoint, "specformer_small")
    out = tmp_path / "align"
    code = cli_main(["train", "--data", str(mock_survey), "--preset", "demo-pretrained",
                     "--spectrum-checkpoint", str(RunDir(pretrained).best_checkpoint),
                     "--out", str(out), "--max-epochs", "1", "--batch-size", "16",
                     "--num-workers", "0", "--limit-train-batches", "1", "--progress", "none"])
    assert code == 0
    model, config = load_astroclip(RunDir(out).last_checkpoint)
    assert config.model.spectrum_encoder == "specformer_small"
    # one alignment step moved the weights away from the pretrained ones, but not by much
    before = encoder.state_dict()["data_embed.weight"]
    after = model.spectrum_encoder.state_dict()["data_embed.weight"]
    assert not torch.equal(before, after) and torch.allclose(before, after, atol=0.05)


def test_a_pretrained_checkpoint_for_another_architecture_is_refused(pretrained: Path) -> None:
    with pytest.raises(CheckpointError, match="specformer_small"):
        load_pretrained_specformer(RunDir(pretrained).best_checkpoint, "specformer")


def test_pretrain_refuses_an_alignment_preset(mock_survey: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["pretrain", "--modality", "spectrum", "--data", str(mock_survey),
                     "--preset", "demo-cpu", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "not spectrum pretraining" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert load_preset("pretrain-spectrum").model.spectrum_encoder == "specformer"


def test_info_describes_the_pretraining_checkpoint(pretrained: Path) -> None:
    from astroclip_engine.file_info import describe_file

    described = describe_file(RunDir(pretrained).best_checkpoint)
    assert described["kind"] == "pretraining checkpoint" and described["parameters"] > 0
    assert "specformer" in described["description"]
    assert describe_file(pretrained)["task"] == "pretrain_spectrum"
