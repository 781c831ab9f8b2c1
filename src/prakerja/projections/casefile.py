"""One applicant's verification state, folded from events without building the aggregate.

Read models see a page of decoded payload fields, not aggregates, so they keep this
compact copy of the facts :class:`~prakerja.domain.applicant.Applicant` holds: the status
of each stage, the counters that say whether automation or the applicant is awaited,
and the membership. What is derived from them (overall status, next actions, whether
the case is closed) is asked of :mod:`prakerja.domain.status`, as the aggregate and the
API ask it. Each handler mirrors the ``apply`` of the event it folds
(:mod:`prakerja.domain.applicant_events`, :mod:`prakerja.domain.membership_events`);
``tests/projections/test_casefile.py`` replays synthetic histories through both and
compares, so the two cannot drift apart silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec

from prakerja.domain import status as status_rules
from prakerja.domain.applicant import Applicant
from prakerja.domain.nik import Nik
from prakerja.domain.stages import VERIFICATION_ORDER, Stage, Step
from prakerja.projections.decoding import Decoded, Field
from prakerja.projections.shapes import REASON_CODES

PASSED, FAILED, PENDING, DELAYED = "passed", "failed", "pending", "delayed"
IN_REVIEW, NOT_STARTED = "in_review", "not_started"
_OPEN = frozenset({PENDING, DELAYED})
_ORDER = tuple(stage.value for stage in VERIFICATION_ORDER)
_AUTOMATED = {
    Stage.IDENTITY.value: Step.VALIDATE_NIK.value,
    Stage.EDUCATION.value: Step.CHECK_EDUCATION.value,
    Stage.EXCLUSION.value: Step.CHECK_EXCLUSIONS.value,
    Stage.FACE.value: Step.CHECK_FACE.value,
}


class Delay(msgspec.Struct, omit_defaults=True):
    fault: str
    attempts: int
    retry_after: dt.datetime


class Waiting(msgspec.Struct, frozen=True):
    """One open stage: which step is owed, by whom, since when."""

    stage: str
    step: str
    waiting_on: str  # "automation" or "applicant"
    status: str
    since: dt.datetime
    attempts: int = 0
    retry_after: dt.datetime | None = None
    fault: str | None = None


class CaseFile(msgspec.Struct, omit_defaults=True):
    """What the read models keep of one applicant (no personal data beyond a masked NIK)."""

    registered_at: dt.datetime | None = None
    version: int = 0
    stages: dict[str, str] = msgspec.field(default_factory=dict)
    reasons: dict[str, list[str]] = msgspec.field(default_factory=dict)
    since: dict[str, dt.datetime] = msgspec.field(default_factory=dict)
    delays: dict[str, Delay] = msgspec.field(default_factory=dict)
    emails_sent: int = 0
    emails_requested: int = 0
    otp_sequence: int = 0
    otp_sent: int = 0
    selfie: bool = False
    nik_masked: str | None = None
    province: str | None = None
    membership: str = "none"
    wave_id: UUID | None = None
    wave_number: int | None = None
    sk_number: str | None = None

    # ----------------------------------------------------------------- queries
    #
    # Each query can be given ``statuses()`` computed once: a flush asks them all for
    # every applicant it writes.

    def status_of(self, stage: str) -> str:
        return self.stages.get(stage, NOT_STARTED)

    def statuses(self) -> list[str]:
        """Each stage's status, in verification order."""
        get = self.stages.get
        return [get(stage, NOT_STARTED) for stage in _ORDER]

    @property
    def is_verified(self) -> bool:
        return status_rules.is_verified(self.statuses())

    @property
    def overall_status(self) -> str:
        return self.overall_status_of(self.statuses())

    def is_closed(self, statuses: list[str]) -> bool:
        """As :func:`prakerja.domain.status.is_closed` says it (for the aggregate too)."""
        return status_rules.is_closed(statuses, self.membership)

    def overall_status_of(self, statuses: list[str]) -> str:
        """As :func:`prakerja.domain.status.overall_status` says it (for the API too)."""
        return status_rules.overall_status(statuses, self.membership)

    def next_actions(self, statuses: list[str] | None = None) -> list[str]:
        return status_rules.next_actions(statuses or self.statuses(), self.membership)

    def current_reasons(self, statuses: list[str] | None = None) -> list[str]:
        """Reason codes of stages that failed, went to review or are delayed, in order."""
        codes: list[str] = []
        for stage, status in zip(_ORDER, statuses or self.statuses(), strict=True):
            if status in (FAILED, IN_REVIEW):
                codes.extend(self.reasons.get(stage, ()))
            elif status == DELAYED:
                codes.append("technical_delay")
        return list(dict.fromkeys(codes)) if len(codes) > 1 else codes

    def waiting(self, statuses: list[str] | None = None) -> list[Waiting]:
        """Every open stage, and whether automation or the applicant is owed the next step.

        A closed case waits only on its eligibility checks under way, as the aggregate's
        ``outstanding_work`` says: its other stages may read open, but nobody owes them.
        """
        statuses = statuses or self.statuses()
        closed = self.is_closed(statuses)
        rows = []
        for index, (stage, status) in enumerate(zip(_ORDER, statuses, strict=True)):
            if status not in _OPEN or (closed and index not in status_rules.FINAL_POSITIONS):
                continue
            if stage == "email":
                owed = self.emails_sent < self.emails_requested
                step = Step.SEND_EMAIL.value if owed else "verify_email"
            elif stage == "phone":
                owed = self.otp_sent < self.otp_sequence
                step = Step.SEND_OTP.value if owed else "enter_otp"
            else:
                owed, step = True, _AUTOMATED[stage]
            delay = self.delays.get(stage) if status == DELAYED else None
            rows.append(
                Waiting(
                    stage=stage,
                    step=step,
                    waiting_on="automation" if owed else "applicant",
                    status=status,
                    since=self.since[stage],
                    attempts=delay.attempts if delay else 0,
                    retry_after=delay.retry_after if delay else None,
                    fault=delay.fault if delay else None,
                )
            )
        return rows

    # ------------------------------------------------------------------ folding

    def apply(self, event: Decoded) -> tuple[str, ...]:
        """Fold one event in; returns the stages it touched."""
        kind = event.kind
        handler = _HANDLERS.get(kind)
        touched = handler(self, event.data) if handler else ()
        self.version = event.originator_version
        if touched:
            stages, since, moment = self.stages, self.since, event.timestamp
            keep = kind is Applicant.VerificationDelayed
            for stage in touched:
                if stages.get(stage) in _OPEN:
                    if not keep or stage not in since:
                        since[stage] = moment
                else:
                    since.pop(stage, None)
        if kind is Applicant.Registered:
            self.registered_at = event.timestamp
        return touched

    def _set(self, stage: str, status: str, reasons: list[dict[str, Any]] | None = None) -> None:
        self.stages[stage] = status
        codes = [str(reason["code"]) for reason in reasons or ()]
        if codes:
            self.reasons[stage] = codes
        else:
            self.reasons.pop(stage, None)
        self.delays.pop(stage, None)


