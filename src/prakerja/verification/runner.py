"""One verification step for one applicant: get, call the service, decide, record, save.

Re-running a step is harmless: a step that is no longer outstanding (already decided,
replaced by a newer submission) records nothing. A technical fault is raised for the
worker to retry; on the last try it is recorded as VerificationDelayed, never as a
rejection, and the dispatcher offers the step again after the delay.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate

from prakerja.application.applicants import Applicants
from prakerja.clients.civil_registry import CivilRegistry, IdentityClaim
from prakerja.clients.education import EducationRegistry
from prakerja.clients.email import DeliveryStatus, EmailService
from prakerja.clients.errors import ServiceContractError, TransientServiceFault
from prakerja.clients.exclusions import ExclusionRegistry
from prakerja.clients.sms import SmsGateway
from prakerja.domain.applicant import Applicant
from prakerja.domain.contact import EmailAddress, PhoneNumber
from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.family_card import FamilyCard
from prakerja.domain.rules import EMAIL_OWNERSHIP
from prakerja.domain.stages import STEP_STAGE, Step
from prakerja.domain.uniqueness import KeyKind
from prakerja.metrics import families as metrics
from prakerja.storage.photos import PhotoNotFound, PhotoStore
from prakerja.verification.face import FaceCheck, face_decision
from prakerja.verification.policies import decide_education, decide_exclusions, decide_identity

_log = structlog.get_logger("prakerja.verification")


class Outcome(StrEnum):
    RECORDED = "recorded"
    NOTHING_TO_DO = "nothing_to_do"
    DELAYED = "delayed"


class _Stale(Exception):
    """The step stopped being outstanding while the service was being called."""


class FaceChecker(Protocol):
    def check(self, selfie: bytes, reference: bytes) -> FaceCheck: ...


@dataclass
class Services:
    """The ports a step may call: one client per government service, and photo storage."""

    email: EmailService
    sms: SmsGateway
    registry: CivilRegistry
    education: EducationRegistry
    exclusions: ExclusionRegistry
    photos: PhotoStore
    face: FaceChecker | None = None
    public_url: str = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DelayPolicy:
    """How long a step waits after its retries ran out: doubling, with a ceiling."""

    base: dt.timedelta = dt.timedelta(seconds=30)
    ceiling: dt.timedelta = dt.timedelta(minutes=30)

    def after(self, delays_so_far: int) -> dt.timedelta:
        delay: dt.timedelta = self.base * (2 ** min(delays_so_far, 16))
        return min(delay, self.ceiling)


class StepRunner:
    def __init__(
        self,
        applicants: Applicants,
        services: Services,
        delays: DelayPolicy = DelayPolicy(),
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.applicants = applicants
        self.services = services
        self.delays = delays
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._handlers: dict[Step, Callable[[Applicant], None]] = {
            Step.SEND_EMAIL: self._send_email,
            Step.VALIDATE_NIK: self._validate_nik,
            Step.CHECK_EDUCATION: self._check_education,
            Step.CHECK_EXCLUSIONS: self._check_exclusions,
            Step.CHECK_FACE: self._check_face,
            Step.SEND_OTP: self._send_otp,
        }

    def run(self, step: Step, applicant_id: UUID, *, last_try: bool = False) -> Outcome:
        applicant = self.applicants.get(applicant_id)
        if step not in applicant.outstanding_work():
            return Outcome.NOTHING_TO_DO
        try:
            self._handlers[step](applicant)
        except _Stale:
            return Outcome.NOTHING_TO_DO
        except TransientServiceFault as fault:
            if not last_try:
                raise
            self._delay(step, applicant_id, fault)
            return Outcome.DELAYED
        return Outcome.RECORDED

    # ------------------------------------------------------------------ steps

    def _send_email(self, applicant: Applicant) -> None:
        attempt = applicant.emails_requested
        token = self.applicants.codes.email_token(applicant.id, applicant.email, attempt)
        link = (
            f"{self.services.public_url}/v1/applicants/{applicant.id}"
            f"/email/verification?token={token}"
        )
        receipt = self.services.email.send(
            EmailAddress(applicant.email),
            "Verifikasi email Kartu Prakerja / Verify your email",
            f"Kode verifikasi / verification token: {token}\n{link}\n",
            idempotency_key=f"{applicant.id}:email:{attempt}",
        )

        def record(current: Applicant) -> tuple[Aggregate, ...]:
            _still(current, Step.SEND_EMAIL, current.emails_requested == attempt)
            if receipt.status is DeliveryStatus.BOUNCED:
                current.record_email_bounce(
                    attempt,
                    Decision(
                        False,
                        (EMAIL_OWNERSHIP,),
                        {"message_id": receipt.message_id},
                        (Reason("email_bounced"),),
                    ),
                )
            else:
                current.record_email_sent(attempt, receipt.message_id)
            return (current,)

        self._record(applicant.id, record)
        if receipt.status is DeliveryStatus.BOUNCED:
            _decided(Step.SEND_EMAIL, "failed", ("email_bounced",))
        else:
            _decided(Step.SEND_EMAIL, "sent")

    def _validate_nik(self, applicant: Applicant) -> None:
        identity = applicant.identity
        assert identity is not None
        submission = applicant.identity_submissions
        check = self.services.registry.verify_identity(
            IdentityClaim(
                nik=identity.parsed_nik,
                kk_number=identity.kk_number,
                full_name=identity.full_name,
                birth_date=identity.birth_date,
                mother_maiden_name=identity.mother_maiden_name,
            )
        )
        decision = decide_identity(check)

        def record(current: Applicant) -> tuple[Aggregate, ...]:
            _still(current, Step.VALIDATE_NIK, current.identity_submissions == submission)
            current.record_identity_check(submission, decision, check.photo_ref)
            changed: list[Aggregate] = [current]
            if not decision.passed:
                # A NIK that failed the registry is not held: its owner may still apply.
                key = self.applicants.get_or_none(self.applicants.key_id(KeyKind.NIK, identity.nik))
                if key is not None:
                    key.release(current.id)  # type: ignore[attr-defined]
                    changed.append(key)
            return tuple(changed)

        self._record(applicant.id, record)
        _decision_made(Step.VALIDATE_NIK, decision)

    def _check_education(self, applicant: Applicant) -> None:
        assert applicant.identity is not None
        decision = decide_education(
            self.services.education.check_enrollment(applicant.identity.parsed_nik)
        )

        def record(current: Applicant) -> tuple[Aggregate, ...]:
            _still(current, Step.CHECK_EDUCATION)
            current.record_education_check(decision)
            return (current,)

        self._record(applicant.id, record)
        _decision_made(Step.CHECK_EDUCATION, decision)

    def _check_exclusions(self, applicant: Applicant) -> None:
        identity = applicant.identity
        assert identity is not None
        check = self.services.exclusions.check_exclusions(identity.parsed_nik, identity.kk_number)
        card_id = self.applicants.key_id(KeyKind.FAMILY_CARD, identity.kk_number)
        decided: list[Decision] = []

        def record(current: Applicant) -> tuple[Aggregate, ...]:
            _still(current, Step.CHECK_EXCLUSIONS)
            card = self.applicants.get_or_none(card_id)
            if card is None:
                card = FamilyCard(key=card_id)
            assert isinstance(card, FamilyCard)
            decision = decide_exclusions(check, card.has_room_for(current.id))
            decided[:] = [decision]
            current.record_exclusion_check(decision)
            if decision.passed:
                card.admit(current.id)
                return (current, card)
            return (current,)

        self._record(applicant.id, record)
        _decision_made(Step.CHECK_EXCLUSIONS, decided[0])

    def _check_face(self, applicant: Applicant) -> None:
        if self.services.face is None:
            raise TransientServiceFault("face", "check", "no face worker in this process")
        attempt = applicant.selfie_attempts
        assert applicant.selfie_ref is not None
        assert applicant.registry_photo_ref is not None
        try:
            reference = self.services.registry.fetch_photo(applicant.registry_photo_ref)
        except ServiceContractError as error:
            check = FaceCheck.reference_unavailable(error.detail)
        else:
            try:
                selfie = self.services.photos.get(applicant.selfie_ref)
            except PhotoNotFound:
                check = FaceCheck.missing_selfie()
            else:
                started = time.perf_counter()
                check = self.services.face.check(selfie, reference)
                metrics.face_checked(check.outcome, time.perf_counter() - started)
        _log.info(
            "face checked",
            applicant_id=str(applicant.id),
            outcome=check.outcome,
            timings_ms=check.evidence.get("timings_ms"),
        )
        decision, review = face_decision(check)

        def record(current: Applicant) -> tuple[Aggregate, ...]:
            _still(current, Step.CHECK_FACE, current.selfie_attempts == attempt)
            current.record_face_check(attempt, decision, review=review)
            return (current,)

        self._record(applicant.id, record)
        _decision_made(Step.CHECK_FACE, decision, review=review)

    def _send_otp(self, applicant: Applicant) -> None:
        sequence = applicant.otp_sequence
        phone = applicant.phone_pending
        assert phone is not None
        code = self.applicants.codes.otp(applicant.id, phone, sequence)
        receipt = self.services.sms.send(
            PhoneNumber(phone),
            f"Kode OTP Prakerja: {code}. JANGAN berikan kode ini kepada siapa pun. "
            f"Your Prakerja code: {code}.",
            idempotency_key=f"{applicant.id}:otp:{sequence}",
        )

        def record(current: Applicant) -> tuple[Aggregate, ...]:
            _still(current, Step.SEND_OTP, current.otp_sequence == sequence)
            current.record_otp_sent(sequence, receipt.message_id)
            return (current,)

        self._record(applicant.id, record)
        _decided(Step.SEND_OTP, "sent")

    # --------------------------------------------------------------- plumbing

    def _record(
        self, applicant_id: UUID, command: Callable[[Applicant], tuple[Aggregate, ...]]
    ) -> None:
        self.applicants.update(applicant_id, command)

    def _delay(self, step: Step, applicant_id: UUID, fault: TransientServiceFault) -> None:
        stage = STEP_STAGE[step]

        def record(current: Applicant) -> tuple[Aggregate, ...]:
            _still(current, step)
            delays = int(current.stage(stage).detail.get("attempts", 0))
            retry_after = self.clock() + self.delays.after(delays)
            current.delay_verification(stage, fault.service, delays + 1, retry_after)
            return (current,)

        try:
            self._record(applicant_id, record)
        except _Stale:
            return
        _decided(step, "delayed", (f"{fault.service}_unavailable",))
        _log.warning(
            "verification delayed",
            step=step.value,
            applicant_id=str(applicant_id),
            service=fault.service,
        )


def _decided(step: Step, outcome: str, reasons: tuple[str, ...] = ()) -> None:
    metrics.verification_decided(STEP_STAGE[step].value, outcome, reasons)


def _decision_made(step: Step, decision: Decision, *, review: bool = False) -> None:
    outcome = "review" if review else "passed" if decision.passed else "failed"
    _decided(step, outcome, tuple(reason.code for reason in decision.reasons))


def _still(applicant: Applicant, step: Step, same_attempt: bool = True) -> None:
    if not same_attempt or step not in applicant.outstanding_work():
        raise _Stale
