"""`astroclip check KIND PATH` prints one JSON verdict, and never a traceback, for any file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from astroclip_engine.cli import main


def verdict(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    assert main(["check", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_missing_file_is_a_verdict(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    result = verdict(capsys, "stein", str(tmp_path / "none.ckpt"))
    assert result == {"ok": False, "error": f"{tmp_path / 'none.ckpt'}: no such file"}


def test_corrupt_checkpoint_names_the_file(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    bad = tmp_path / "spender.pt"
    bad.write_bytes(b"not a checkpoint")
    result = verdict(capsys, "spender", str(bad))
    assert result["ok"] is False and "spender.pt" in result["error"]


def test_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "resnet", "x"])
    assert exc.value.code == 2
