"""The aggregate's life cycle: allowed and refused transitions, and what events record."""

from __future__ import annotations

import datetime as dt
from uuid import uuid4

import pytest

from prakerja.domain.applicant import Applicant
from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.errors import InvalidInput, TransitionNotAllowed
from prakerja.domain.identity import Identity
from prakerja.domain.programme import MembershipStatus
from prakerja.domain.rules import (
    EMAIL_OWNERSHIP,
    MINIMUM_AGE_YEARS,
    NOT_EXCLUDED,
    NOT_IN_SCHOOL,
    PHONE_OTP,
    REGISTRY_MATCH,
    Rule,
)
from prakerja.domain.stages import Stage, StageStatus

NOW = dt.datetime(2020, 4, 11, 9, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
FACE_RULE = Rule("face.match", 1)


def passed(rule: Rule, **evidence: object) -> Decision:
    return Decision(passed=True, rules=(rule,), evidence=dict(evidence))


def failed(rule: Rule, code: str, **evidence: object) -> Decision:
    return Decision(passed=False, rules=(rule,), evidence=dict(evidence), reasons=(Reason(code),))


def identity(nik: str = "3201015507900001", born: dt.date = dt.date(1990, 7, 15)) -> Identity:
    parsed, _ = Identity.parse(
        nik=nik,
        kk_number="3201010101010001",
        full_name="Siti Aminah",
        birth_date=born,
        mother_maiden_name="Sri",
    )
    return parsed


def email_verified() -> Applicant:
    applicant = Applicant("siti@example.com", "hash", "id")
    applicant.record_email_sent(1, "m-1")
    applicant.verify_email(1, passed(EMAIL_OWNERSHIP))
    return applicant


def identity_valid() -> Applicant:
    applicant = email_verified()
    applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    applicant.record_identity_check(1, passed(REGISTRY_MATCH, found=True), "photo-1")
    return applicant


def fully_verified() -> Applicant:
    applicant = identity_valid()
    applicant.record_education_check(passed(NOT_IN_SCHOOL, enrolled=False))
    applicant.record_exclusion_check(passed(NOT_EXCLUDED, lists=[]))
    applicant.upload_selfie(uuid4(), "ab" * 32, "image/jpeg", 640, 480)
    applicant.record_face_check(1, passed(FACE_RULE, distance=0.3))
    applicant.request_otp("+6281234567890", NOW + dt.timedelta(minutes=5))
    applicant.verify_phone(NOW, 5, passed(PHONE_OTP))
    return applicant


def test_registration_waits_for_the_email() -> None:
    applicant = Applicant("siti@example.com", "hash", "id")
    assert applicant.stage(Stage.EMAIL).status is StageStatus.PENDING
    assert applicant.open_stages() == [Stage.EMAIL]
    assert [type(e).__name__ for e in applicant.collect_events()] == ["Registered"]


def test_email_verified_once() -> None:
    applicant = email_verified()
    assert applicant.stage(Stage.EMAIL).status is StageStatus.PASSED
    with pytest.raises(TransitionNotAllowed) as caught:
        applicant.verify_email(1, passed(EMAIL_OWNERSHIP))
    assert caught.value.code == "email_already_verified"


def test_identity_needs_a_verified_email() -> None:
    applicant = Applicant("siti@example.com", "hash", "id")
    with pytest.raises(TransitionNotAllowed) as caught:
        applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    assert caught.value.code == "email_not_verified"


def test_a_rejected_nik_can_be_corrected_without_starting_over() -> None:
    applicant = email_verified()
    applicant.submit_identity(
        identity("3201015507900002"), nik_agrees_with_birth_date=True, today=TODAY
    )
    applicant.record_identity_check(1, failed(REGISTRY_MATCH, "nik_not_found", found=False), None)
    assert applicant.stage(Stage.IDENTITY).status is StageStatus.FAILED
    assert applicant.stage(Stage.IDENTITY).reasons == ({"code": "nik_not_found"},)

    applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    assert applicant.identity_submissions == 2
    assert applicant.stage(Stage.EMAIL).status is StageStatus.PASSED  # kept
    with pytest.raises(TransitionNotAllowed) as stale:
        applicant.record_identity_check(1, passed(REGISTRY_MATCH), "photo-1")
    assert stale.value.code == "stale_attempt"
    applicant.record_identity_check(2, passed(REGISTRY_MATCH), "photo-1")
    assert applicant.open_stages() == [Stage.EDUCATION, Stage.EXCLUSION]


def test_a_declared_birth_date_under_the_minimum_age_is_refused_at_once() -> None:
    applicant = email_verified()
    eighteen_tomorrow = identity(born=dt.date(2002, 4, 12))
    with pytest.raises(InvalidInput) as young:
        applicant.submit_identity(eighteen_tomorrow, nik_agrees_with_birth_date=False, today=TODAY)
    assert young.value.code == "under_minimum_age"
    assert young.value.extra == {"minimum_age": MINIMUM_AGE_YEARS}
    assert applicant.identity_submissions == 0 and applicant.outstanding_work() == []
    leap_day = identity(born=dt.date(2000, 2, 29))  # 18 on 1 March 2018, not on 28 February
    with pytest.raises(InvalidInput):
        applicant.submit_identity(
            leap_day, nik_agrees_with_birth_date=False, today=dt.date(2018, 2, 28)
        )
    applicant.submit_identity(leap_day, nik_agrees_with_birth_date=False, today=dt.date(2018, 3, 1))
    eighteen_today = identity(born=dt.date(2002, 4, 11))
    applicant.submit_identity(eighteen_today, nik_agrees_with_birth_date=False, today=TODAY)
    assert applicant.stage(Stage.IDENTITY).status is StageStatus.PENDING


def test_validated_identity_is_locked() -> None:
    applicant = identity_valid()
    with pytest.raises(TransitionNotAllowed) as caught:
        applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    assert caught.value.code == "identity_locked"


def test_a_decision_is_recorded_once() -> None:
    applicant = identity_valid()
    applicant.record_education_check(passed(NOT_IN_SCHOOL))
    with pytest.raises(TransitionNotAllowed) as caught:
        applicant.record_education_check(passed(NOT_IN_SCHOOL))
    assert caught.value.code == "stage_not_open"


def test_a_student_is_finally_rejected() -> None:
    applicant = identity_valid()
    applicant.record_education_check(failed(NOT_IN_SCHOOL, "enrolled_student", level="university"))
    assert applicant.final_rejection is Stage.EDUCATION
    recorded = applicant.collect_events()[-1]
    assert isinstance(recorded, Applicant.EducationChecked)
    assert recorded.rules == [NOT_IN_SCHOOL.ref]
    assert recorded.evidence == {"level": "university"}


def test_a_technical_delay_is_not_a_rejection() -> None:
    applicant = identity_valid()
    applicant.delay_verification(Stage.EDUCATION, "timeout", 5, NOW + dt.timedelta(minutes=10))
    record = applicant.stage(Stage.EDUCATION)
    assert record.status is StageStatus.DELAYED and record.is_open
    assert applicant.final_rejection is None
    applicant.record_education_check(passed(NOT_IN_SCHOOL))
    assert applicant.stage(Stage.EDUCATION).status is StageStatus.PASSED


def test_a_new_selfie_reruns_only_the_face_layer() -> None:
    applicant = identity_valid()
    applicant.record_education_check(passed(NOT_IN_SCHOOL))
    applicant.record_exclusion_check(passed(NOT_EXCLUDED))
    applicant.upload_selfie(uuid4(), "aa" * 32, "image/jpeg", 640, 480)
    applicant.record_face_check(1, failed(FACE_RULE, "glasses"))
    before = dict(applicant.stages)
    applicant.upload_selfie(uuid4(), "bb" * 32, "image/jpeg", 640, 480)
    assert applicant.open_stages() == [Stage.FACE]
    for stage in (Stage.EMAIL, Stage.IDENTITY, Stage.EDUCATION, Stage.EXCLUSION):
        assert applicant.stages[stage] == before[stage]
    with pytest.raises(TransitionNotAllowed):
        applicant.record_face_check(1, passed(FACE_RULE))  # the replaced selfie
    applicant.record_face_check(2, passed(FACE_RULE))
    assert applicant.stage(Stage.FACE).status is StageStatus.PASSED


def test_selfie_before_registry_check_waits_for_it() -> None:
    applicant = email_verified()
    applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    applicant.upload_selfie(uuid4(), "aa" * 32, "image/jpeg", 640, 480)
    assert Stage.FACE not in applicant.open_stages()
    applicant.record_identity_check(1, passed(REGISTRY_MATCH), "photo-1")
    assert Stage.FACE in applicant.open_stages()


def test_otp_attempts_expiry_and_replacement() -> None:
    applicant = email_verified()
    applicant.request_otp("+6281234567890", NOW + dt.timedelta(minutes=5))
    for _ in range(3):
        applicant.record_otp_failure(NOW, max_attempts=3)
    with pytest.raises(TransitionNotAllowed) as exhausted:
        applicant.check_otp_allowed(NOW, max_attempts=3)
    assert exhausted.value.code == "otp_attempts_exhausted"
    assert applicant.request_otp("+6281234567890", NOW + dt.timedelta(minutes=5)) == 2
    applicant.check_otp_allowed(NOW, max_attempts=3)
    with pytest.raises(TransitionNotAllowed) as expired:
        applicant.check_otp_allowed(NOW + dt.timedelta(minutes=6), max_attempts=3)
    assert expired.value.code == "otp_expired"
    assert applicant.verify_phone(NOW, 3, passed(PHONE_OTP)) == "+6281234567890"


def test_verified_applicant_joins_one_wave_and_revoked_never_rejoins() -> None:
    applicant = fully_verified()
    assert applicant.is_verified
    wave = uuid4()
    applicant.join_wave(wave, 1, 80)
    with pytest.raises(TransitionNotAllowed) as twice:
        applicant.join_wave(uuid4(), 2, 80)
    assert twice.value.code == "already_in_wave"
    applicant.issue_sk(wave, "SK-1/2020", dt.date(2020, 4, 17), 1_000_000)
    applicant.revoke_membership("no_training_within_30_days", "programme.first-training@1", {})
    assert applicant.membership.status is MembershipStatus.REVOKED
    with pytest.raises(TransitionNotAllowed) as revoked:
        applicant.join_wave(uuid4(), 3, 80)
    assert revoked.value.code == "membership_revoked"


def test_not_yet_verified_cannot_join() -> None:
    with pytest.raises(TransitionNotAllowed) as caught:
        identity_valid().join_wave(uuid4(), 1, 80)
    assert caught.value.code == "not_verified"


def test_an_override_needs_a_justification_and_keeps_history() -> None:
    applicant = identity_valid()
    applicant.record_education_check(failed(NOT_IN_SCHOOL, "enrolled_student"))
    with pytest.raises(TransitionNotAllowed):
        applicant.override_decision(
            Stage.EDUCATION, StageStatus.PASSED, applicant.version, "rina", "  ", "dewi"
        )
    applicant.override_decision(
        Stage.EDUCATION,
        StageStatus.PASSED,
        applicant.version,
        "rina",
        "Graduated in 2019; registry is stale.",
        "dewi",
    )
    assert applicant.stage(Stage.EDUCATION).status is StageStatus.PASSED
    names = [type(e).__name__ for e in applicant.collect_events()]
    assert names[-2:] == ["EducationChecked", "DecisionOverridden"]


def test_replaying_the_events_gives_the_same_state() -> None:
    applicant = fully_verified()
    events = applicant.collect_events()
    replayed = None
    for recorded in events:
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, Applicant)
    assert replayed.stages == applicant.stages
    assert replayed.phone == applicant.phone and replayed.identity == applicant.identity
