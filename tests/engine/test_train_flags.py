"""The config <-> `astroclip train` flag table reads back what it writes."""

from __future__ import annotations

import argparse

from astroclip_engine.commands.train import apply_overrides
from astroclip_engine.config import load_preset
from astroclip_engine.train_flags import (
    add_train_options,
    flag_config,
    flags_for,
    overrides_from_args,
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_train_options(parser)
    return parser.parse_args(argv)


def test_flags_round_trip_to_the_same_config(tmp_path) -> None:
    base = load_preset("demo-cpu")
    properties = str(tmp_path / "props.fits")
    config = base.replace(model={"embedding_dim": 24, "freeze_backbones": True},
                          trainer={"max_epochs": 3, "precision": "bf16-mixed", "seed": 5},
                          optim={"lr": 3e-5}, data={"num_workers": 0, "properties": properties})
    argv = flags_for(config, base)
    assert "--embedding-dim" in argv and "--lr" in argv and "--freeze-backbones" in argv
    assert "--batch-size" not in argv  # unchanged settings give no flag
    rebuilt = apply_overrides(base, overrides_from_args(parse(argv)))
    assert rebuilt == flag_config(config, base) == config


def test_a_switch_cannot_turn_a_setting_off() -> None:
    base = load_preset("demo-cpu").replace(model={"learnable_temperature": True})
    config = base.replace(model={"learnable_temperature": False})
    assert "--learnable-temperature" not in flags_for(config, base)
    assert flag_config(config, base).model.learnable_temperature  # so a preset file is needed
