"""The benchmark's one table: each part reports figures, bench/run.py prints them together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure, with the target it is held to (empty when it has none)."""

    part: str  # "CPU", "Replies", "Sending", "Data"
    name: str  # what was measured, e.g. "bot: CPU per update"
    value: str  # the figure with its unit, e.g. "3.1 ms"
    target: str = ""  # e.g. "≤ 2.5× floor"; empty for a figure given for context
    met: bool | None = None  # None: no target

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "NO", None: ""}[self.met]


def markdown(figures: list[Figure]) -> str:
    """The figures as a Markdown table (what the README's performance section holds)."""
    lines = ["| part | measure | figure | target | met |", "| --- | --- | --- | --- | --- |"]
    for f in figures:
        lines.append(f"| {f.part} | {f.name} | {f.value} | {f.target} | {f.verdict} |")
    return "\n".join(lines)
