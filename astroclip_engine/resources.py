"""Locate the files in `resources/` both in a source checkout and in an installed wheel."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding presets, icons and the style sheet."""
    here = Path(__file__).resolve().parent
    candidates = [
        here / "_resources",  # installed wheel (force-include)
        here.parent / "resources",  # source checkout / editable install
        Path(getattr(sys, "_MEIPASS", here)) / "resources",  # PyInstaller bundle
    ]
    for candidate in candidates:
        if (candidate / "presets").is_dir():
            return candidate
    raise FileNotFoundError("AstroCLIP Studio resources folder not found; reinstall the package")


def resource_path(*parts: str) -> Path:
    """Path of a file below the resources folder."""
    return resources_dir().joinpath(*parts)
