"""Rule-change previews: from recorded evidence, exactly who would change, writing nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from prakerja.container import Container
from prakerja.domain.applicant import MANUAL_OVERRIDE, Applicant
from prakerja.domain.stages import Stage, StageStatus
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.live import event_table
from prakerja.projections.preview import (
    InvalidPolicy,
    PolicyChange,
    evidence_from_log,
    evidence_from_read_model,
    preview,
)
from tests.helpers import staff_headers
from tests.projections import reference
from tests.projections.test_read_models import catch_up, rows

pytestmark = pytest.mark.postgres

_FACE_DECISIONS = (Applicant.FaceMatched, Applicant.FaceMatchFailed, Applicant.FaceReviewRequested)


def face_now(container: Container) -> dict[UUID, tuple[StageStatus, float | None]]:
    """Each applicant whose face stage automation decided last: status and distance."""
    found: dict[UUID, tuple[StageStatus, float | None]] = {}
    for applicant_id, events in reference.histories(container).items():
        applicant = reference.final(events)
        record = applicant.stages[Stage.FACE]
        decided = [e for e in events if isinstance(e, _FACE_DECISIONS)]
        if (
            decided
            and record.rule != MANUAL_OVERRIDE
            and record.status
            in (
                StageStatus.PASSED,
                StageStatus.FAILED,
                StageStatus.IN_REVIEW,
            )
        ):
            found[applicant_id] = (record.status, decided[-1].evidence["distance"])
    return found


def run(container: Container, policy: PolicyChange) -> dict[tuple[UUID, str], tuple[str, str]]:
    assert container.pool is not None
    with container.pool.connection() as conn:
        result = preview(policy, evidence_from_read_model(conn, policy.stages))
    return {(c.applicant_id, c.stage): (c.before, c.after) for c in result.changes}


def test_a_stricter_face_threshold_lists_exactly_the_applicants_between_the_thresholds(
    populated: Container,
) -> None:
    catch_up(populated)
    before = rows(populated, "SELECT count(*), max(notification_id) FROM prakerja_events")
    positions = rows(
        populated,
        "SELECT name, transaction_id::text, notification_id FROM log_positions ORDER BY name",
    )
    changes = run(populated, PolicyChange(face_accept_max_distance=0.45))
    expected = {
        (applicant, "face"): ("passed", "in_review")
        for applicant, (status, distance) in face_now(populated).items()
        if status is StageStatus.PASSED and distance is not None and 0.45 < distance <= 0.50
    }
    assert expected  # the population has some, or this proves nothing
    assert changes == expected
    assert rows(populated, "SELECT count(*), max(notification_id) FROM prakerja_events") == before
    assert (
        rows(
            populated,
            "SELECT name, transaction_id::text, notification_id FROM log_positions ORDER BY name",
        )
        == positions
    )


def test_looser_face_thresholds_re_decide_every_current_face_decision(
    populated: Container,
) -> None:
    catch_up(populated)
    changes = run(
        populated, PolicyChange(face_accept_max_distance=0.58, face_review_max_distance=0.64)
    )

    def decide(distance: float) -> str:
        return "passed" if distance <= 0.58 else "in_review" if distance <= 0.64 else "failed"

    expected = {
        (applicant, "face"): (status.value, decide(distance))
        for applicant, (status, distance) in face_now(populated).items()
        if distance is not None and decide(distance) != status.value
    }
    assert "passed" in {after for _, after in expected.values()}
    assert changes == expected


def test_a_higher_minimum_age_and_a_removed_list(populated: Container) -> None:
    """Minors are refused as they submit (no evidence to re-decide): the age rule is
    previewed raised, on the ages the registry reported for the identities it accepted."""
    catch_up(populated)
    too_young, dtks_only = set(), set()
    for applicant_id, events in reference.histories(populated).items():
        applicant = reference.final(events)
        identity = applicant.stages[Stage.IDENTITY]
        ages = [e.evidence["age_years"] for e in events if isinstance(e, Applicant.NikValidated)]
        if identity.status is StageStatus.PASSED and ages and ages[-1] < 36:
            too_young.add((applicant_id, "identity"))
        exclusion = applicant.stages[Stage.EXCLUSION]
        listed = [r.get("measured") for r in exclusion.reasons]
        if exclusion.status is StageStatus.FAILED and listed == ["dtks"]:
            dtks_only.add((applicant_id, "exclusion"))
    assert too_young
    assert dtks_only
    older = run(populated, PolicyChange(minimum_age=36))
    assert set(older) == too_young
    assert set(older.values()) == {("passed", "failed")}
    assert set(run(populated, PolicyChange(lists_removed=frozenset({"dtks"})))) == dtks_only


def test_the_log_and_the_read_model_give_the_same_preview(populated: Container) -> None:
    catch_up(populated)
    assert populated.pool is not None
    policy = PolicyChange(
        face_accept_max_distance=0.47, minimum_age=36, lists_removed=frozenset({"dtks"})
    )
    source = event_table(populated.applicants, populated.pool, READ_MODELS["decisions"])
    from_log = preview(policy, evidence_from_log(source, populated.pool, page_size=33))
    with populated.pool.connection() as conn:
        from_model = preview(policy, evidence_from_read_model(conn, policy.stages))
    assert from_log.changes == from_model.changes
    assert from_log.evaluated == from_model.evaluated
    assert sum(from_model.evaluated.values()) > 40


def test_impossible_policies_are_refused() -> None:
    with pytest.raises(InvalidPolicy):
        PolicyChange(face_accept_max_distance=0.7, face_review_max_distance=0.6)
    with pytest.raises(InvalidPolicy):
        PolicyChange(lists_removed=frozenset({"dtks"}), lists_added=frozenset({"dtks"}))


def test_the_preview_endpoint_is_for_ops_and_auditors(
    populated: Container, api: TestClient[Any]
) -> None:
    catch_up(populated)
    body = {"face_accept_max_distance": 0.45, "exclusion_lists_added": ["legislator"]}
    reviewer = api.post("/v1/reports/rule-preview", json=body, headers=staff_headers(api, "rina"))
    assert reviewer.status_code == 403
    response = api.post(
        "/v1/reports/rule-preview?limit=2", json=body, headers=staff_headers(api, "agus")
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    changed = run(populated, PolicyChange(face_accept_max_distance=0.45))
    assert answer["total_changes"] == len(changed) and len(answer["changes"]) == 2
    assert answer["counts"] == [
        {
            "stage": "face",
            "before": "passed",
            "after": "in_review",
            "reason": "review_band",
            "applicants": len(changed),
        }
    ]
    assert answer["unevaluated_lists"] == ["legislator"]
    bad = api.post(
        "/v1/reports/rule-preview",
        json={"face_accept_max_distance": 0.9, "face_review_max_distance": 0.5},
        headers=staff_headers(api, "bayu"),
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_policy"