Handler = Callable[[CaseFile, Any], tuple[str, ...]]


def _registered(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.stages = {stage: NOT_STARTED for stage in _ORDER}
    case.stages["email"] = PENDING
    case.emails_sent, case.emails_requested = 0, 1
    return ("email",)


def _email_sent(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.emails_sent = data.attempt
    return ("email",)


def _email_verified(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("email", PASSED)
    return ("email",)


def _email_bounced(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("email", FAILED, data.reasons)
    return ("email",)


def _email_changed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.emails_requested += 1
    case._set("email", PENDING)
    return ("email",)


def _email_resend(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.emails_requested = data.attempt
    return ("email",)


def _identity_submitted(case: CaseFile, data: Any) -> tuple[str, ...]:
    nik = Nik(data.nik)  # recorded only once parsed: its digits, not parsed again
    case.nik_masked, case.province = nik.masked, nik.province_code
    case._set("identity", PENDING)
    return ("identity",)


def _nik_validated(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("identity", PASSED)
    case._set("education", PENDING)
    case._set("exclusion", PENDING)
    if case.selfie:
        case.stages["face"] = PENDING  # the aggregate keeps the face record, status only
        return ("identity", "education", "exclusion", "face")
    return ("identity", "education", "exclusion")


def _nik_rejected(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("identity", FAILED, data.reasons)
    return ("identity",)


def _education_checked(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("education", PASSED if data.passed else FAILED, data.reasons)
    return ("education",)


def _exclusion_checked(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("exclusion", PASSED if data.passed else FAILED, data.reasons)
    return ("exclusion",)


def _selfie_uploaded(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.selfie = True
    case._set("face", NOT_STARTED if case.status_of("identity") != PASSED else PENDING)
    return ("face",)


def _face_matched(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("face", PASSED)
    return ("face",)


def _face_failed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("face", FAILED, data.reasons)
    return ("face",)


def _face_review(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("face", IN_REVIEW, data.reasons)
    return ("face",)


def _otp_requested(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.otp_sequence = data.sequence
    case._set("phone", PENDING)
    return ("phone",)


def _otp_sent(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.otp_sent = data.sequence
    return ("phone",)


def _phone_verified(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set("phone", PASSED)
    return ("phone",)


def _delayed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.stages[data.stage] = DELAYED
    case.delays[data.stage] = Delay(data.fault, data.attempts, data.retry_after)
    return (data.stage,)


def _disputed(case: CaseFile, data: Any) -> tuple[str, ...]:
    case.stages[data.stage] = IN_REVIEW  # the aggregate keeps the rejection's reasons
    return (data.stage,)


def _overridden(case: CaseFile, data: Any) -> tuple[str, ...]:
    case._set(data.stage, data.outcome)
    if data.stage == "identity" and data.outcome == PASSED:
        case._set("education", PENDING)
        case._set("exclusion", PENDING)
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


_HANDLERS: dict[type, Handler] = {
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

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(CaseFile)


def encode_case(case: CaseFile) -> str:
    return _ENCODER.encode(case).decode()


def decode_case(raw: str | bytes) -> CaseFile:
    return _DECODER.decode(raw)
