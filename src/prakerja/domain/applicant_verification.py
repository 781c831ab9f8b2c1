"""The verification commands of an applicant's case: email, identity, checks, face, phone.

Mixed into :class:`~prakerja.domain.applicant.Applicant`. Each command validates against
the current state and raises a :class:`~prakerja.domain.errors.DomainError` when a step
is not allowed, then records one event of :mod:`prakerja.domain.applicant_events`.
Reviewers' overrides and applicants' disputes of a decision are here too: they replace
or reopen a verification decision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from prakerja.domain.applicant_events import (
    MANUAL_OVERRIDE,
    DecisionDisputed,
    DecisionOverridden,
    EducationChecked,
    EmailBounced,
    EmailChanged,
    EmailResendRequested,
    EmailVerificationSent,
    EmailVerified,
    ExclusionChecked,
    FaceMatched,
    FaceMatchFailed,
    FaceReviewRequested,
    IdentitySubmitted,
    NikRejected,
    NikValidated,
    OtpRequested,
    OtpSent,
    OtpVerificationFailed,
    PhoneVerified,
    SelfieUploaded,
    VerificationDelayed,
)
from prakerja.domain.applicant_state import ApplicantState
from prakerja.domain.decisions import Decision
from prakerja.domain.errors import TransitionNotAllowed, UnderMinimumAge
from prakerja.domain.identity import Identity
from prakerja.domain.rules import MINIMUM_AGE_YEARS
from prakerja.domain.stages import Stage, StageStatus

DISPUTABLE = frozenset({Stage.IDENTITY, Stage.EDUCATION, Stage.EXCLUSION})
"""The registry checks: a person can say the registry's data is wrong."""


