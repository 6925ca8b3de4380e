"""Every long `astroclip` command offers `--progress {bar,json,none}` (commands/_progress.py);
the short ones are listed here with the reason they need none."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from astroclip_engine.cli import build_parser, main
from astroclip_engine.commands._progress import PROGRESS_MODES

SHORT_COMMANDS = {
    "check": "loads one file and prints a JSON verdict",
    "devices": "lists the accelerators",
    "info": "reads a file's header and a sample of rows",
    "runs": "lists run directories",
    "search": "one k-NN query (a single FITS object embedded at most)",
    "slurm": "writes a batch script",
    "real-spectra": "embeds a dozen real spectra",
}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_long_command_accepts_progress() -> None:
    commands = _subcommands()
    assert set(SHORT_COMMANDS) <= set(commands), "a listed short command no longer exists"
    for name, parser in commands.items():
        if name in SHORT_COMMANDS:
            continue
        options = {opt: action for action in parser._actions for opt in action.option_strings}
        assert "--progress" in options, f"`astroclip {name}` has no --progress"
        assert tuple(options["--progress"].choices) == PROGRESS_MODES, name


def test_import_reports_json_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    from tests.published_files import write_official_hdf5

    source = write_official_hdf5(tmp_path / "official.h5")
    assert main(["import", str(source), "--out", str(tmp_path / "p"), "--progress",
                 "json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert events and all(e["job"] == "import" for e in events)
    assert events[-1]["current"] == events[-1]["total"]
    assert lines[-1] == str(tmp_path / "p")
