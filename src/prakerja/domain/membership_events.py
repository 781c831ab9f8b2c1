"""The facts of an applicant's membership: waves, the decree, training, incentives.

Nested on :class:`~prakerja.domain.applicant.Applicant` under their own names, as the
verification events of :mod:`prakerja.domain.applicant_events` are; each ``apply``
hands the change to the :class:`~prakerja.domain.programme.Membership` value. Times are
fields: event bodies never read a clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from prakerja.domain.applicant_state import ApplicantState
from prakerja.domain.decisions import Reason, RecordedDecision
from prakerja.domain.rules import Rule


class JoinedBatch(Aggregate.Event):
    wave_id: UUID
    wave_number: int
    skills_test_score: int

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.joined(self.wave_id, self.wave_number)


class NotSelected(Aggregate.Event):
    wave_id: UUID
    evidence: dict[str, Any]

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.not_selected()


class SKIssued(Aggregate.Event):
    wave_id: UUID
    sk_number: str
    sk_date: dt.date
    training_balance: int
    first_training_deadline: dt.datetime | None = None

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.named_in_sk(
            self.sk_number, self.sk_date, self.training_balance, self.first_training_deadline
        )


class TrainingPurchased(Aggregate.Event):
    order_id: str
    platform: str
    training_id: str
    price: int
    purchased_at: dt.datetime | None = None

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.purchased(self.order_id, self.price)


class TrainingCompleted(Aggregate.Event):
    order_id: str
    review_given: bool
    completed_at: dt.datetime | None = None

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.completed(
            self.order_id, self.review_given, self.completed_at
        )


class TrainingReviewed(Aggregate.Event):
    order_id: str
    reviewed_at: dt.datetime

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.reviewed_training(
            self.order_id, self.reviewed_at
        )


class SurveyCompleted(Aggregate.Event):
    number: int
    answers: dict[str, Any]
    completed_at: dt.datetime

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.survey_completed(self.completed_at)


class IncentivePaymentInitiated(Aggregate.Event):
    kind: str
    period: int
    amount: int
    idempotency_key: str
    destination: str
    initiated_at: dt.datetime

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.payment_initiated(self.kind, self.period)


class IncentivePaid(Aggregate.Event):
    kind: str
    period: int
    amount: int
    idempotency_key: str
    provider_reference: str
    paid_at: dt.datetime | None = None

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.paid_incentive(
            self.kind, self.period, self.amount
        )


class IncentivePaymentRejected(Aggregate.Event):
    kind: str
    period: int
    idempotency_key: str
    reason: str
    provider_reference: str
    rejected_at: dt.datetime

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.payment_rejected(self.kind, self.period)


class MembershipRevoked(Aggregate.Event):
    reason: str
    rule: str
    evidence: dict[str, Any]
    balance_returned: int
    revoked_at: dt.datetime | None = None

    @property
    def decision(self) -> RecordedDecision:
        """The revocation as a decision: its one reason code and its one rule."""
        return RecordedDecision(
            outcome="revoked",
            rules=(Rule.parse(self.rule),),
            evidence=dict(self.evidence),
            reasons=(Reason(self.reason),),
        )

    def apply(self, applicant: ApplicantState) -> None:
        applicant.membership = applicant.membership.revoked(self.reason)
