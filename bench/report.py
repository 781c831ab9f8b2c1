"""Results of a benchmark run: each measurement with its baseline, ratio and target,
written as JSON and as a Markdown table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

TargetKind = Literal["ratio_min", "value_min", "value_max"]


@dataclass(frozen=True)
class Target:
    text: str
    kind: TargetKind
    threshold: float

    def verdict(self, value: float | None, ratio: float | None) -> tuple[bool | None, str]:
        """(met, how it compares), e.g. ``(False, "missed: 0.62, 22% short of 0.8")``."""
        measured = ratio if self.kind == "ratio_min" else value
        if measured is None:
            return None, "not measured"
        if self.kind in ("ratio_min", "value_min"):
            if measured >= self.threshold:
                return True, f"met ({_fmt(measured)} ≥ {_fmt(self.threshold)})"
            short = 100 * (self.threshold - measured) / self.threshold
            return False, f"missed by {short:.0f}% ({_fmt(measured)} < {_fmt(self.threshold)})"
        if measured <= self.threshold:
            return True, f"met ({_fmt(measured)} ≤ {_fmt(self.threshold)})"
        over = 100 * (measured - self.threshold) / self.threshold
        return False, f"missed by {over:.0f}% ({_fmt(measured)} > {_fmt(self.threshold)})"


@dataclass
class Measurement:
    """One result beside its baseline, measured in the same run."""

    id: str
    title: str
    unit: str
    value: float | None
    baseline_title: str
    baseline: float | None
    size: int | None = None
    target: Target | None = None
    details: dict[str, Any] = field(default_factory=dict)
    ratio_override: float | None = None
    note: str = ""
    target_value: float | None = None
    """What the target judges when it is neither the value nor the ratio (e.g. overhead %)."""

    @property
    def ratio(self) -> float | None:
        if self.ratio_override is not None:
            return self.ratio_override
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        judged = self.value if self.target_value is None else self.target_value
        met, verdict = self.target.verdict(judged, self.ratio) if self.target else (None, "")
        return {
            "id": self.id,
            "title": self.title,
            "applicants_loaded": self.size,
            "unit": self.unit,
            "value": self.value,
            "baseline": {"title": self.baseline_title, "value": self.baseline},
            "ratio": None if self.ratio is None else round(self.ratio, 4),
            "target": None
            if self.target is None
            else {
                "text": self.target.text,
                "kind": self.target.kind,
                "threshold": self.target.threshold,
            },
            "met": met,
            "verdict": verdict,
            "note": self.note,
            "details": self.details,
        }


def skipped(id_: str, title: str, size: int | None, reason: str) -> Measurement:
    """A measurement that could not run here (the reason says why)."""
    return Measurement(id_, title, "", None, "", None, size, note=f"not measured: {reason}")


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}"


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown table (one row per measurement and scale)."""
    machine = results["machine"]
    lines = [
        f"Run {results['started_at']} on {machine['cpu']} ({machine['cores']} cores,"
        f" {machine['memory_gib']} GiB), PostgreSQL {machine.get('postgres')}, Python"
        f" {machine['python']}; load average at start {results['load_average_at_start']}"
        f" (1, 5, 15 min), at end {results.get('load_average_at_end')}.",
        f"Command: `{results['command']}`",
        "",
        "| measurement | applicants loaded | result | baseline (same run) | ratio | target |",
        "|---|---:|---|---|---:|---|",
    ]
    for row in results["measurements"]:
        size = "" if row["applicants_loaded"] is None else f"{row['applicants_loaded']:,}"
        if row["value"] is None:
            lines.append(f"| {row['title']} | {size} | {row['note']} | | | |")
            continue
        value = f"{_fmt(row['value'])} {row['unit']}"
        base = row["baseline"]
        baseline = (
            "" if base["value"] is None else f"{_fmt(base['value'])} {row['unit']}: {base['title']}"
        )
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        target = "" if row["target"] is None else f"{row['target']['text']}: {row['verdict']}"
        lines.append(f"| {row['title']} | {size} | {value} | {baseline} | {ratio} | {target} |")
    notes = [row for row in results["measurements"] if row["note"] and row["value"] is not None]
    if notes:
        lines.append("")
        for row in notes:
            size = "" if row["applicants_loaded"] is None else f" ({row['applicants_loaded']:,})"
            lines.append(f"- {row['title']}{size}: {row['note']}")
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], folder: Path, stem: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path
