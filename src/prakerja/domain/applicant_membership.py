"""The programme commands of an applicant's case: waves, decree, training, incentives.

Mixed into :class:`~prakerja.domain.applicant.Applicant`; the rules themselves are the
:class:`~prakerja.domain.programme.Membership` value's. Times (joined, bought, completed,
paid) are passed in: event bodies never read a clock, and the scheduler's clock is the
one tests control.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from prakerja.domain.applicant_state import ApplicantState
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.membership_events import (
    IncentivePaid,
    IncentivePaymentInitiated,
    IncentivePaymentRejected,
    JoinedBatch,
    MembershipRevoked,
    NotSelected,
    SKIssued,
    SurveyCompleted,
    TrainingCompleted,
    TrainingPurchased,
    TrainingReviewed,
)
from prakerja.domain.programme import MembershipStatus, incentive_key
from prakerja.domain.programme import first_training_deadline as training_deadline_for


class MembershipCommands(ApplicantState):
    """What the programme, its providers and the payment worker ask of a verified case."""

    def join_wave(self, wave_id: UUID, wave_number: int, skills_test_score: int) -> None:
        self._require_case_open()
        if not self.is_verified:
            raise TransitionNotAllowed(
                "Finish every verification before joining a wave.", code="not_verified"
            )
        self.membership.require_can_join()
        self._record(
            JoinedBatch,
            wave_id=wave_id,
            wave_number=wave_number,
            skills_test_score=skills_test_score,
        )

    def mark_not_selected(self, wave_id: UUID, evidence: dict[str, Any]) -> None:
        self.membership.require_in_wave(wave_id)
        self._record(NotSelected, wave_id=wave_id, evidence=evidence)

    def issue_sk(
        self,
        wave_id: UUID,
        sk_number: str,
        sk_date: dt.date,
        training_balance: int,
        first_training_deadline: dt.datetime | None = None,
    ) -> None:
        self.membership.require_in_wave(wave_id)
        self._record(
            SKIssued,
            wave_id=wave_id,
            sk_number=sk_number,
            sk_date=sk_date,
            training_balance=training_balance,
            first_training_deadline=first_training_deadline or training_deadline_for(sk_date),
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
        self._record(
            TrainingPurchased,
            order_id=order_id,
            platform=platform,
            training_id=training_id,
            price=price,
            purchased_at=purchased_at,
        )

    def complete_training(
        self, order_id: str, review_given: bool, completed_at: dt.datetime
    ) -> None:
        self.membership.require_order(order_id)
        self._record(
            TrainingCompleted,
            order_id=order_id,
            review_given=review_given,
            completed_at=completed_at,
        )

    def review_training(self, order_id: str, reviewed_at: dt.datetime) -> None:
        """The review that, with the first completion, makes incentives owed."""
        self.membership.require_reviewable(order_id)
        self._record(TrainingReviewed, order_id=order_id, reviewed_at=reviewed_at)

    def complete_survey(
        self, number: int, answers: dict[str, Any], completed_at: dt.datetime
    ) -> None:
        self.membership.require_next_survey(number)
        self._record(SurveyCompleted, number=number, answers=answers, completed_at=completed_at)

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
            self._record(
                IncentivePaymentInitiated,
                kind=kind,
                period=period,
                amount=entitlement.amount,
                idempotency_key=key,
                destination=destination,
                initiated_at=initiated_at,
            )
        return key

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
        self._record(
            IncentivePaid,
            kind=kind,
            period=period,
            amount=amount,
            idempotency_key=idempotency_key,
            provider_reference=provider_reference,
            paid_at=paid_at,
        )

    def record_incentive_rejected(
        self, kind: str, period: int, reason: str, provider_reference: str, at: dt.datetime
    ) -> None:
        """The provider refused the payment for good (e.g. no account): staff follow it up."""
        self.membership.require_payable(kind, period)
        self._record(
            IncentivePaymentRejected,
            kind=kind,
            period=period,
            idempotency_key=incentive_key(self.id, kind, period),
            reason=reason,
            provider_reference=provider_reference,
            rejected_at=at,
        )

    def revoke_membership(
        self,
        reason: str,
        rule: str,
        evidence: dict[str, Any],
        revoked_at: dt.datetime | None = None,
    ) -> None:
        """Membership ends for good; the unspent training balance goes back to the fund."""
        self.membership.require_status(MembershipStatus.PARTICIPANT, MembershipStatus.IN_TRAINING)
        self._record(
            MembershipRevoked,
            reason=reason,
            rule=rule,
            evidence=evidence,
            balance_returned=self.membership.training_balance,
            revoked_at=revoked_at,
        )