class VerificationCommands(ApplicantState):
    """What the applicant, the verifiers and the reviewers ask of a case under verification."""

    # ------------------------------------------------------------------- email

    def record_email_sent(self, attempt: int, message_id: str) -> None:
        self._require_open(Stage.EMAIL)
        if attempt != self.emails_requested or self.emails_sent >= attempt:
            raise TransitionNotAllowed(
                f"email {attempt} is not the one to send", code="stale_attempt"
            )
        self._record(EmailVerificationSent, attempt=attempt, message_id=message_id)

    def verify_email(self, attempt: int, decision: Decision) -> None:
        self._require_case_open()
        if self.stages[Stage.EMAIL].status is StageStatus.PASSED:
            raise TransitionNotAllowed(
                "The email address is already verified.", code="email_already_verified"
            )
        self._record(
            EmailVerified, attempt=attempt, rules=decision.rule_refs, evidence=decision.evidence
        )

    def record_email_bounce(self, attempt: int, decision: Decision) -> None:
        self._require_open(Stage.EMAIL)
        self._record(
            EmailBounced,
            attempt=attempt,
            reasons=decision.reason_dicts,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )

    def change_email(self, email: str) -> None:
        """After a bounce (a typo in the address), the applicant gives another address."""
        self._require_case_open()
        if self.stages[Stage.EMAIL].status is StageStatus.PASSED:
            raise TransitionNotAllowed(
                "A verified email address cannot be replaced here.", code="email_already_verified"
            )
        self._record(EmailChanged, email=email, previous=self.email)

    def request_email_resend(self) -> None:
        """Another verification email (the first went to spam, or was lost)."""
        self._require_case_open()
        if not self.stages[Stage.EMAIL].is_open:
            raise TransitionNotAllowed(
                "There is no verification email to resend.", code="email_not_pending"
            )
        if self.emails_sent < self.emails_requested:
            raise TransitionNotAllowed(
                "An email is already on its way.", code="email_already_queued"
            )
        self._record(EmailResendRequested, attempt=self.emails_requested + 1)

    # ---------------------------------------------------------------- identity

    def submit_identity(
        self, identity: Identity, nik_agrees_with_birth_date: bool, *, today: dt.date
    ) -> None:
        """Submit, or correct after a failed check, the identity data; nothing else is lost.

        A declared birth date under the minimum age (on ``today``, the programme's day) is
        refused at once: the registry's check applies the same rule to its own records.
        """
        self._require_case_open()
        if self.stages[Stage.EMAIL].status is not StageStatus.PASSED:
            raise TransitionNotAllowed(
                "Verify your email address first.", code="email_not_verified"
            )
        status = self.stages[Stage.IDENTITY].status
        if status in (StageStatus.PASSED, StageStatus.IN_REVIEW):
            raise TransitionNotAllowed(
                "Identity data already checked by the registry cannot be changed.",
                code="identity_locked",
            )
        if identity.age_on(today) < MINIMUM_AGE_YEARS:
            raise UnderMinimumAge(
                f"Applicants must be at least {MINIMUM_AGE_YEARS} years old.",
                minimum_age=MINIMUM_AGE_YEARS,
            )
        self._record(
            IdentitySubmitted,
            submission=self.identity_submissions + 1,
            nik=identity.nik,
            kk_number=identity.kk_number,
            full_name=identity.full_name,
            birth_date=identity.birth_date,
            mother_maiden_name=identity.mother_maiden_name,
            nik_agrees_with_birth_date=nik_agrees_with_birth_date,
        )

    def record_identity_check(
        self, submission: int, decision: Decision, registry_photo_ref: str | None
    ) -> None:
        self._require_open(Stage.IDENTITY)
        self._require_current_submission(submission)
        if decision.passed:
            self._record(
                NikValidated,
                submission=submission,
                rules=decision.rule_refs,
                evidence=decision.evidence,
                registry_photo_ref=registry_photo_ref,
            )
        else:
            self._record(
                NikRejected,
                submission=submission,
                reasons=decision.reason_dicts,
                rules=decision.rule_refs,
                evidence=decision.evidence,
            )

    # ------------------------------------------------ education and exclusions

    def record_education_check(self, decision: Decision) -> None:
        self._require_open(Stage.EDUCATION)
        self._record(
            EducationChecked,
            passed=decision.passed,
            reasons=decision.reason_dicts,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )

    def record_exclusion_check(self, decision: Decision) -> None:
        self._require_open(Stage.EXCLUSION)
        self._record(
            ExclusionChecked,
            passed=decision.passed,
            reasons=decision.reason_dicts,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )

    # -------------------------------------------------------------------- face

    def upload_selfie(
        self, photo_ref: UUID, sha256: str, content_type: str, width: int, height: int
    ) -> None:
        """A new selfie re-runs the face layer alone; every other result is kept."""
        self.check_selfie_allowed()
        self._record(
            SelfieUploaded,
            attempt=self.selfie_attempts + 1,
            photo_ref=photo_ref,
            sha256=sha256,
            content_type=content_type,
            width=width,
            height=height,
        )

    def check_selfie_allowed(self) -> None:
        """Refuse a selfie this case cannot take (asked before its bytes are stored)."""
        self._require_case_open()
        if self.identity is None:
            raise TransitionNotAllowed(
                "Submit your identity data before the selfie.", code="identity_not_submitted"
            )
        if self.stages[Stage.FACE].status in (StageStatus.PASSED, StageStatus.IN_REVIEW):
            raise TransitionNotAllowed(
                "Your face check is already decided.", code="face_already_decided"
            )

    def record_face_check(self, attempt: int, decision: Decision, *, review: bool = False) -> None:
        self._require_open(Stage.FACE)
        if attempt != self.selfie_attempts:
            raise TransitionNotAllowed(
                f"selfie {attempt} was replaced by {self.selfie_attempts}", code="stale_attempt"
            )
        payload: dict[str, Any] = dict(
            attempt=attempt, rules=decision.rule_refs, evidence=decision.evidence
        )
        if review:
            self._record(FaceReviewRequested, reasons=decision.reason_dicts, **payload)
        elif decision.passed:
            self._record(FaceMatched, **payload)
        else:
            self._record(FaceMatchFailed, reasons=decision.reason_dicts, **payload)

    # ------------------------------------------------------------------- phone

    def request_otp(self, phone: str, expires_at: dt.datetime) -> int:
        """Ask for a new code; it replaces any earlier one. Returns its sequence number."""
        self._require_case_open()
        if self.stages[Stage.EMAIL].status is not StageStatus.PASSED:
            raise TransitionNotAllowed(
                "Verify your email address first.", code="email_not_verified"
            )
        if self.stages[Stage.PHONE].status is StageStatus.PASSED:
            raise TransitionNotAllowed(
                "Your phone number is already verified.", code="phone_already_verified"
            )
        sequence = self.otp_sequence + 1
        self._record(OtpRequested, phone=phone, sequence=sequence, expires_at=expires_at)
        return sequence

    def record_otp_sent(self, sequence: int, message_id: str) -> None:
        if sequence != self.otp_sequence or self.otp_sent_sequence >= sequence:
            raise TransitionNotAllowed(
                f"code {sequence} is not the one to send", code="stale_attempt"
            )
        self._record(OtpSent, sequence=sequence, message_id=message_id)

    def check_otp_allowed(self, now: dt.datetime, max_attempts: int) -> None:
        """Refuse a guess when there is no live code: none asked, expired, or used up."""
        self._require_case_open()
        if self.stages[Stage.PHONE].status is StageStatus.PASSED:
            raise TransitionNotAllowed(
                "Your phone number is already verified.", code="phone_already_verified"
            )
        if self.otp_sequence == 0 or self.otp_expires_at is None:
            raise TransitionNotAllowed("Ask for a code first.", code="otp_not_requested")
        if now >= self.otp_expires_at:
            raise TransitionNotAllowed(
                "This code has expired; ask for a new one.", code="otp_expired"
            )
        if self.otp_failed_attempts >= max_attempts:
            raise TransitionNotAllowed(
                "Too many wrong codes; ask for a new one.", code="otp_attempts_exhausted"
            )

    def record_otp_failure(self, now: dt.datetime, max_attempts: int) -> None:
        self.check_otp_allowed(now, max_attempts)
        self._record(
            OtpVerificationFailed,
            sequence=self.otp_sequence,
            failed_attempts=self.otp_failed_attempts + 1,
        )

    def verify_phone(self, now: dt.datetime, max_attempts: int, decision: Decision) -> str:
        """Record that the right code came back; returns the verified number."""
        self.check_otp_allowed(now, max_attempts)
        assert self.phone_pending is not None
        phone = self.phone_pending
        self._record(
            PhoneVerified,
            phone=phone,
            sequence=self.otp_sequence,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )
        return phone

    # -------------------------------------------------------- technical faults

    def delay_verification(
        self, stage: Stage, fault: str, attempts: int, retry_after: dt.datetime
    ) -> None:
        """A service failed technically: the case waits, it is not rejected."""
        self._require_open(stage)
        self._record(
            VerificationDelayed,
            stage=stage.value,
            fault=fault,
            attempts=attempts,
            retry_after=retry_after,
        )

    # ---------------------------------------------------------------- overrides

    def override_decision(
        self,
        stage: Stage,
        outcome: StageStatus,
        overrides_version: int,
        reviewer: str,
        justification: str,
        approved_by: str | None,
    ) -> None:
        """A person replaces an automated decision; the original stays in the history."""
        if outcome not in (StageStatus.PASSED, StageStatus.FAILED):
            raise TransitionNotAllowed(
                "An override passes or fails a stage.", code="invalid_override"
            )
        current = self.stages[stage].status
        if current not in (
            StageStatus.FAILED,
            StageStatus.IN_REVIEW,
            StageStatus.PASSED,
            StageStatus.DELAYED,  # a service down for long: a person may decide instead
        ):
            raise TransitionNotAllowed(
                f"The {stage} stage has no decision to override.", code="nothing_to_override"
            )
        if not justification.strip():
            raise TransitionNotAllowed(
                "An override needs a written justification.", code="justification_required"
            )
        self._record(
            DecisionOverridden,
            stage=stage.value,
            outcome=outcome.value,
            overrides_version=overrides_version,
            reviewer=reviewer,
            justification=justification,
            approved_by=approved_by,
        )

    def dispute_decision(self, stage: Stage, disputed_version: int, statement: str) -> None:
        """The applicant says a registry's data is wrong: the rejection goes to a reviewer.

        Only the registry checks can be disputed (a selfie is retried instead), only a
        rejection made by automation, and only once: a reviewer's decision is final here.
        """
        if stage not in DISPUTABLE:
            raise TransitionNotAllowed(
                f"The {stage} check cannot be disputed.", code="not_disputable"
            )
        record = self.stages[stage]
        if record.status is not StageStatus.FAILED:
            raise TransitionNotAllowed(
                f"The {stage} check has no rejection to dispute.", code="nothing_to_dispute"
            )
        if record.rule == MANUAL_OVERRIDE:
            raise TransitionNotAllowed(
                "A reviewer already decided this; it cannot be disputed again.",
                code="already_reviewed",
            )
        if not statement.strip():
            raise TransitionNotAllowed(
                "Say what is wrong in the registry's data.", code="statement_required"
            )
        self._record(
            DecisionDisputed,
            stage=stage.value,
            disputed_version=disputed_version,
            statement=statement.strip(),
        )
