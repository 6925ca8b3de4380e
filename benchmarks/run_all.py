"""Run every benchmark script and write one Markdown report (`make benchmarks`)."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import time
import traceback

import benchmarks
from astroclip_engine.atomic import atomic_write_text
from benchmarks.table import markdown_table

SKIP = {"run_all", "table"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/benchmarks.md")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--only", nargs="*", help="module names to run")
    parser.add_argument("--update", action="store_true",
                        help="with --only: replace those sections of --out, keep the others "
                             "(the header says which sections were re-run, and when)")
    args = parser.parse_args()
    kept = _sections(args.out) if args.update else {}
    earlier = _earlier_date(args.out) if args.update else ""

    sections = [
        "# Benchmarks",
        "",
        f"Produced by `python -m benchmarks.run_all{' --quick' if args.quick else ''}` on "
        f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"{_cores()} cores, Python {platform.python_version()}. Ratios are measured in the same "
        "run as their reference; absolute times vary with the machine's load.",
        "",
    ]
    if args.update:
        sections[2] += (f" Re-run on {time.strftime('%Y-%m-%d')}: {', '.join(args.only or [])};"
                        f" the other sections are kept from the run of {earlier or 'before'}.")
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__))
    for name in names:
        if name in SKIP:
            continue
        if args.only and name not in args.only:
            if name in kept:
                sections += [kept[name], ""]
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        if not hasattr(module, "run"):
            continue
        title = (module.__doc__ or name).strip().splitlines()[0]
        print(f"== {name}: {title}", flush=True)
        start = time.perf_counter()
        try:
            rows = module.run(quick=args.quick)
            body = markdown_table(rows)
        except Exception as exc:  # a failing benchmark is reported, not fatal
            body = f"Failed: `{exc!r}`\n\n```\n{traceback.format_exc(limit=3)}```\n"
        elapsed = time.perf_counter() - start
        print(body, flush=True)
        sections += [f"## {name}: {title}", "", body, f"({elapsed:.0f} s)", ""]
    atomic_write_text(args.out, "\n".join(sections))
    print(f"wrote {args.out}")


def _sections(path: str) -> dict[str, str]:
    """The `## name: ...` sections of an earlier report, by benchmark name."""
    import re
    from pathlib import Path

    if not Path(path).exists():
        return {}
    text = Path(path).read_text(encoding="utf-8")
    parts = re.split(r"(?m)^(?=## )", text)
    return {m.group(1): part.rstrip() for part in parts
            if (m := re.match(r"## (\w+):", part))}


def _earlier_date(path: str) -> str:
    """The date an earlier report's header names first (its full run), or ""."""
    import re
    from pathlib import Path

    if not Path(path).exists():
        return ""
    found = re.search(r"\d{4}-\d{2}-\d{2}", Path(path).read_text(encoding="utf-8")[:600])
    return found.group(0) if found else ""


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    main()
