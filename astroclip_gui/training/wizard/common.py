"""Pieces shared by the training wizard's pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QLabel, QPlainTextEdit, QVBoxLayout

from astroclip_engine.config import preset_path

PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "64-true")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_argv(kind: str) -> Callable[[str], list[str]]:
    """`astroclip` arguments builder for `astroclip check KIND PATH`."""
    return lambda path: ["check", kind, path]


def framed(label: QLabel) -> QFrame:
    """A light box around a summary label."""
    frame = QFrame()
    frame.setObjectName("summaryFrame")
    frame.setStyleSheet("#summaryFrame { border: 1px solid palette(mid); border-radius: 6px; }")
    layout = QVBoxLayout(frame)
    layout.addWidget(label)
    return frame


def preset_description(name: str) -> str:
    """The comment block at the top of a preset's YAML file, as one paragraph."""
    try:
        lines = preset_path(name).read_text().splitlines()
    except OSError:
        return ""
    comment = []
    for line in lines:
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    return " ".join(comment)


def monospace(text: QPlainTextEdit) -> QPlainTextEdit:
    """Read-only, in the system's fixed-width font."""
    text.setReadOnly(True)
    text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return text
