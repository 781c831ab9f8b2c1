"""The facts of an applicant's verification, each with the state change it makes.

Each class is nested on :class:`~prakerja.domain.applicant.Applicant` under its own
name, and that nested class is the one recorded: topics stay
``prakerja.domain.applicant:Applicant.<Name>`` whatever module defines the fields.
``apply`` only assigns state (it re-runs on every replay); everything it needs is in the
event. Events that record a decision expose it as :attr:`decision` (see
:mod:`prakerja.domain.decisions`); their stored fields are unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from prakerja.domain.applicant_state import ApplicantState
from prakerja.domain.decisions import DecisionEvent, RecordedDecision
from prakerja.domain.identity import Identity
from prakerja.domain.stages import Stage, StageRecord, StageStatus

MANUAL_OVERRIDE = "manual-override"
"""The rule recorded on a stage a reviewer decided."""


def _decided(
    status: StageStatus, reasons: list[dict[str, Any]], rules: list[str], attempt: int = 0
) -> StageRecord:
    return StageRecord(status, tuple(reasons), rules[0], attempt)


# ------------------------------------------------------------------- email


class EmailVerificationSent(Aggregate.Event):
    attempt: int
    message_id: str

    def apply(self, applicant: ApplicantState) -> None:
        applicant.emails_sent = self.attempt


class EmailVerified(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.PASSED

    attempt: int
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.stages[Stage.EMAIL] = StageRecord(
            StageStatus.PASSED, rule=self.rules[0], attempt=self.attempt
        )


class EmailBounced(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.FAILED

    attempt: int
    reasons: list[dict[str, Any]]
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.stages[Stage.EMAIL] = _decided(
            StageStatus.FAILED, self.reasons, self.rules, self.attempt
        )


class EmailChanged(Aggregate.Event):
    email: str
    previous: str

    def apply(self, applicant: ApplicantState) -> None:
        applicant.email = self.email
        applicant.emails_requested += 1
        applicant.stages[Stage.EMAIL] = StageRecord(StageStatus.PENDING)


class EmailResendRequested(Aggregate.Event):
    attempt: int

    def apply(self, applicant: ApplicantState) -> None:
        applicant.emails_requested = self.attempt


# ---------------------------------------------------------------- identity


class IdentitySubmitted(Aggregate.Event):
    submission: int
    nik: str
    kk_number: str
    full_name: str
    birth_date: dt.date
    mother_maiden_name: str
    nik_agrees_with_birth_date: bool

    def apply(self, applicant: ApplicantState) -> None:
        applicant.identity = Identity(
            self.nik, self.kk_number, self.full_name, self.birth_date, self.mother_maiden_name
        )
        applicant.identity_submissions = self.submission
        applicant.stages[Stage.IDENTITY] = StageRecord(StageStatus.PENDING, attempt=self.submission)


class NikValidated(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.PASSED

    submission: int
    rules: list[str]
    evidence: dict[str, Any]
    registry_photo_ref: str | None

    def apply(self, applicant: ApplicantState) -> None:
        stages = applicant.stages
        stages[Stage.IDENTITY] = StageRecord(
            StageStatus.PASSED, rule=self.rules[0], attempt=self.submission
        )
        applicant.registry_photo_ref = self.registry_photo_ref
        stages[Stage.EDUCATION] = StageRecord(StageStatus.PENDING)
        stages[Stage.EXCLUSION] = StageRecord(StageStatus.PENDING)
        if applicant.selfie_ref is not None:
            stages[Stage.FACE] = replace(stages[Stage.FACE], status=StageStatus.PENDING)


class NikRejected(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.FAILED

    submission: int
    reasons: list[dict[str, Any]]
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.stages[Stage.IDENTITY] = _decided(
            StageStatus.FAILED, self.reasons, self.rules, self.submission
        )


# ------------------------------------------------ education and exclusions


class EducationChecked(DecisionEvent, Aggregate.Event):
    passed: bool
    reasons: list[dict[str, Any]]
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        status = StageStatus.PASSED if self.passed else StageStatus.FAILED
        applicant.stages[Stage.EDUCATION] = _decided(status, self.reasons, self.rules)


class ExclusionChecked(DecisionEvent, Aggregate.Event):
    passed: bool
    reasons: list[dict[str, Any]]
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        status = StageStatus.PASSED if self.passed else StageStatus.FAILED
        applicant.stages[Stage.EXCLUSION] = _decided(status, self.reasons, self.rules)


# -------------------------------------------------------------------- face


class SelfieUploaded(Aggregate.Event):
    attempt: int
    photo_ref: UUID
    sha256: str
    content_type: str
    width: int
    height: int

    def apply(self, applicant: ApplicantState) -> None:
        applicant.selfie_ref = self.photo_ref
        applicant.selfie_attempts = self.attempt
        waiting = applicant.stages[Stage.IDENTITY].status is not StageStatus.PASSED
        applicant.stages[Stage.FACE] = StageRecord(
            StageStatus.NOT_STARTED if waiting else StageStatus.PENDING, attempt=self.attempt
        )


class FaceMatched(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.PASSED

    attempt: int
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.stages[Stage.FACE] = StageRecord(
            StageStatus.PASSED, rule=self.rules[0], attempt=self.attempt
        )


class FaceMatchFailed(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.FAILED

    attempt: int
    reasons: list[dict[str, Any]]
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.stages[Stage.FACE] = _decided(
            StageStatus.FAILED, self.reasons, self.rules, self.attempt
        )


class FaceReviewRequested(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.IN_REVIEW

    attempt: int
    reasons: list[dict[str, Any]]
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.stages[Stage.FACE] = _decided(
            StageStatus.IN_REVIEW, self.reasons, self.rules, self.attempt
        )


# ------------------------------------------------------------------- phone


class OtpRequested(Aggregate.Event):
    phone: str
    sequence: int
    expires_at: dt.datetime

    def apply(self, applicant: ApplicantState) -> None:
        applicant.phone_pending = self.phone
        applicant.otp_sequence = self.sequence
        applicant.otp_expires_at = self.expires_at
        applicant.otp_failed_attempts = 0
        applicant.stages[Stage.PHONE] = StageRecord(StageStatus.PENDING, attempt=self.sequence)


class OtpSent(Aggregate.Event):
    sequence: int
    message_id: str

    def apply(self, applicant: ApplicantState) -> None:
        applicant.otp_sent_sequence = self.sequence


class OtpVerificationFailed(Aggregate.Event):
    sequence: int
    failed_attempts: int

    def apply(self, applicant: ApplicantState) -> None:
        applicant.otp_failed_attempts = self.failed_attempts


class PhoneVerified(DecisionEvent, Aggregate.Event):
    OUTCOME = StageStatus.PASSED

    phone: str
    sequence: int
    rules: list[str]
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.phone = self.phone
        applicant.phone_pending = None
        applicant.stages[Stage.PHONE] = StageRecord(
            StageStatus.PASSED, rule=self.rules[0], attempt=self.sequence
        )


# -------------------------------------------------------- technical faults


class VerificationDelayed(Aggregate.Event):
    stage: str
    fault: str
    attempts: int
    retry_after: dt.datetime

    def apply(self, applicant: ApplicantState) -> None:
        key = Stage(self.stage)
        applicant.stages[key] = replace(
            applicant.stages[key],
            status=StageStatus.DELAYED,
            detail={
                "fault": self.fault,
                "attempts": self.attempts,
                "retry_after": self.retry_after.isoformat(),
            },
        )


# ------------------------------------------------------ reviews and disputes


class DecisionOverridden(Aggregate.Event):
    stage: str
    outcome: str
    overrides_version: int
    reviewer: str
    justification: str
    approved_by: str | None

    @property
    def decision(self) -> RecordedDecision:
        """A person's decision: the justification is its reason, the override its rule."""
        return RecordedDecision.of_override(
            passed=self.outcome == StageStatus.PASSED,
            rule=MANUAL_OVERRIDE,
            justification=self.justification,
            reviewer=self.reviewer,
            approved_by=self.approved_by,
            overrides_version=self.overrides_version,
        )

    def apply(self, applicant: ApplicantState) -> None:
        key = Stage(self.stage)
        stages = applicant.stages
        stages[key] = StageRecord(
            StageStatus(self.outcome),
            rule=MANUAL_OVERRIDE,
            attempt=stages[key].attempt,
            detail={"reviewer": self.reviewer, "approved_by": self.approved_by},
        )
        if key is Stage.IDENTITY and self.outcome == StageStatus.PASSED:
            stages[Stage.EDUCATION] = StageRecord(StageStatus.PENDING)
            stages[Stage.EXCLUSION] = StageRecord(StageStatus.PENDING)


class DecisionDisputed(Aggregate.Event):
    stage: str
    disputed_version: int
    statement: str

    def apply(self, applicant: ApplicantState) -> None:
        key = Stage(self.stage)
        applicant.stages[key] = replace(
            applicant.stages[key],
            status=StageStatus.IN_REVIEW,
            detail={"disputed_version": self.disputed_version},
        )
