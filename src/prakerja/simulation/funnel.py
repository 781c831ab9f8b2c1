"""The funnel of a simulation run, per stage and per province, from what the API said."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prakerja.domain.nik import PROVINCES
from prakerja.simulation.calibration import FUNNEL_STAGES
from prakerja.simulation.journeys import Outcome

DETAIL_STAGES = (
    "education_passed",
    "not_excluded",
    "face_matched",
    "phone_verified",
    "verified",
)
"""Milestones of this system between the NIK layer and joining (not published for 2020)."""

ALL_STAGES = (*FUNNEL_STAGES[:3], *DETAIL_STAGES, *FUNNEL_STAGES[3:])

_STAGE_OF_MILESTONE = {
    "email_verified": "email",
    "nik_valid": "identity",
    "education_passed": "education",
    "not_excluded": "exclusion",
    "face_matched": "face",
    "phone_verified": "phone",
}


def milestones(outcome: Outcome, selected: frozenset[str]) -> set[str]:
    """The milestones one applicant reached, judged by their case's final status."""
    if outcome.applicant_id is None:
        return set()
    reached = {"registered"}
    for milestone, stage in _STAGE_OF_MILESTONE.items():
        if outcome.stages.get(stage) == "passed":
            reached.add(milestone)
    if _STAGE_OF_MILESTONE.keys() <= reached:
        reached.add("verified")
    if outcome.joined:
        reached.add("joined")
    if outcome.applicant_id in selected:
        reached.add("selected")
    return reached


@dataclass(frozen=True)
class Funnel:
    counts: dict[str, int]
    provinces: dict[str, dict[str, int]]
    """Province code → stage → applicants."""
    errors: int

    def as_rows(self) -> list[dict[str, object]]:
        """Stage rows with the share of registrations and of the previous stage."""
        rows: list[dict[str, object]] = []
        registered = self.counts.get("registered", 0)
        previous: int | None = None
        for stage in ALL_STAGES:
            count = self.counts.get(stage, 0)
            rows.append(
                {
                    "stage": stage,
                    "applicants": count,
                    "share_of_registered": round(count / registered, 6) if registered else 0.0,
                    "share_of_previous": round(count / previous, 6) if previous else None,
                }
            )
            previous = count
        return rows


def funnel_of(outcomes: Iterable[Outcome], selected: Iterable[str] = ()) -> Funnel:
    chosen = frozenset(selected)
    counts: Counter[str] = Counter()
    provinces: defaultdict[str, Counter[str]] = defaultdict(Counter)
    errors = 0
    for outcome in outcomes:
        reached = milestones(outcome, chosen)
        counts.update(reached)
        provinces[outcome.province].update(reached)
        errors += outcome.error is not None
    return Funnel(
        counts={stage: counts[stage] for stage in ALL_STAGES},
        provinces={
            code: {stage: provinces[code][stage] for stage in ALL_STAGES}
            for code in sorted(provinces)
        },
        errors=errors,
    )


def write_csv(funnel: Funnel, folder: Path) -> tuple[Path, Path]:
    """``funnel.csv`` (one row per stage) and ``provinces.csv`` (one row per province)."""
    stages_path, provinces_path = folder / "funnel.csv", folder / "provinces.csv"
    with stages_path.open("w", newline="") as file:
        rows = csv.DictWriter(
            file, ["stage", "applicants", "share_of_registered", "share_of_previous"]
        )
        rows.writeheader()
        rows.writerows(funnel.as_rows())
    with provinces_path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["province", "name", *ALL_STAGES])
        for code, counts in funnel.provinces.items():
            writer.writerow([code, PROVINCES.get(code, ""), *(counts[s] for s in ALL_STAGES)])
    return stages_path, provinces_path
