"""The Applicant aggregate: one person's whole path through the programme, as events.

Command methods validate against the current state and raise a :class:`DomainError`
when a step is not allowed; they then trigger a private ``@event`` method whose body
only assigns state (it re-runs on every replay). Everything an event needs (evidence,
rule versions, times decided outside) is passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from prakerja.domain.decisions import Decision
from prakerja.domain.errors import CaseClosed, TransitionNotAllowed, UnderMinimumAge
from prakerja.domain.identity import Identity
from prakerja.domain.programme import Membership, MembershipStatus, incentive_key
from prakerja.domain.programme import first_training_deadline as training_deadline_for
from prakerja.domain.rules import MINIMUM_AGE_YEARS
from prakerja.domain.stages import (
    CORRECTABLE,
    STEP_STAGE,
    VERIFICATION_ORDER,
    Stage,
    StageRecord,
    StageStatus,
    Step,
)

MANUAL_OVERRIDE = "manual-override"
_DISPUTABLE = frozenset({Stage.IDENTITY, Stage.EDUCATION, Stage.EXCLUSION})

_CHECKS = {
    Stage.IDENTITY: Step.VALIDATE_NIK,
    Stage.EDUCATION: Step.CHECK_EDUCATION,
    Stage.EXCLUSION: Step.CHECK_EXCLUSIONS,
    Stage.FACE: Step.CHECK_FACE,
}


class Applicant(Aggregate):
    """A person who registered, from the first email to the last incentive payment."""

    class Registered(Aggregate.Created):
        email: str
        password_hash: str
        language: str

    @event(Registered)
    def __init__(self, email: str, password_hash: str, language: str) -> None:
        self.email = email
        self.password_hash = password_hash
        self.language = language
        self.stages: dict[Stage, StageRecord] = {
            stage: StageRecord() for stage in VERIFICATION_ORDER
        }
        self.stages[Stage.EMAIL] = StageRecord(status=StageStatus.PENDING)
        self.emails_sent = 0
        self.emails_requested = 1
        self.identity: Identity | None = None
        self.identity_submissions = 0
        self.registry_photo_ref: str | None = None
        self.selfie_ref: UUID | None = None
        self.selfie_attempts = 0
        self.phone_pending: str | None = None
        self.phone: str | None = None
        self.otp_sequence = 0
        self.otp_expires_at: dt.datetime | None = None
        self.otp_failed_attempts = 0
        self.otp_sent_sequence = 0
        self.membership = Membership()

    # ----------------------------------------------------------------- queries

    def stage(self, stage: Stage) -> StageRecord:
        return self.stages[stage]

    @property
    def is_verified(self) -> bool:
        """Every verification layer passed: ready to join a wave."""
        return all(self.stages[s].status is StageStatus.PASSED for s in VERIFICATION_ORDER)

    @property
    def final_rejection(self) -> Stage | None:
        """The first stage failed in a way the applicant cannot fix themselves."""
        for stage in VERIFICATION_ORDER:
            if self.stages[stage].status is StageStatus.FAILED and stage not in CORRECTABLE:
                return stage
        return None

    @property
    def is_closed(self) -> bool:
        """Final: the applicant can do nothing more here, and nothing more is sent to them.

        A check the applicant cannot fix failed, or the membership was revoked. Only a
        dispute of the rejection, or a reviewer's override, reopens the case.
        """
        return (
            self.final_rejection is not None or self.membership.status is MembershipStatus.REVOKED
        )

    def open_stages(self) -> list[Stage]:
        """Stages waiting on an automated verification."""
        return [s for s in VERIFICATION_ORDER if self.stages[s].is_open]

    def outstanding_work(self) -> list[Step]:
        """What automation owes this applicant now: the dispatcher hands these out.

        A closed case is owed only the eligibility checks already under way, so that its
        refusal lists every reason; no message is sent and no selfie is compared for a
        case that cannot go on, even if they were asked for before it closed.
        """
        if self.is_closed:
            return [
                step
                for stage, step in _CHECKS.items()
                if stage not in CORRECTABLE and self.stages[stage].is_open
            ]
        work = []
        if self.stages[Stage.EMAIL].is_open and self.emails_sent < self.emails_requested:
            work.append(Step.SEND_EMAIL)
        if self.otp_sent_sequence < self.otp_sequence and self.stages[Stage.PHONE].is_open:
            work.append(Step.SEND_OTP)
        for stage, step in _CHECKS.items():
            if self.stages[stage].is_open:
                work.append(step)
        return work

    def retry_after(self, step: Step) -> dt.datetime | None:
        """When a step delayed by a technical fault may run again."""
        stage = STEP_STAGE[step]
        raw = self.stages[stage].detail.get("retry_after")
        if self.stages[stage].status is StageStatus.DELAYED and raw:
            return dt.datetime.fromisoformat(raw)
        return None

    # ------------------------------------------------------------------- email

    def record_email_sent(self, attempt: int, message_id: str) -> None:
        self._require_open(Stage.EMAIL)
        if attempt != self.emails_requested or self.emails_sent >= attempt:
            raise TransitionNotAllowed(
                f"email {attempt} is not the one to send", code="stale_attempt"
            )
        self._email_verification_sent(attempt=attempt, message_id=message_id)

    class EmailVerificationSent(Aggregate.Event):
        attempt: int
        message_id: str

    @event(EmailVerificationSent)
    def _email_verification_sent(self, attempt: int, message_id: str) -> None:
        self.emails_sent = attempt

    def verify_email(self, attempt: int, decision: Decision) -> None:
        self._require_case_open()
        if self.stages[Stage.EMAIL].status is StageStatus.PASSED:
            raise TransitionNotAllowed(
                "The email address is already verified.", code="email_already_verified"
            )
        self._email_verified(attempt=attempt, rules=decision.rule_refs, evidence=decision.evidence)

    class EmailVerified(Aggregate.Event):
        attempt: int
        rules: list[str]
        evidence: dict[str, Any]

    @event(EmailVerified)
    def _email_verified(self, attempt: int, rules: list[str], evidence: dict[str, Any]) -> None:
        self.stages[Stage.EMAIL] = StageRecord(StageStatus.PASSED, rule=rules[0], attempt=attempt)

    def record_email_bounce(self, attempt: int, decision: Decision) -> None:
        self._require_open(Stage.EMAIL)
        self._email_bounced(
            attempt=attempt,
            reasons=decision.reason_dicts,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )

    class EmailBounced(Aggregate.Event):
        attempt: int
        reasons: list[dict[str, Any]]
        rules: list[str]
        evidence: dict[str, Any]

    @event(EmailBounced)
    def _email_bounced(
        self,
        attempt: int,
        reasons: list[dict[str, Any]],
        rules: list[str],
        evidence: dict[str, Any],
    ) -> None:
        self.stages[Stage.EMAIL] = StageRecord(
            StageStatus.FAILED, tuple(reasons), rules[0], attempt
        )

    def change_email(self, email: str) -> None:
        """After a bounce (a typo in the address), the applicant gives another address."""
        self._require_case_open()
        if self.stages[Stage.EMAIL].status is StageStatus.PASSED:
            raise TransitionNotAllowed(
                "A verified email address cannot be replaced here.", code="email_already_verified"
            )
        self._email_changed(email=email, previous=self.email)

    class EmailChanged(Aggregate.Event):
        email: str
        previous: str

    @event(EmailChanged)
    def _email_changed(self, email: str, previous: str) -> None:
        self.email = email
        self.emails_requested += 1
        self.stages[Stage.EMAIL] = StageRecord(StageStatus.PENDING)

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
        self._email_resend_requested(attempt=self.emails_requested + 1)

    class EmailResendRequested(Aggregate.Event):
        attempt: int

    @event(EmailResendRequested)
    def _email_resend_requested(self, attempt: int) -> None:
        self.emails_requested = attempt

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
        self._identity_submitted(
            submission=self.identity_submissions + 1,
            nik=identity.nik,
            kk_number=identity.kk_number,
            full_name=identity.full_name,
            birth_date=identity.birth_date,
            mother_maiden_name=identity.mother_maiden_name,
            nik_agrees_with_birth_date=nik_agrees_with_birth_date,
        )

    class IdentitySubmitted(Aggregate.Event):
        submission: int
        nik: str
        kk_number: str
        full_name: str
        birth_date: dt.date
        mother_maiden_name: str
        nik_agrees_with_birth_date: bool

    @event(IdentitySubmitted)
    def _identity_submitted(
        self,
        submission: int,
        nik: str,
        kk_number: str,
        full_name: str,
        birth_date: dt.date,
        mother_maiden_name: str,
        nik_agrees_with_birth_date: bool,
    ) -> None:
        self.identity = Identity(nik, kk_number, full_name, birth_date, mother_maiden_name)
        self.identity_submissions = submission
        self.stages[Stage.IDENTITY] = StageRecord(StageStatus.PENDING, attempt=submission)

    def record_identity_check(
        self, submission: int, decision: Decision, registry_photo_ref: str | None
    ) -> None:
        self._require_open(Stage.IDENTITY)
        self._require_current_submission(submission)
        if decision.passed:
            self._nik_validated(
                submission=submission,
                rules=decision.rule_refs,
                evidence=decision.evidence,
                registry_photo_ref=registry_photo_ref,
            )
        else:
            self._nik_rejected(
                submission=submission,
                reasons=decision.reason_dicts,
                rules=decision.rule_refs,
                evidence=decision.evidence,
            )

    class NikValidated(Aggregate.Event):
        submission: int
        rules: list[str]
        evidence: dict[str, Any]
        registry_photo_ref: str | None

    @event(NikValidated)
    def _nik_validated(
        self,
        submission: int,
        rules: list[str],
        evidence: dict[str, Any],
        registry_photo_ref: str | None,
    ) -> None:
        self.stages[Stage.IDENTITY] = StageRecord(
            StageStatus.PASSED, rule=rules[0], attempt=submission
        )
        self.registry_photo_ref = registry_photo_ref
        self.stages[Stage.EDUCATION] = StageRecord(StageStatus.PENDING)
        self.stages[Stage.EXCLUSION] = StageRecord(StageStatus.PENDING)
        if self.selfie_ref is not None:
            self.stages[Stage.FACE] = replace(self.stages[Stage.FACE], status=StageStatus.PENDING)

    class NikRejected(Aggregate.Event):
        submission: int
        reasons: list[dict[str, Any]]
        rules: list[str]
        evidence: dict[str, Any]

    @event(NikRejected)
    def _nik_rejected(
        self,
        submission: int,
        reasons: list[dict[str, Any]],
        rules: list[str],
        evidence: dict[str, Any],
    ) -> None:
        self.stages[Stage.IDENTITY] = StageRecord(
            StageStatus.FAILED, tuple(reasons), rules[0], submission
        )

    # ------------------------------------------------ education and exclusions

    def record_education_check(self, decision: Decision) -> None:
        self._require_open(Stage.EDUCATION)
        self._education_checked(
            passed=decision.passed,
            reasons=decision.reason_dicts,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )

    class EducationChecked(Aggregate.Event):
        passed: bool
        reasons: list[dict[str, Any]]
        rules: list[str]
        evidence: dict[str, Any]

    @event(EducationChecked)
    def _education_checked(
        self,
        passed: bool,
        reasons: list[dict[str, Any]],
        rules: list[str],
        evidence: dict[str, Any],
    ) -> None:
        self.stages[Stage.EDUCATION] = _decided(passed, reasons, rules)

    def record_exclusion_check(self, decision: Decision) -> None:
        self._require_open(Stage.EXCLUSION)
        self._exclusion_checked(
            passed=decision.passed,
            reasons=decision.reason_dicts,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )

    class ExclusionChecked(Aggregate.Event):
        passed: bool
        reasons: list[dict[str, Any]]
        rules: list[str]
        evidence: dict[str, Any]

    @event(ExclusionChecked)
    def _exclusion_checked(
        self,
        passed: bool,
        reasons: list[dict[str, Any]],
        rules: list[str],
        evidence: dict[str, Any],
    ) -> None:
        self.stages[Stage.EXCLUSION] = _decided(passed, reasons, rules)

    # -------------------------------------------------------------------- face

    def upload_selfie(
        self, photo_ref: UUID, sha256: str, content_type: str, width: int, height: int
    ) -> None:
        """A new selfie re-runs the face layer alone; every other result is kept."""
        self.check_selfie_allowed()
        self._selfie_uploaded(
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

    class SelfieUploaded(Aggregate.Event):
        attempt: int
        photo_ref: UUID
        sha256: str
        content_type: str
        width: int
        height: int

    @event(SelfieUploaded)
    def _selfie_uploaded(
        self, attempt: int, photo_ref: UUID, sha256: str, content_type: str, width: int, height: int
    ) -> None:
        self.selfie_ref = photo_ref
        self.selfie_attempts = attempt
        waiting = self.stages[Stage.IDENTITY].status is not StageStatus.PASSED
        self.stages[Stage.FACE] = StageRecord(
            StageStatus.NOT_STARTED if waiting else StageStatus.PENDING, attempt=attempt
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
            self._face_review_requested(reasons=decision.reason_dicts, **payload)
        elif decision.passed:
            self._face_matched(**payload)
        else:
            self._face_match_failed(reasons=decision.reason_dicts, **payload)

    class FaceMatched(Aggregate.Event):
        attempt: int
        rules: list[str]
        evidence: dict[str, Any]

    @event(FaceMatched)
    def _face_matched(self, attempt: int, rules: list[str], evidence: dict[str, Any]) -> None:
        self.stages[Stage.FACE] = StageRecord(StageStatus.PASSED, rule=rules[0], attempt=attempt)

    class FaceMatchFailed(Aggregate.Event):
        attempt: int
        reasons: list[dict[str, Any]]
        rules: list[str]
        evidence: dict[str, Any]

    @event(FaceMatchFailed)
    def _face_match_failed(
        self,
        attempt: int,
        reasons: list[dict[str, Any]],
        rules: list[str],
        evidence: dict[str, Any],
    ) -> None:
        self.stages[Stage.FACE] = StageRecord(StageStatus.FAILED, tuple(reasons), rules[0], attempt)

    class FaceReviewRequested(Aggregate.Event):
        attempt: int
        reasons: list[dict[str, Any]]
        rules: list[str]
        evidence: dict[str, Any]

    @event(FaceReviewRequested)
    def _face_review_requested(
        self,
        attempt: int,
        reasons: list[dict[str, Any]],
        rules: list[str],
        evidence: dict[str, Any],
    ) -> None:
        self.stages[Stage.FACE] = StageRecord(
            StageStatus.IN_REVIEW, tuple(reasons), rules[0], attempt
        )

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
        self._otp_requested(phone=phone, sequence=sequence, expires_at=expires_at)
        return sequence

    class OtpRequested(Aggregate.Event):
        phone: str
        sequence: int
        expires_at: dt.datetime

    @event(OtpRequested)
    def _otp_requested(self, phone: str, sequence: int, expires_at: dt.datetime) -> None:
        self.phone_pending = phone
        self.otp_sequence = sequence
        self.otp_expires_at = expires_at
        self.otp_failed_attempts = 0
        self.stages[Stage.PHONE] = StageRecord(StageStatus.PENDING, attempt=sequence)

    def record_otp_sent(self, sequence: int, message_id: str) -> None:
        if sequence != self.otp_sequence or self.otp_sent_sequence >= sequence:
            raise TransitionNotAllowed(
                f"code {sequence} is not the one to send", code="stale_attempt"
            )
        self._otp_sent(sequence=sequence, message_id=message_id)

    class OtpSent(Aggregate.Event):
        sequence: int
        message_id: str

    @event(OtpSent)
    def _otp_sent(self, sequence: int, message_id: str) -> None:
        self.otp_sent_sequence = sequence

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
        self._otp_verification_failed(
            sequence=self.otp_sequence, failed_attempts=self.otp_failed_attempts + 1
        )

    class OtpVerificationFailed(Aggregate.Event):
        sequence: int
        failed_attempts: int

    @event(OtpVerificationFailed)
    def _otp_verification_failed(self, sequence: int, failed_attempts: int) -> None:
        self.otp_failed_attempts = failed_attempts

    def verify_phone(self, now: dt.datetime, max_attempts: int, decision: Decision) -> str:
        """Record that the right code came back; returns the verified number."""
        self.check_otp_allowed(now, max_attempts)
        assert self.phone_pending is not None
        phone = self.phone_pending
        self._phone_verified(
            phone=phone,
            sequence=self.otp_sequence,
            rules=decision.rule_refs,
            evidence=decision.evidence,
        )
        return phone

    class PhoneVerified(Aggregate.Event):
        phone: str
        sequence: int
        rules: list[str]
        evidence: dict[str, Any]

    @event(PhoneVerified)
    def _phone_verified(
        self, phone: str, sequence: int, rules: list[str], evidence: dict[str, Any]
    ) -> None:
        self.phone = phone
        self.phone_pending = None
        self.stages[Stage.PHONE] = StageRecord(StageStatus.PASSED, rule=rules[0], attempt=sequence)

    # -------------------------------------------------------- technical faults

    def delay_verification(
        self, stage: Stage, fault: str, attempts: int, retry_after: dt.datetime
    ) -> None:
        """A service failed technically: the case waits, it is not rejected."""
        self._require_open(stage)
        self._verification_delayed(
            stage=stage.value, fault=fault, attempts=attempts, retry_after=retry_after
        )

    class VerificationDelayed(Aggregate.Event):
        stage: str
        fault: str
        attempts: int
        retry_after: dt.datetime

    @event(VerificationDelayed)
    def _verification_delayed(
        self, stage: str, fault: str, attempts: int, retry_after: dt.datetime
    ) -> None:
        key = Stage(stage)
        self.stages[key] = replace(
            self.stages[key],
            status=StageStatus.DELAYED,
            detail={"fault": fault, "attempts": attempts, "retry_after": retry_after.isoformat()},
        )

    # ------------------------------------------------------- programme (waves)
    #
    # Times (joined, bought, completed, paid) are passed in: event bodies never read a clock,
    # and the scheduler's clock is the one tests control.

    def join_wave(self, wave_id: UUID, wave_number: int, skills_test_score: int) -> None:
        self._require_case_open()
        if not self.is_verified:
            raise TransitionNotAllowed(
                "Finish every verification before joining a wave.", code="not_verified"
            )
        self.membership.require_can_join()
        self._joined_batch(
            wave_id=wave_id, wave_number=wave_number, skills_test_score=skills_test_score
        )

    class JoinedBatch(Aggregate.Event):
        wave_id: UUID
        wave_number: int
        skills_test_score: int

    @event(JoinedBatch)
    def _joined_batch(self, wave_id: UUID, wave_number: int, skills_test_score: int) -> None:
        self.membership = self.membership.joined(wave_id, wave_number)

    def mark_not_selected(self, wave_id: UUID, evidence: dict[str, Any]) -> None:
        self.membership.require_in_wave(wave_id)
        self._not_selected(wave_id=wave_id, evidence=evidence)

    class NotSelected(Aggregate.Event):
        wave_id: UUID
        evidence: dict[str, Any]

    @event(NotSelected)
    def _not_selected(self, wave_id: UUID, evidence: dict[str, Any]) -> None:
        self.membership = self.membership.not_selected()

    def issue_sk(
        self,
        wave_id: UUID,
        sk_number: str,
        sk_date: dt.date,
        training_balance: int,
        first_training_deadline: dt.datetime | None = None,
    ) -> None:
        self.membership.require_in_wave(wave_id)
        self._sk_issued(
            wave_id=wave_id,
            sk_number=sk_number,
            sk_date=sk_date,
            training_balance=training_balance,
            first_training_deadline=first_training_deadline or training_deadline_for(sk_date),
        )

    class SKIssued(Aggregate.Event):
        wave_id: UUID
        sk_number: str
        sk_date: dt.date
        training_balance: int
        first_training_deadline: dt.datetime | None = None

    @event(SKIssued)
    def _sk_issued(
        self,
        wave_id: UUID,
        sk_number: str,
        sk_date: dt.date,
        training_balance: int,
        first_training_deadline: dt.datetime | None = None,
    ) -> None:
        self.membership = self.membership.named_in_sk(
            sk_number, sk_date, training_balance, first_training_deadline
        )

    def purchase_training(
        self,
        order_id: str,
        platform: str,
        training_id: str,
        price: int,
        purchased_at: dt.datetime,
    ) -> None:
        """The first purchase must fall before the decree's deadline; later ones need balance."""
        self.membership.require_can_purchase(order_id, price, purchased_at)
        self._training_purchased(
            order_id=order_id,
            platform=platform,
            training_id=training_id,
            price=price,
            purchased_at=purchased_at,
        )

    class TrainingPurchased(Aggregate.Event):
        order_id: str
        platform: str
        training_id: str
        price: int
        purchased_at: dt.datetime | None = None

    @event(TrainingPurchased)
    def _training_purchased(
        self,
        order_id: str,
        platform: str,
        training_id: str,
        price: int,
        purchased_at: dt.datetime | None = None,
    ) -> None:
        self.membership = self.membership.purchased(order_id, price)

    def complete_training(
        self, order_id: str, review_given: bool, completed_at: dt.datetime
    ) -> None:
        self.membership.require_order(order_id)
        self._training_completed(
            order_id=order_id, review_given=review_given, completed_at=completed_at
        )

    class TrainingCompleted(Aggregate.Event):
        order_id: str
        review_given: bool
        completed_at: dt.datetime | None = None

    @event(TrainingCompleted)
    def _training_completed(
        self, order_id: str, review_given: bool, completed_at: dt.datetime | None = None
    ) -> None:
        self.membership = self.membership.completed(order_id, review_given, completed_at)

    def review_training(self, order_id: str, reviewed_at: dt.datetime) -> None:
        """The review that, with the first completion, makes incentives owed."""
        self.membership.require_reviewable(order_id)
        self._training_reviewed(order_id=order_id, reviewed_at=reviewed_at)

    class TrainingReviewed(Aggregate.Event):
        order_id: str
        reviewed_at: dt.datetime

    @event(TrainingReviewed)
    def _training_reviewed(self, order_id: str, reviewed_at: dt.datetime) -> None:
        self.membership = self.membership.reviewed_training(order_id, reviewed_at)

    def complete_survey(
        self, number: int, answers: dict[str, Any], completed_at: dt.datetime
    ) -> None:
        self.membership.require_next_survey(number)
        self._survey_completed(number=number, answers=answers, completed_at=completed_at)

    class SurveyCompleted(Aggregate.Event):
        number: int
        answers: dict[str, Any]
        completed_at: dt.datetime

    @event(SurveyCompleted)
    def _survey_completed(
        self, number: int, answers: dict[str, Any], completed_at: dt.datetime
    ) -> None:
        self.membership = self.membership.survey_completed(completed_at)

    def initiate_incentive_payment(
        self, kind: str, period: int, destination: str, initiated_at: dt.datetime
    ) -> str:
        """Record the intent to pay before calling the provider; returns the idempotency key.

        After a crash, a recorded intent without a result tells the payment worker to ask
        the provider what became of this key before anything else.
        """
        self.membership.require_payable(kind, period)
        entitlement = self.membership.entitlement(kind, period)
        assert entitlement is not None
        if entitlement.due_at > initiated_at:
            raise TransitionNotAllowed("This incentive is not due yet.", code="not_due")
        if (kind, period) in self.membership.rejected:
            raise TransitionNotAllowed(
                "The provider refused this payment.", code="payment_rejected"
            )
        key = incentive_key(self.id, kind, period)
        if (kind, period) not in self.membership.initiated:
            self._incentive_payment_initiated(
                kind=kind,
                period=period,
                amount=entitlement.amount,
                idempotency_key=key,
                destination=destination,
                initiated_at=initiated_at,
            )
        return key

    class IncentivePaymentInitiated(Aggregate.Event):
        kind: str
        period: int
        amount: int
        idempotency_key: str
        destination: str
        initiated_at: dt.datetime

    @event(IncentivePaymentInitiated)
    def _incentive_payment_initiated(
        self,
        kind: str,
        period: int,
        amount: int,
        idempotency_key: str,
        destination: str,
        initiated_at: dt.datetime,
    ) -> None:
        self.membership = self.membership.payment_initiated(kind, period)

    def record_incentive_paid(
        self,
        kind: str,
        period: int,
        amount: int,
        idempotency_key: str,
        provider_reference: str,
        paid_at: dt.datetime | None = None,
    ) -> None:
        self.membership.require_payable(kind, period)
        entitlement = self.membership.entitlement(kind, period)
        if entitlement is not None and amount != entitlement.amount:
            raise TransitionNotAllowed(
                f"The rules grant {entitlement.amount}, not {amount}.", code="amount_mismatch"
            )
        if idempotency_key != incentive_key(self.id, kind, period):
            raise TransitionNotAllowed(
                "The payment was made under another key.", code="idempotency_key_mismatch"
            )
        self._incentive_paid(
            kind=kind,
            period=period,
            amount=amount,
            idempotency_key=idempotency_key,
            provider_reference=provider_reference,
            paid_at=paid_at,
        )

    class IncentivePaid(Aggregate.Event):
        kind: str
        period: int
        amount: int
        idempotency_key: str
        provider_reference: str
        paid_at: dt.datetime | None = None

    @event(IncentivePaid)
    def _incentive_paid(
        self,
        kind: str,
        period: int,
        amount: int,
        idempotency_key: str,
        provider_reference: str,
        paid_at: dt.datetime | None = None,
    ) -> None:
        self.membership = self.membership.paid_incentive(kind, period, amount)

    def record_incentive_rejected(
        self, kind: str, period: int, reason: str, provider_reference: str, at: dt.datetime
    ) -> None:
        """The provider refused the payment for good (e.g. no account): staff follow it up."""
        self.membership.require_payable(kind, period)
        self._incentive_payment_rejected(
            kind=kind,
            period=period,
            idempotency_key=incentive_key(self.id, kind, period),
            reason=reason,
            provider_reference=provider_reference,
            rejected_at=at,
        )

    class IncentivePaymentRejected(Aggregate.Event):
        kind: str
        period: int
        idempotency_key: str
        reason: str
        provider_reference: str
        rejected_at: dt.datetime

    @event(IncentivePaymentRejected)
    def _incentive_payment_rejected(
        self,
        kind: str,
        period: int,
        idempotency_key: str,
        reason: str,
        provider_reference: str,
        rejected_at: dt.datetime,
    ) -> None:
        self.membership = self.membership.payment_rejected(kind, period)

    def revoke_membership(
        self,
        reason: str,
        rule: str,
        evidence: dict[str, Any],
        revoked_at: dt.datetime | None = None,
    ) -> None:
        """Membership ends for good; the unspent training balance goes back to the fund."""
        self.membership.require_status(MembershipStatus.PARTICIPANT, MembershipStatus.IN_TRAINING)
        self._membership_revoked(
            reason=reason,
            rule=rule,
            evidence=evidence,
            balance_returned=self.membership.training_balance,
            revoked_at=revoked_at,
        )

    class MembershipRevoked(Aggregate.Event):
        reason: str
        rule: str
        evidence: dict[str, Any]
        balance_returned: int
        revoked_at: dt.datetime | None = None

    @event(MembershipRevoked)
    def _membership_revoked(
        self,
        reason: str,
        rule: str,
        evidence: dict[str, Any],
        balance_returned: int,
        revoked_at: dt.datetime | None = None,
    ) -> None:
        self.membership = self.membership.revoked(reason)

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
        self._decision_overridden(
            stage=stage.value,
            outcome=outcome.value,
            overrides_version=overrides_version,
            reviewer=reviewer,
            justification=justification,
            approved_by=approved_by,
        )

    class DecisionOverridden(Aggregate.Event):
        stage: str
        outcome: str
        overrides_version: int
        reviewer: str
        justification: str
        approved_by: str | None

    @event(DecisionOverridden)
    def _decision_overridden(
        self,
        stage: str,
        outcome: str,
        overrides_version: int,
        reviewer: str,
        justification: str,
        approved_by: str | None,
    ) -> None:
        key = Stage(stage)
        self.stages[key] = StageRecord(
            StageStatus(outcome),
            rule=MANUAL_OVERRIDE,
            attempt=self.stages[key].attempt,
            detail={"reviewer": reviewer, "approved_by": approved_by},
        )
        if key is Stage.IDENTITY and outcome == StageStatus.PASSED:
            self.stages[Stage.EDUCATION] = StageRecord(StageStatus.PENDING)
            self.stages[Stage.EXCLUSION] = StageRecord(StageStatus.PENDING)

    def dispute_decision(self, stage: Stage, disputed_version: int, statement: str) -> None:
        """The applicant says a registry's data is wrong: the rejection goes to a reviewer.

        Only the registry checks can be disputed (a selfie is retried instead), only a
        rejection made by automation, and only once: a reviewer's decision is final here.
        """
        if stage not in _DISPUTABLE:
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
        self._decision_disputed(
            stage=stage.value, disputed_version=disputed_version, statement=statement.strip()
        )

    class DecisionDisputed(Aggregate.Event):
        stage: str
        disputed_version: int
        statement: str

    @event(DecisionDisputed)
    def _decision_disputed(self, stage: str, disputed_version: int, statement: str) -> None:
        key = Stage(stage)
        self.stages[key] = replace(
            self.stages[key],
            status=StageStatus.IN_REVIEW,
            detail={"disputed_version": disputed_version},
        )

    # ------------------------------------------------------------------ guards

    def _require_case_open(self) -> None:
        """Every command of the applicant's own starts here (a dispute excepted)."""
        if self.membership.status is MembershipStatus.REVOKED:
            raise CaseClosed(
                "The membership was revoked: this case is closed.", code="membership_revoked"
            )
        stage = self.final_rejection
        if stage is not None:
            raise CaseClosed(
                f"The application was refused at the {stage} check: this case is closed;"
                " only a dispute of that decision can reopen it.",
                stage=stage.value,
            )

    def _require_open(self, stage: Stage) -> None:
        if not self.stages[stage].is_open:
            raise TransitionNotAllowed(
                f"The {stage} check is not waiting for a result "
                f"(it is {self.stages[stage].status}).",
                code="stage_not_open",
            )

    def _require_current_submission(self, submission: int) -> None:
        if submission != self.identity_submissions:
            raise TransitionNotAllowed(
                f"submission {submission} was replaced by {self.identity_submissions}",
                code="stale_attempt",
            )


def _decided(passed: bool, reasons: list[dict[str, Any]], rules: list[str]) -> StageRecord:
    return StageRecord(
        StageStatus.PASSED if passed else StageStatus.FAILED, tuple(reasons), rules[0]
    )
