"""The Applicant aggregate: one person's whole path through the programme, as events.

The aggregate is assembled from rooms of its own: the state it holds and the questions
asked of it (:mod:`~prakerja.domain.applicant_state`), its verification commands
(:mod:`~prakerja.domain.applicant_verification`), its programme commands
(:mod:`~prakerja.domain.applicant_membership`), and the events they record
(:mod:`~prakerja.domain.applicant_events`, :mod:`~prakerja.domain.membership_events`).

Every event is nested here under its own name, so eventsourcing records it as
``prakerja.domain.applicant:Applicant.<Name>``, the topic events have always had; the
modules that define the events' fields and state changes are not part of any topic.
Command methods validate against the current state and raise a
:class:`~prakerja.domain.errors.DomainError` when a step is not allowed; they then record
an event whose ``apply`` only assigns state (it re-runs on every replay). Everything an
event needs is passed in.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from prakerja.domain import applicant_events as verification
from prakerja.domain import membership_events as programme
from prakerja.domain.applicant_events import MANUAL_OVERRIDE
from prakerja.domain.applicant_membership import MembershipCommands
from prakerja.domain.applicant_state import CHECKS, ApplicantState
from prakerja.domain.applicant_verification import DISPUTABLE, VerificationCommands
from prakerja.domain.identity import Identity
from prakerja.domain.programme import Membership
from prakerja.domain.stages import VERIFICATION_ORDER, Stage, StageRecord, StageStatus

__all__ = ["CHECKS", "DISPUTABLE", "MANUAL_OVERRIDE", "Applicant", "ApplicantState"]


class Applicant(Aggregate, VerificationCommands, MembershipCommands):
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
        self.selfie_ref = None
        self.selfie_attempts = 0
        self.phone_pending: str | None = None
        self.phone: str | None = None
        self.otp_sequence = 0
        self.otp_expires_at = None
        self.otp_failed_attempts = 0
        self.otp_sent_sequence = 0
        self.membership = Membership()

    # verification (email, identity, education, exclusions, face, phone, delays, reviews)
    class EmailVerificationSent(verification.EmailVerificationSent):
        pass

    class EmailVerified(verification.EmailVerified):
        pass

    class EmailBounced(verification.EmailBounced):
        pass

    class EmailChanged(verification.EmailChanged):
        pass

    class EmailResendRequested(verification.EmailResendRequested):
        pass

    class IdentitySubmitted(verification.IdentitySubmitted):
        pass

    class NikValidated(verification.NikValidated):
        pass

    class NikRejected(verification.NikRejected):
        pass

    class EducationChecked(verification.EducationChecked):
        pass

    class ExclusionChecked(verification.ExclusionChecked):
        pass

    class SelfieUploaded(verification.SelfieUploaded):
        pass

    class FaceMatched(verification.FaceMatched):
        pass

    class FaceMatchFailed(verification.FaceMatchFailed):
        pass

    class FaceReviewRequested(verification.FaceReviewRequested):
        pass

    class OtpRequested(verification.OtpRequested):
        pass

    class OtpSent(verification.OtpSent):
        pass

    class OtpVerificationFailed(verification.OtpVerificationFailed):
        pass

    class PhoneVerified(verification.PhoneVerified):
        pass

    class VerificationDelayed(verification.VerificationDelayed):
        pass

    class DecisionOverridden(verification.DecisionOverridden):
        pass

    class DecisionDisputed(verification.DecisionDisputed):
        pass

    # programme (waves, decree, training, incentives)
    class JoinedBatch(programme.JoinedBatch):
        pass

    class NotSelected(programme.NotSelected):
        pass

    class SKIssued(programme.SKIssued):
        pass

    class TrainingPurchased(programme.TrainingPurchased):
        pass

    class TrainingCompleted(programme.TrainingCompleted):
        pass

    class TrainingReviewed(programme.TrainingReviewed):
        pass

    class SurveyCompleted(programme.SurveyCompleted):
        pass

    class IncentivePaymentInitiated(programme.IncentivePaymentInitiated):
        pass

    class IncentivePaid(programme.IncentivePaid):
        pass

    class IncentivePaymentRejected(programme.IncentivePaymentRejected):
        pass

    class MembershipRevoked(programme.MembershipRevoked):
        pass
