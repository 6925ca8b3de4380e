"""MoCo-v2 image pretraining (`astroclip pretrain --modality image`): the survey augmentations,
the loss and queue, the run directory, resume, and the hand-over of its checkpoint to
`astroclip train --image-checkpoint`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from astroclip_engine.cli import main as cli_main
from astroclip_engine.config import load_preset
from astroclip_engine.data.transforms import psf_blur, survey_augment
from astroclip_engine.errors import CheckpointError
from astroclip_engine.models.factory import load_astroclip, load_pretrained
from astroclip_engine.models.pretrain_checkpoint import (
    load_pretrained_image_encoder,
    load_pretrained_specformer,
)
from astroclip_engine.training.image_pretrain_module import QUEUE_SIZE, ImagePretrainModule
from astroclip_engine.training.run_dir import RunDir


def test_psf_blur_keeps_flux_and_spreads_a_point_source() -> None:
    point = torch.zeros(2, 3, 25, 25)
    point[:, :, 12, 12] = 1.0
    blurred = psf_blur(point, torch.tensor([0.0, 1.0]))
    assert torch.allclose(blurred[0], point[0], atol=1e-6)  # sigma 0: unchanged
    assert torch.allclose(blurred[1].sum(dim=(-1, -2)), torch.ones(3), atol=1e-5)
    assert 0.1 < float(blurred[1, 0, 12, 12]) < 0.2  # 1 / (2 pi sigma^2) = 0.16


def test_survey_augment_adds_band_scaled_noise_of_bounded_level() -> None:
    empty = torch.zeros(64, 3, 32, 32)
    noisy = survey_augment(empty, torch.Generator().manual_seed(0), max_sigma_px=0.0)
    per_band = noisy.std(dim=(0, 2, 3))
    assert torch.all(per_band > 0)
    assert per_band[2] > per_band[0]  # z is the noisiest band (SKY_NOISE)
    assert float(noisy.abs().max()) < 6 * 0.012


def test_moco_step_loss_is_finite_and_fills_the_queue() -> None:
    config = load_preset("pretrain-image-small")
    module = ImagePretrainModule(config)
    raw = torch.rand(8, 3, 64, 64) * 0.05
    before = module.queue.clone()
    key_before = next(module.key_model.parameters()).clone()
    loss = module.training_step({"image": raw, "redshift": torch.rand(8)}, 0)
    assert torch.isfinite(loss) and float(loss.detach()) > 0
    assert int(module.queue_next) == 8 % QUEUE_SIZE
    assert not torch.equal(module.queue[:8], before[:8]) and torch.equal(module.queue[8:],
                                                                         before[8:])
    assert torch.allclose(module.queue[:8].norm(dim=1), torch.ones(8), atol=1e-5)
    loss.backward()
    assert next(module.model.parameters()).grad is not None
    assert next(module.key_model.parameters()).grad is None
    assert torch.allclose(next(module.key_model.parameters()), key_before)  # q == k at first


@pytest.fixture(scope="module")
def pretrained(mock_survey: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pretrain-image") / "run"
    code = cli_main(["pretrain", "--modality", "image", "--data", str(mock_survey),
                     "--out", str(out), "--max-epochs", "1", "--batch-size", "16",
                     "--num-workers", "0", "--progress", "none"])
    assert code == 0
    return out


def test_pretrain_writes_a_finished_image_run(pretrained: Path) -> None:
    run = RunDir(pretrained)
    status = run.read_status()
    assert status.state == "finished" and run.best_checkpoint.exists()
    assert run.read_config().model.task == "pretrain_image"
    epochs = [e for e in run.read_progress() if e.event == "epoch"]
    assert epochs and epochs[-1].val_loss is not None
    assert torch.isfinite(torch.tensor(epochs[-1].val_loss))
    assert "image_image" in status.r2


def test_image_pretrain_resume_extends_the_run(pretrained: Path) -> None:
    code = cli_main(["pretrain", "--modality", "image", "--out", str(pretrained), "--resume",
                     "--max-epochs", "2", "--progress", "none"])
    assert code == 0
    assert RunDir(pretrained).read_status().epoch == 2


def test_train_starts_from_the_pretrained_image_encoder(pretrained: Path, mock_survey: Path,
                                                        tmp_path: Path) -> None:
    best = RunDir(pretrained).best_checkpoint
    encoder = load_pretrained_image_encoder(best, "resnet_small")
    out = tmp_path / "align"
    code = cli_main(["train", "--data", str(mock_survey), "--preset", "demo-cpu",
                     "--image-checkpoint", str(best), "--freeze-backbones",
                     "--out", str(out), "--max-epochs", "1", "--batch-size", "16",
                     "--num-workers", "0", "--limit-train-batches", "1", "--progress", "none"])
    assert code == 0
    model, config = load_astroclip(RunDir(out).last_checkpoint)
    assert config.model.image_checkpoint == str(best)
    name = "stem.0.weight"
    assert torch.equal(encoder.state_dict()[name], model.image_encoder.state_dict()[name])


def test_wrong_modality_and_architecture_are_refused_naming_the_file(pretrained: Path) -> None:
    best = RunDir(pretrained).best_checkpoint
    with pytest.raises(CheckpointError, match="expected a spectrum pretraining checkpoint") as err:
        load_pretrained_specformer(best, "specformer_small")
    assert str(best) in str(err.value)
    config = load_preset("demo-cpu").model
    resnet50 = config.__class__(**{**config.__dict__, "image_encoder": "resnet50",
                                   "image_checkpoint": str(best)})
    with pytest.raises(CheckpointError, match="resnet_small"):
        load_pretrained(resnet50)


def test_pretrain_image_refuses_a_spectrum_preset(mock_survey: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["pretrain", "--modality", "image", "--data", str(mock_survey),
                     "--preset", "pretrain-spectrum-small", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "not image pretraining" in capsys.readouterr().err
    assert load_preset("pretrain-image").model.image_encoder == "resnet50"


def test_image_encoder_alone_features_and_evaluate_flag(pretrained: Path, mock_survey: Path,
                                                        tmp_path: Path) -> None:
    from astroclip_engine.analysis import analysis_steps
    from astroclip_engine.evaluation.encoder_alone import image_encoder_features

    features = image_encoder_features(RunDir(pretrained).best_checkpoint, mock_survey,
                                      np.arange(10))
    assert features.shape == (10, 128)
    assert np.allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    steps = analysis_steps(tmp_path / "m.ckpt", mock_survey, tmp_path / "s.h5", tmp_path / "e",
                           pretrained_image=tmp_path / "p.ckpt")
    argv = steps[-1].argv()
    assert argv[argv.index("--pretrained-image") + 1] == str(tmp_path / "p.ckpt")
    plain = analysis_steps(tmp_path / "m.ckpt", mock_survey, tmp_path / "s.h5", tmp_path / "e",
                           ("--k", "8"))[-1].argv()
    assert plain[-2:] == ["--k", "8"] and "--pretrained-image" not in plain


def test_info_describes_the_image_pretraining_checkpoint(pretrained: Path) -> None:
    from astroclip_engine.file_info import describe_file

    described = describe_file(RunDir(pretrained).best_checkpoint)
    assert described["kind"] == "pretraining checkpoint" and described["parameters"] > 0
    assert "resnet_small" in described["description"] and "MoCo" in described["description"]
