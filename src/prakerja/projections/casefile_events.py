"""How each event of an applicant's history changes the case file.

Each handler mirrors the ``apply`` of the event it folds
(:mod:`prakerja.domain.applicant_events`, :mod:`prakerja.domain.membership_events`) on
the compact :class:`~prakerja.projections.casefile.CaseFile`; :data:`CASE_FIELDS` names
the payload fields each one reads, so a page is decoded no further than needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prakerja.domain.applicant import Applicant
from prakerja.domain.nik import Nik
from prakerja.projections.casefile import (
    DELAYED,
    FAILED,
    IN_REVIEW,
    NOT_STARTED,
    OPEN_STATUSES,
    PASSED,
    PENDING,
    STAGE_ORDER,
    CaseFile,
    Delay,
)
from prakerja.projections.decoding import Decoded, Field
from prakerja.projections.shapes import REASON_CODES

Handler = Callable[[CaseFile, Any], tuple[str, ...]]


def _registered(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.stages = {stage: NOT_STARTED for stage in STAGE_ORDER}
    case.stages["email"] = PENDING
    case.emails_sent, case.emails_requested = 0, 1
    return ("email",)


def _email_sent(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.emails_sent = data.attempt
    return ("email",)


def _email_verified(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("email", PASSED)
    return ("email",)


def _email_bounced(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("email", FAILED, data.reasons)
    return ("email",)


def _email_changed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.emails_requested += 1
    case.set_stage("email", PENDING)
    return ("email",)


def _email_resend(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.emails_requested = data.attempt
    return ("email",)


def _identity_submitted(case: CaseFile, data: Any) -> tuple[str, ...]:
    nik = Nik(data.nik)  # recorded only once parsed: its digits, not parsed again
    case.nik_masked, case.province = nik.masked, nik.province_code
    case.set_stage("identity", PENDING)
    return ("identity",)


def _nik_validated(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("identity", PASSED)
    case.set_stage("education", PENDING)
    case.set_stage("exclusion", PENDING)
    if case.selfie:
        case.stages["face"] = PENDING  # the aggregate keeps the face record, status only
        return ("identity", "education", "exclusion", "face")
    return ("identity", "education", "exclusion")


def _nik_rejected(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("identity", FAILED, data.reasons)
    return ("identity",)


def _education_checked(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("education", PASSED if data.passed else FAILED, data.reasons)
    return ("education",)


def _exclusion_checked(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("exclusion", PASSED if data.passed else FAILED, data.reasons)
    return ("exclusion",)


def _selfie_uploaded(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.selfie = True
    case.set_stage("face", NOT_STARTED if case.status_of("identity") != PASSED else PENDING)
    return ("face",)


def _face_matched(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("face", PASSED)
    return ("face",)


def _face_failed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("face", FAILED, data.reasons)
    return ("face",)


def _face_review(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("face", IN_REVIEW, data.reasons)
    return ("face",)


def _otp_requested(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.otp_sequence = data.sequence
    case.set_stage("phone", PENDING)
    return ("phone",)


def _otp_sent(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.otp_sent = data.sequence
    return ("phone",)


def _phone_verified(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage("phone", PASSED)
    return ("phone",)


def _delayed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.stages[data.stage] = DELAYED
    case.delays[data.stage] = Delay(data.fault, data.attempts, data.retry_after)
    return (data.stage,)


def _disputed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.stages[data.stage] = IN_REVIEW  # the aggregate keeps the rejection's reasons
    return (data.stage,)


def _overridden(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.set_stage(data.stage, data.outcome)
    if data.stage == "identity" and data.outcome == PASSED:
        case.set_stage("education", PENDING)
        case.set_stage("exclusion", PENDING)
        return (data.stage, "education", "exclusion")
    return (data.stage,)


def _membership(status: str) -> Handler:
    def handler(case: CaseFile, data: Any) -> tuple[str, ...]:
        case.membership = status
        return ()

    return handler


def _joined(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.membership, case.wave_id, case.wave_number = "in_wave", data.wave_id, data.wave_number
    return ()


def _sk_issued(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.membership, case.sk_number = "participant", data.sk_number
    return ()


def _training_purchased(case: CaseFile, data: Any) -> tuple[str, ...]:
    if case.membership != "trained":
        case.membership = "in_training"
    return ()


def _training_completed(case: CaseFile, data: Any) -> tuple[str, ...]:
    if data.review_given:
        case.membership = "trained"
    return ()


HANDLERS: dict[type, Handler] = {
    Applicant.Registered: _registered,
    Applicant.EmailVerificationSent: _email_sent,
    Applicant.EmailVerified: _email_verified,
    Applicant.EmailBounced: _email_bounced,
    Applicant.EmailChanged: _email_changed,
    Applicant.EmailResendRequested: _email_resend,
    Applicant.IdentitySubmitted: _identity_submitted,
    Applicant.NikValidated: _nik_validated,
    Applicant.NikRejected: _nik_rejected,
    Applicant.EducationChecked: _education_checked,
    Applicant.ExclusionChecked: _exclusion_checked,
    Applicant.SelfieUploaded: _selfie_uploaded,
    Applicant.FaceMatched: _face_matched,
    Applicant.FaceMatchFailed: _face_failed,
    Applicant.FaceReviewRequested: _face_review,
    Applicant.OtpRequested: _otp_requested,
    Applicant.OtpSent: _otp_sent,
    Applicant.PhoneVerified: _phone_verified,
    Applicant.VerificationDelayed: _delayed,
    Applicant.DecisionOverridden: _overridden,
    Applicant.DecisionDisputed: _disputed,
    Applicant.JoinedBatch: _joined,
    Applicant.NotSelected: _membership("not_selected"),
    Applicant.SKIssued: _sk_issued,
    Applicant.TrainingPurchased: _training_purchased,
    Applicant.TrainingCompleted: _training_completed,
    Applicant.TrainingReviewed: _membership("trained"),
    Applicant.MembershipRevoked: _membership("revoked"),
}

CODES = ("reasons", REASON_CODES)

CASE_FIELDS: dict[type, tuple[Field, ...]] = {
    Applicant.Registered: (),
    Applicant.EmailVerificationSent: ("attempt",),
    Applicant.EmailVerified: (),
    Applicant.EmailBounced: (CODES,),
    Applicant.EmailChanged: (),
    Applicant.EmailResendRequested: ("attempt",),
    Applicant.IdentitySubmitted: ("nik",),
    Applicant.NikValidated: (),
    Applicant.NikRejected: (CODES,),
    Applicant.EducationChecked: ("passed", CODES),
    Applicant.ExclusionChecked: ("passed", CODES),
    Applicant.SelfieUploaded: (),
    Applicant.FaceMatched: (),
    Applicant.FaceMatchFailed: (CODES,),
    Applicant.FaceReviewRequested: (CODES,),
    Applicant.OtpRequested: ("sequence",),
    Applicant.OtpSent: ("sequence",),
    Applicant.PhoneVerified: (),
    Applicant.VerificationDelayed: ("stage", "fault", "attempts", "retry_after"),
    Applicant.DecisionOverridden: ("stage", "outcome"),
    Applicant.DecisionDisputed: ("stage",),
    Applicant.JoinedBatch: ("wave_id", "wave_number"),
    Applicant.NotSelected: (),
    Applicant.SKIssued: ("sk_number",),
    Applicant.TrainingPurchased: (),
    Applicant.TrainingCompleted: ("review_given",),
    Applicant.TrainingReviewed: (),
    Applicant.MembershipRevoked: (),
}
"""The payload fields the case file reads; the full NIK is read only to mask it."""


def fold(case: CaseFile, event: Decoded) -> tuple[str, ...]:
    """Fold one event into ``case``; returns the stages it touched."""
    kind = event.kind
    handler = HANDLERS.get(kind)
    touched = handler(case, event.data) if handler else ()
    case.version = event.originator_version
    if touched:
        stages, since, moment = case.stages, case.since, event.timestamp
        keep = kind is Applicant.VerificationDelayed
        for stage in touched:
            if stages.get(stage) in OPEN_STATUSES:
                if not keep or stage not in since:
                    since[stage] = moment
            else:
                since.pop(stage, None)
    if kind is Applicant.Registered:
        case.registered_at = event.timestamp
    return touched
