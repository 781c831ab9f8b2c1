from __future__ import annotations

import csv
from pathlib import Path

from prakerja.simulation.funnel import ALL_STAGES, funnel_of, milestones, write_csv
from prakerja.simulation.journeys import Outcome

PASSED = dict.fromkeys(("email", "identity", "education", "exclusion", "face", "phone"), "passed")


def outcome(index: int, province: str, stages: dict[str, str], **fields: object) -> Outcome:
    found = Outcome(index, province, applicant_id=f"id-{index}", stages=stages)
    for name, value in fields.items():
        setattr(found, name, value)
    return found


def test_milestones_follow_the_final_stages() -> None:
    bounced = outcome(1, "32", {"email": "failed"})
    rejected = outcome(2, "32", {**PASSED, "exclusion": "failed"})
    joined = outcome(3, "35", PASSED, joined=True)
    assert milestones(bounced, frozenset()) == {"registered"}
    assert "verified" not in milestones(rejected, frozenset())
    assert milestones(joined, frozenset({"id-3"})) >= {"verified", "joined", "selected"}
    assert milestones(Outcome(4, "32"), frozenset()) == set()  # never registered


def test_funnel_per_stage_and_per_province() -> None:
    outcomes = [
        outcome(1, "32", {"email": "failed"}),
        outcome(2, "32", PASSED, joined=True),
        outcome(3, "35", PASSED, joined=True, error="TimeoutError: no decision"),
    ]
    funnel = funnel_of(outcomes, selected=["id-3"])
    assert funnel.counts["registered"] == 3
    assert funnel.counts["email_verified"] == 2
    assert funnel.counts["joined"] == 2
    assert funnel.counts["selected"] == 1
    assert funnel.errors == 1
    assert funnel.provinces["32"]["registered"] == 2
    assert funnel.provinces["35"]["selected"] == 1
    rows = {row["stage"]: row for row in funnel.as_rows()}
    assert [row["stage"] for row in funnel.as_rows()] == list(ALL_STAGES)
    assert rows["email_verified"]["share_of_registered"] == round(2 / 3, 6)
    assert rows["selected"]["share_of_previous"] == 0.5


def test_csv_files(tmp_path: Path) -> None:
    funnel = funnel_of([outcome(1, "32", PASSED, joined=True)])
    stages, provinces = write_csv(funnel, tmp_path)
    with stages.open() as file:
        assert [row["stage"] for row in csv.DictReader(file)] == list(ALL_STAGES)
    with provinces.open() as file:
        (row,) = list(csv.DictReader(file))
    assert row["province"] == "32"
    assert row["name"] == "Jawa Barat"
    assert row["joined"] == "1"
