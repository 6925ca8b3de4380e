"""Presets, config validation and the resume rule (only trainer.max_epochs may change)."""

from __future__ import annotations

import pytest

from astroclip_engine.config import EMBEDDING_DIMS, RunConfig, list_presets, load_preset
from astroclip_engine.errors import ConfigError
from astroclip_engine.training.run import resume_conflicts


def test_every_reproduction_size_has_a_preset_with_the_paper_defaults() -> None:
    names = set(list_presets())
    assert {f"repro-d{d}" for d in EMBEDDING_DIMS} | {"paper-v1", "demo-cpu"} <= names
    for dim in EMBEDDING_DIMS:
        config = load_preset(f"repro-d{dim}").check()
        assert config.model.embedding_dim == dim
        assert (config.model.image_encoder, config.model.spectrum_encoder) == ("resnet50",
                                                                               "spender")
        assert config.trainer.batch_size == 512 and config.trainer.max_epochs == 75
        assert (config.optim.lr, config.optim.weight_decay) == (5e-4, 1e-4)
        assert config.trainer.seed == 42 and config.model.temperature == 0.07
        assert not config.model.learnable_temperature and config.model.image_crop == 96


def test_paper_and_demo_presets() -> None:
    paper = load_preset("paper-v1").check()
    assert paper.model.embedding_dim == 128 and paper.model.learnable_temperature
    demo = load_preset("demo-cpu").check()
    assert demo.model.image_encoder == "resnet_small"
    assert demo.model.spectrum_encoder == "spender_small"
    assert demo.trainer.batch_size <= 256 and demo.trainer.max_epochs <= 20


def test_preset_round_trips_through_yaml(tmp_path) -> None:
    config = load_preset("demo-cpu")
    path = tmp_path / "c.yaml"
    path.write_text(config.to_yaml())
    assert RunConfig.from_yaml(path) == config
    assert load_preset(str(path)) == config


@pytest.mark.parametrize(("section", "key", "value", "needle"), [
    ("trainer", "batch_size", 0, "trainer.batch_size"),
    ("data", "val_fraction", 1.5, "data.val_fraction"),
    ("optim", "schedule", "linear", "optim.schedule"),
    ("model", "image_encoder", "vit", "model.image_encoder"),
    ("trainer", "devices", 0, "trainer.devices"),
])
def test_check_names_the_bad_key(section: str, key: str, value: object, needle: str) -> None:
    config = load_preset("demo-cpu").replace(**{section: {key: value}})
    with pytest.raises(ConfigError, match=needle):
        config.check()


def test_resume_allows_only_more_epochs() -> None:
    old = load_preset("demo-cpu")
    assert resume_conflicts(old, old.replace(trainer={"max_epochs": 50})) == []
    conflicts = resume_conflicts(old, old.replace(trainer={"batch_size": 7, "max_epochs": 50}))
    assert conflicts == ["trainer.batch_size: 128 -> 7"]
