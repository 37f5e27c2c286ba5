"""Results as rows of one Markdown table, plus each benchmark's notes."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    what: str
    measured: str
    baseline: str
    ratio: str = ""


@dataclass
class Section:
    number: int
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # raw figures other benchmarks build on
    headline: str = ""  # one sentence for the top of the document

    def row(self, what: str, measured: str, baseline: str, ratio: str = "") -> None:
        self.rows.append(Row(what, measured, baseline, ratio))


def ratio(value: float, base: float, digits: int = 2) -> str:
    return f"{value / base:.{digits}f}×" if base else "n/a"


def count(n: float) -> str:
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}"


def table(sections: list[Section]) -> str:
    lines = ["| # | Benchmark | Measured | Baseline (same run) | Ratio |", "|---|---|---|---|---|"]
    for s in sections:
        for r in s.rows:
            lines.append(f"| {s.number} | {r.what} | {r.measured} | {r.baseline} | {r.ratio} |")
    return "\n".join(lines)


def headlines(sections: list[Section]) -> str:
    return "\n".join(f"- {s.headline}" for s in sections if s.headline)


def details(sections: list[Section]) -> str:
    parts = []
    for s in sections:
        if s.notes:
            parts.append(f"### {s.number}. {s.title}\n\n" + "\n".join(s.notes))
    return "\n\n".join(parts)
