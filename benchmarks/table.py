"""Render benchmark rows as a Markdown table (shared by every benchmark script)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def format_value(value: Any) -> str:
    if isinstance(value, float):
        if value == 0 or 0.01 <= abs(value) < 1e5:
            return f"{value:.3g}" if abs(value) < 100 else f"{value:.1f}"
        return f"{value:.3e}"
    return str(value)


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table whose columns are the union of the rows' keys, in first-seen order."""
    if not rows:
        return "(no rows)\n"
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(format_value(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    print(markdown_table(rows))
