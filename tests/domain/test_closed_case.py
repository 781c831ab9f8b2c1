"""A final case takes no more commands from its applicant and owes no more work.

Final: a check the applicant cannot fix failed (education, exclusions), or the
membership was revoked. A refusal the applicant can correct (a NIK, a selfie, an
email address) leaves the case open; a dispute of the rejection reopens it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from uuid import uuid4

import pytest

from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import CaseClosed
from prakerja.domain.rules import NOT_EXCLUDED, NOT_IN_SCHOOL, PHONE_OTP, REGISTRY_MATCH
from prakerja.domain.stages import Stage, StageStatus, Step
from tests.domain.test_applicant import (
    FACE_RULE,
    NOW,
    TODAY,
    email_verified,
    failed,
    fully_verified,
    identity,
    identity_valid,
    passed,
)

LATER = NOW + dt.timedelta(minutes=5)

COMMANDS: dict[str, Callable[[Applicant], object]] = {
    "submit_identity": lambda a: a.submit_identity(
        identity(), nik_agrees_with_birth_date=True, today=TODAY
    ),
    "upload_selfie": lambda a: a.upload_selfie(uuid4(), "cd" * 32, "image/jpeg", 640, 480),
    "request_otp": lambda a: a.request_otp("+6281234567891", LATER),
    "enter_otp": lambda a: a.check_otp_allowed(NOW, 5),
    "record_wrong_otp": lambda a: a.record_otp_failure(NOW, 5),
    "verify_phone": lambda a: a.verify_phone(NOW, 5, passed(PHONE_OTP)),
    "join_wave": lambda a: a.join_wave(uuid4(), 2, 80),
    "change_email": lambda a: a.change_email("other@example.com"),
    "resend_email": lambda a: a.request_email_resend(),
}


def rejected_with_work_pending() -> Applicant:
    """A student refused for good while a selfie and a phone code were still on their way."""
    applicant = email_verified()
    applicant.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    applicant.upload_selfie(uuid4(), "ab" * 32, "image/jpeg", 640, 480)
    applicant.request_otp("+6281234567890", LATER)
    applicant.record_identity_check(1, passed(REGISTRY_MATCH), "photo-1")
    applicant.record_education_check(failed(NOT_IN_SCHOOL, "enrolled_student"))
    return applicant


@pytest.mark.parametrize("command", COMMANDS)
def test_every_applicant_command_is_refused_once_finally_rejected(command: str) -> None:
    applicant = rejected_with_work_pending()
    version = applicant.version
    with pytest.raises(CaseClosed) as refused:
        COMMANDS[command](applicant)
    assert refused.value.code == "case_closed"
    assert refused.value.extra == {"stage": "education"}
    assert applicant.version == version  # nothing recorded


@pytest.mark.parametrize("command", COMMANDS)
def test_every_applicant_command_is_refused_once_the_membership_is_revoked(command: str) -> None:
    applicant = fully_verified()
    wave = uuid4()
    applicant.join_wave(wave, 1, 80)
    applicant.issue_sk(wave, "SK-1/2020", dt.date(2020, 4, 17), 1_000_000)
    applicant.revoke_membership("no_training_within_30_days", "programme.first-training@1", {})
    with pytest.raises(CaseClosed) as refused:
        COMMANDS[command](applicant)
    assert refused.value.code == "membership_revoked"


def test_a_final_case_sends_nothing_and_compares_no_selfie_even_if_asked_before() -> None:
    applicant = rejected_with_work_pending()
    assert applicant.is_closed
    assert applicant.stage(Stage.FACE).is_open
    assert applicant.otp_sent_sequence < applicant.otp_sequence
    # The other eligibility check under way still ends, so the refusal gives every reason.
    assert applicant.outstanding_work() == [Step.CHECK_EXCLUSIONS]
    applicant.record_exclusion_check(failed(NOT_EXCLUDED, "on_exclusion_list"))
    assert applicant.outstanding_work() == []


def test_refusals_the_applicant_can_correct_leave_the_case_open() -> None:
    nik_refused = email_verified()
    nik_refused.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    nik_refused.record_identity_check(1, failed(REGISTRY_MATCH, "nik_not_found"), None)
    assert not nik_refused.is_closed
    nik_refused.submit_identity(identity(), nik_agrees_with_birth_date=True, today=TODAY)
    nik_refused.request_otp("+6281234567890", LATER)
    assert Step.SEND_OTP in nik_refused.outstanding_work()

    face_failed = identity_valid()
    face_failed.record_education_check(passed(NOT_IN_SCHOOL))
    face_failed.record_exclusion_check(passed(NOT_EXCLUDED))
    face_failed.upload_selfie(uuid4(), "aa" * 32, "image/jpeg", 640, 480)
    face_failed.record_face_check(1, failed(FACE_RULE, "blurry"))
    assert not face_failed.is_closed
    face_failed.upload_selfie(uuid4(), "bb" * 32, "image/jpeg", 640, 480)
    assert face_failed.outstanding_work() == [Step.CHECK_FACE]


def test_a_dispute_reopens_the_case_and_a_reviewer_can_decide_it() -> None:
    applicant = rejected_with_work_pending()
    applicant.dispute_decision(Stage.EDUCATION, applicant.version, "I left school in 2019.")
    assert not applicant.is_closed
    assert set(applicant.outstanding_work()) == {
        Step.CHECK_EXCLUSIONS,
        Step.CHECK_FACE,
        Step.SEND_OTP,
    }
    applicant.override_decision(
        Stage.EDUCATION, StageStatus.FAILED, applicant.version, "rina", "Still enrolled.", None
    )
    assert applicant.is_closed
    applicant.override_decision(
        Stage.EDUCATION, StageStatus.PASSED, applicant.version, "dewi", "Graduated.", "rina"
    )
    assert not applicant.is_closed
    applicant.request_otp("+6281234567890", LATER)
