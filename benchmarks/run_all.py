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
    args = parser.parse_args()

    sections = [
        "# Benchmarks",
        "",
        f"Produced by `python -m benchmarks.run_all{' --quick' if args.quick else ''}` on "
        f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"{_cores()} cores, Python {platform.python_version()}. Ratios are measured in the same "
        "run as their reference; absolute times vary with the machine's load.",
        "",
    ]
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__))
    for name in names:
        if name in SKIP or (args.only and name not in args.only):
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


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    main()
