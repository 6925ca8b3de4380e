"""Turn `astroclip info --json` output into a verdict and a readable summary (Qt-free)."""

from __future__ import annotations

import html
import json
from typing import Any

from astroclip_gui.widgets.checked_path import Verdict, last_error

IMPORTANT = ("format", "row", "group", "train", "test", "split", "image", "spectr", "redshift",
             "zero", "range", "nan", "finite", "propert")
NOT_PAIRED = ("coadd", "cutout", "legacy", "provabgs", "property", "fits")


def info_verdict(code: int, stdout: str, stderr: str) -> Verdict:
    """Accept a paired dataset with rows; the payload is the describe() dict."""
    if code != 0:
        return Verdict(False, last_error(stderr) or f"`astroclip info` failed (exit code {code})")
    try:
        info = json.loads(stdout)
    except ValueError:
        return Verdict(False, "`astroclip info --json` printed no JSON")
    if not isinstance(info, dict):
        return Verdict(False, "`astroclip info --json` printed no JSON object")
    kind = str(info.get("format", "")).lower()
    if any(word in kind for word in NOT_PAIRED):
        return Verdict(False, f"this is a {info.get('format')} file, not a paired image + "
                              "spectrum dataset (an AstroCLIP HDF5 file or a parquet folder)")
    rows = row_count(info)
    if rows == 0:
        return Verdict(False, "the dataset has no rows")
    what = f"{info.get('format', 'dataset')}" + (f", {rows:,} galaxies" if rows else "")
    return Verdict(True, what, info)


def row_count(info: dict[str, Any]) -> int | None:
    for key in ("rows", "n_rows", "n", "count", "length"):
        if isinstance(info.get(key), int):
            return int(info[key])
    return None


def summary_items(info: dict[str, Any], limit: int = 14) -> list[tuple[str, str]]:
    """(label, value) pairs, the telling ones (rows, splits, images, redshifts, defects) first."""
    flat = list(_flatten(info))

    def rank(item: tuple[str, Any]) -> int:
        key = item[0].lower()
        return next((i for i, word in enumerate(IMPORTANT) if word in key), len(IMPORTANT))

    flat.sort(key=rank)
    return [(_label(key), _value(value)) for key, value in flat[:limit]]


def summary_html(info: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td style='color:#57606a; padding-right:14px'>{html.escape(label)}</td>"
        f"<td>{html.escape(value)}</td></tr>" for label, value in summary_items(info))
    return f"<table cellspacing='2'>{rows}</table>"


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and len(value) <= 6 and all(
                not isinstance(v, dict | list) for v in value.values()):
            out.append((name, ", ".join(f"{k}: {_value(v)}" for k, v in value.items())))
        elif isinstance(value, dict):
            out.extend(_flatten(value, f"{name} "))
        elif key != "path":
            out.append((name, value))
    return out


def _label(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        if len(value) == 2 and all(isinstance(v, int | float) for v in value):
            return f"{_value(value[0])} – {_value(value[1])}"
        shown = ", ".join(_value(v) for v in value[:8])
        return shown + (f" … ({len(value)})" if len(value) > 8 else "")
    return str(value)
