"""The one rule for an applicant's overall status and next actions (domain/status.py)."""

from __future__ import annotations

import pytest

from prakerja.domain import status
from prakerja.domain.rules import Rule
from prakerja.domain.stages import StageStatus

P, F, N, W, R, D = "passed", "failed", "not_started", "pending", "in_review", "delayed"


@pytest.mark.parametrize(
    ("stages", "membership", "overall", "actions"),
    [
        (
            [W, N, N, N, N, N],
            "none",
            "action_required",
            ["verify_email", "submit_identity", "upload_selfie", "verify_phone"],
        ),
        ([P, W, N, N, P, P], "none", "in_progress", []),
        ([P, P, W, D, W, P], "none", "in_progress", []),
        ([P, P, P, P, R, P], "none", "in_review", []),
        (
            [P, F, N, N, F, W],
            "none",
            "action_required",
            ["correct_identity", "upload_new_selfie", "enter_otp"],
        ),
        ([P, P, F, W, W, N], "none", "rejected", []),
        ([P, P, P, F, R, P], "none", "rejected", []),
        ([P, P, P, P, P, P], "none", "verified", ["join_wave"]),
        ([P, P, P, P, P, P], "not_selected", "not_selected", ["join_wave"]),
        ([P, P, P, P, P, P], "participant", "participant", []),
        ([P, P, P, P, P, P], "revoked", "revoked", []),
    ],
)
def test_overall_status_and_next_actions(
    stages: list[str], membership: str, overall: str, actions: list[str]
) -> None:
    assert status.overall_status(stages, membership) == overall
    assert status.next_actions(stages, membership) == actions


def test_enum_values_and_their_strings_give_the_same_answer() -> None:
    as_enums = [StageStatus(s) for s in (P, F, N, N, N, N)]
    assert status.next_actions(as_enums, "none") == [
        "correct_identity",
        "upload_selfie",
        "verify_phone",
    ]
    assert status.final_rejection([P, P, F, F, P, P]) is not None
    assert status.final_rejection([P, F, P, P, F, P]) is None
    assert status.is_closed([P, P, P, P, P, P], "revoked")


@pytest.mark.parametrize(
    "ref", ["face.match@1", "rule@v2", "manual-override", "a@b@3", "x@01", "x@"]
)
def test_a_rule_reference_reads_back_as_it_was_stored(ref: str) -> None:
    assert Rule.parse(ref).ref == ref
