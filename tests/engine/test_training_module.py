"""The LightningModule accepts the per-bin spectrum std from `astroclip stddev` (an array)."""

import numpy as np

from astroclip_engine.config import load_preset
from astroclip_engine.training.module import AstroCLIPModule


def test_module_takes_a_stddev_array_and_saves_only_the_config() -> None:
    stddev = np.linspace(0.5, 1.5, 7781, dtype=np.float32)
    module = AstroCLIPModule(load_preset("demo-cpu"), spectrum_stddev=stddev)
    assert list(module.hparams) == ["config"]
    assert np.allclose(module.spectrum_stddev.numpy(), stddev)
    assert "spectrum_stddev" not in module.state_dict()
