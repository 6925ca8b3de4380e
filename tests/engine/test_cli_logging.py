"""A short `astroclip train` logs one line per event: no line twice (Lightning's handler and
ours), no product advert, no third-party deprecation noise; `-v` shows what was hidden."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

from astroclip_engine.log_setup import AdvertFilter, quiet_third_party_warnings
from tests.engine.test_training_run import tiny_config

ADVERT = "💡 Tip: For seamless cloud logging, try installing [litlogger](https://pypi.org)"


def _train_log(mock_survey: Path, tmp_path: Path, *global_flags: str) -> str:
    tmp_path.mkdir()
    preset = tmp_path / "tiny.yaml"
    # 3 training batches < log_every_n_steps: Lightning warns (a PossibleUserWarning)
    preset.write_text(tiny_config(mock_survey, max_epochs=1, log_every_n_steps=50).to_yaml())
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": ""}
    done = subprocess.run(
        [sys.executable, "-m", "astroclip_engine.cli", *global_flags, "train",
         "--data", str(mock_survey), "--preset", str(preset), "--out", str(tmp_path / "run"),
         "--progress", "none"],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.mark.slow
def test_short_train_logs_each_event_once(mock_survey: Path, tmp_path: Path) -> None:
    log = _train_log(mock_survey, tmp_path / "quiet")
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    assert sum("GPU available" in line for line in lines) == 1
    repeated = [line for line, n in Counter(lines).items() if n > 1 and line.strip("─━│┃ ")]
    assert repeated == []
    assert "Tip:" not in log and "litlogger" not in log and "litmodels" not in log
    assert "deprecated" not in log and "Warning" not in log and "log_every_n_steps" not in log

    verbose = _train_log(mock_survey, tmp_path / "verbose", "-v")
    assert "litlogger" in verbose  # -v shows the rest
    assert "log_every_n_steps" in verbose
    assert sum("GPU available" in line for line in verbose.splitlines()) == 1


def test_advert_filter_drops_only_adverts() -> None:
    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("lightning.pytorch.utilities.rank_zero", logging.INFO,
                                 __file__, 1, message, None, None)

    assert not AdvertFilter().filter(record(ADVERT))
    assert AdvertFilter().filter(record("GPU available: False, used: False"))


def test_third_party_warnings_hidden_ours_shown() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        quiet_third_party_warnings()
        warnings.warn_explicit("old API", DeprecationWarning, "x.py", 1,
                               module="lightning.pytorch.utilities._pytree")
        warnings.warn_explicit("bad pixels", UserWarning, "y.py", 1,
                               module="astroclip_engine.data.legacy_fits")
    assert [str(w.message) for w in caught] == ["bad pixels"]


def test_progress_bar_is_not_redrawn_after_its_end() -> None:
    import io

    from astroclip_engine.jobs import Progress, TqdmReporter

    stream = io.StringIO()
    report = TqdmReporter(stream)
    for current, message in ((0, "epoch 1"), (2, "epoch 1"), (2, "best.ckpt"), (2, "finished")):
        report(Progress("train", current, 2, message))
    assert "best.ckpt" not in stream.getvalue() and "finished" not in stream.getvalue()
    report(Progress("train", 0, 4, "a second pass"))  # the same job again: a new bar
    assert "a second pass" in stream.getvalue()
