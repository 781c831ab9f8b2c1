"""The review aggregate, the four-eyes rule, disputes and the flags read from a history."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate

from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import InvalidInput, TransitionNotAllowed
from prakerja.domain.review import (
    Outcome,
    Review,
    ReviewClosed,
    ReviewHeld,
    ReviewStatus,
    SeparationOfDuties,
    needs_second_reviewer,
    review_id,
)
from prakerja.domain.review_flags import REPEATED_DELAYS, FlagKind, review_flags
from prakerja.domain.rules import NOT_IN_SCHOOL, REGISTRY_MATCH, Rule
from prakerja.domain.stages import Stage, StageStatus, Step
from tests.domain.test_applicant import (
    TODAY,
    email_verified,
    failed,
    identity,
    identity_valid,
    passed,
)

NOW = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)
WHY = "A justification long enough to mean something."
DAY = dt.timedelta(hours=24)


def review(automated: StageStatus = StageStatus.IN_REVIEW, by: str = "rina") -> Review:
    return Review(
        applicant_id=uuid4(),
        stage="face",
        decision_version=9,
        decision_event="FaceReviewRequested",
        kind="face_review",
        automated_status=automated.value,
        reviewer=by,
        at=NOW,
    )


def names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def test_the_review_id_is_derived_from_the_decision_it_is_about() -> None:
    made = review()
    assert made.id == review_id(made.applicant_id, Stage.FACE, 9)
    assert review_id(made.applicant_id, "face", 10) != made.id


@pytest.mark.parametrize(
    ("automated", "outcome", "second"),
    [
        (StageStatus.IN_REVIEW, Outcome.ACCEPT, True),
        (StageStatus.FAILED, Outcome.ACCEPT, True),
        (StageStatus.DELAYED, Outcome.ACCEPT, True),
        (StageStatus.PASSED, Outcome.ACCEPT, False),
        (StageStatus.FAILED, Outcome.REJECT, False),
        (StageStatus.IN_REVIEW, Outcome.REJECT, False),
    ],
)
def test_only_acceptances_of_what_automation_did_not_accept_need_four_eyes(
    automated: StageStatus, outcome: Outcome, second: bool
) -> None:
    assert needs_second_reviewer(automated, outcome) is second


def test_a_proposal_needs_a_second_reviewer_never_its_author() -> None:
    case = review()
    assert case.decide("rina", Outcome.ACCEPT, WHY, NOW) is True
    assert case.status is ReviewStatus.PENDING_APPROVAL
    with pytest.raises(SeparationOfDuties):
        case.approve("rina", WHY, NOW)
    with pytest.raises(SeparationOfDuties):
        case.refuse("rina", WHY, NOW)
    with pytest.raises(ReviewClosed):
        case.decide("rina", Outcome.REJECT, WHY, NOW)  # no deciding around the proposal
    case.approve("dewi", "Agreed after looking myself.", NOW)
    assert case.status is ReviewStatus.DECIDED and case.outcome is Outcome.ACCEPT
    events = case.collect_events()
    assert [type(e).__name__ for e in events] == ["Taken", "OverrideProposed", "OverrideApproved"]
    approved: Any = events[-1]
    assert (approved.approved_by, approved.effect, approved.decision_version) == (
        "dewi",
        "replaces",
        9,
    )
    with pytest.raises(ReviewClosed):
        case.approve("agus", WHY, NOW)


def test_a_refusal_gives_the_case_back_to_its_proposer() -> None:
    case = review()
    case.decide("rina", Outcome.ACCEPT, WHY, NOW)
    case.refuse("dewi", "Not convinced: ask for a new selfie.", NOW)
    assert (case.status, case.holder, case.proposed_by) == (ReviewStatus.TAKEN, "rina", None)
    assert case.decide("rina", Outcome.REJECT, WHY, NOW) is False
    assert names(case)[-1] == "Decided"


def test_a_rejection_is_one_reviewer_decision_that_confirms_or_replaces() -> None:
    confirmed = review(StageStatus.FAILED)
    assert confirmed.decide("rina", Outcome.REJECT, WHY, NOW) is False
    decided: Any = confirmed.collect_events()[-1]
    assert (decided.effect, decided.decision_event, decided.decided_by) == (
        "confirms",
        "FaceReviewRequested",
        "rina",
    )
    replaced = review(StageStatus.IN_REVIEW)
    replaced.decide("rina", Outcome.REJECT, WHY, NOW)
    assert replaced.collect_events()[-1].effect == "replaces"  # type: ignore[attr-defined]


def test_holding_releasing_and_taking_over_a_case() -> None:
    case = review()
    with pytest.raises(ReviewHeld):
        case.take("dewi", NOW + dt.timedelta(hours=1), DAY)
    with pytest.raises(ReviewHeld):
        case.decide("dewi", Outcome.REJECT, WHY, NOW)
    case.take("dewi", NOW + DAY, DAY)  # left untouched for a day: another may take it
    assert case.holder == "dewi"
    case.release("dewi")
    assert (case.status, case.holder) == (ReviewStatus.OPEN, None)
    with pytest.raises(ReviewHeld):
        case.decide("dewi", Outcome.REJECT, WHY, NOW)
    case.take("rina", NOW, DAY)
    with pytest.raises(InvalidInput):
        case.decide("rina", Outcome.REJECT, "   too short ", NOW)
    assert names(case) == ["Taken", "Retaken", "Released", "Retaken"]


def events_of(applicant: Applicant) -> list[Aggregate.Event]:
    """The events collected, as the review flags read them from the log."""
    return cast(list[Aggregate.Event], list(applicant.collect_events()))


def face_in_review() -> Applicant:
    applicant = identity_valid()
    applicant.upload_selfie(uuid4(), "ab" * 32, "image/jpeg", 640, 480)
    band = failed(Rule("face.match", "face-2026.1"), "review_band", distance=0.55, timings_ms={})
    applicant.record_face_check(1, band, review=True)
    return applicant


def test_a_face_in_the_review_band_is_flagged_with_its_decision() -> None:
    applicant = face_in_review()
    events = events_of(applicant)
    flags = review_flags(events)
    flag = flags[Stage.FACE]
    assert flag.kind is FlagKind.FACE_REVIEW
    assert flag.decision_version == events[-1].originator_version
    assert flag.evidence == {"distance": 0.55}  # timings are not evidence for a person
    applicant.override_decision(
        Stage.FACE, StageStatus.PASSED, flag.decision_version, "r", WHY, "d"
    )
    assert review_flags([*events, *events_of(applicant)]) == {}


def test_a_dispute_names_the_rejection_and_only_rejections_by_automation() -> None:
    applicant = email_verified()
    applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    with pytest.raises(TransitionNotAllowed) as nothing:
        applicant.dispute_decision(Stage.IDENTITY, 1, "The registry is wrong about me.")
    assert nothing.value.code == "nothing_to_dispute"
    applicant.record_identity_check(1, failed(REGISTRY_MATCH, "full_name_mismatch"), None)
    rejected_at = applicant.version
    with pytest.raises(TransitionNotAllowed) as face:
        applicant.dispute_decision(Stage.FACE, rejected_at, "It is me.")
    assert face.value.code == "not_disputable"
    applicant.dispute_decision(Stage.IDENTITY, rejected_at, "  My name is right.  ")
    assert applicant.stage(Stage.IDENTITY).status is StageStatus.IN_REVIEW
    events = events_of(applicant)
    flag = review_flags(events)[Stage.IDENTITY]
    assert (flag.kind, flag.decision_version, flag.decision_event) == (
        FlagKind.DISPUTE,
        rejected_at,
        "NikRejected",
    )
    assert flag.statement == "My name is right." and flag.reasons == (
        {"code": "full_name_mismatch"},
    )
    with pytest.raises(TransitionNotAllowed) as locked:
        applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    assert locked.value.code == "identity_locked"
    applicant.override_decision(Stage.IDENTITY, StageStatus.FAILED, rejected_at, "rina", WHY, None)
    with pytest.raises(TransitionNotAllowed) as again:
        applicant.dispute_decision(Stage.IDENTITY, applicant.version, "Still me.")
    assert again.value.code == "already_reviewed"


def test_repeated_delays_flag_once_and_keep_the_flag_until_a_decision() -> None:
    applicant = identity_valid()
    history = list(events_of(applicant))
    versions = []
    for attempt in range(1, REPEATED_DELAYS + 2):
        applicant.delay_verification(Stage.EDUCATION, "education", attempt, NOW)
        history += events_of(applicant)
        versions.append(history[-1].originator_version)
        flags = review_flags(history)
        assert (Stage.EDUCATION in flags) is (attempt >= REPEATED_DELAYS)
    flag = review_flags(history)[Stage.EDUCATION]
    assert flag.decision_version == versions[REPEATED_DELAYS - 1]  # the first flagged delay
    assert flag.evidence["attempts"] == REPEATED_DELAYS + 1
    applicant.record_education_check(passed(NOT_IN_SCHOOL, enrolled=False))
    assert review_flags([*history, *events_of(applicant)]) == {}


def test_an_override_can_decide_a_long_delayed_stage() -> None:
    applicant = identity_valid()
    applicant.delay_verification(Stage.EDUCATION, "education", 3, NOW)
    applicant.override_decision(Stage.EDUCATION, StageStatus.PASSED, 5, "rina", WHY, "dewi")
    assert applicant.stage(Stage.EDUCATION).status is StageStatus.PASSED
    assert Step.CHECK_EDUCATION not in applicant.outstanding_work()  # no more retries


def test_a_case_refused_for_good_waits_for_no_reviewer_but_on_its_refusal() -> None:
    applicant = identity_valid()
    applicant.upload_selfie(uuid4(), "ab" * 32, "image/jpeg", 640, 480)
    applicant.record_face_check(1, failed(Rule("face.match", 1), "review_band"), review=True)
    events = events_of(applicant)
    assert set(review_flags(events)) == {Stage.FACE}
    applicant.record_education_check(failed(NOT_IN_SCHOOL, "enrolled_student"))
    events += events_of(applicant)
    assert review_flags(events) == {}  # its selfie is not worth a reviewer's time now
    applicant.dispute_decision(Stage.EDUCATION, applicant.version, "I left school in 2019.")
    events += events_of(applicant)
    assert set(review_flags(events)) == {Stage.EDUCATION, Stage.FACE}
