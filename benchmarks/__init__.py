"""Benchmark scripts: each module defines `run(quick: bool = False) -> list[dict]`."""
