"""One row of the mock's realism report (`astroclip mock --check`) and the Markdown table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    name: str
    value: float
    expectation: str
    passed: bool


def format_results(results: list[CheckResult]) -> str:
    """A Markdown table of check results."""
    lines = ["| check | value | expected | result |", "| --- | --- | --- | --- |"]
    for r in results:
        lines.append(f"| {r.name} | {r.value:.3f} | {r.expectation} | "
                     f"{'pass' if r.passed else 'FAIL'} |")
    return "\n".join(lines)
