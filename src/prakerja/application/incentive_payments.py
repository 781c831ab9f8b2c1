"""Incentive payments: never twice, never forgotten.

The protocol for one incentive (participant, kind, period):

1. **Intent first.** ``IncentivePaymentInitiated`` is saved on the applicant, with the
   idempotency key (deterministic: participant, kind, period) before the provider is called.
2. **Ask, then pay, with the key.** The provider is asked what it holds under the key
   (after a crash or a lost answer, it may have paid already); only if nothing, it is asked
   to pay. The provider makes at most one payment per key, so a retry, a duplicate message
   or two workers at once can never pay twice.
3. **Record the result.** ``IncentivePaid`` (or ``IncentivePaymentRejected``) with an
   optimistic-concurrency save; a second recorder finds it paid and does nothing. A
   payment the provider has not confirmed yet is asked about again later.

Work is derived from the log: the ledger (:mod:`prakerja.projections.programme_ledger`)
keeps ``incentive_payments`` equal to what the rules grant each participant, and the
enqueuer (:mod:`prakerja.workers.payments`) hands what is due and unpaid to the actor
that runs :class:`PaymentRunner`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from prakerja.application.applicants import Applicants
from prakerja.application.programme import Clock
from prakerja.clients.errors import ServiceContractError
from prakerja.clients.payments import (
    PaymentOrder,
    PaymentProvider,
    PaymentStatus,
    ProviderPayment,
)
from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.programme import Entitlement, MembershipStatus


class PaymentNotConfirmed(Exception):
    """Raised when the provider holds the payment but has not confirmed it yet: ask later."""


class PaymentMismatch(ServiceContractError):
    """Raised when the provider's payment under our key is not the one we asked for."""


class PaymentOutcome(StrEnum):
    PAID = "paid"
    REJECTED = "rejected"
    NOTHING_TO_DO = "nothing_to_do"


class PaymentRunner:
    """Pays one incentive, following the protocol above. Safe to run any number of times."""

    def __init__(self, applicants: Applicants, provider: PaymentProvider, clock: Clock) -> None:
        self.applicants = applicants
        self.provider = provider
        self.clock = clock

    def run(self, applicant_id: UUID, kind: str, period: int) -> PaymentOutcome:
        now = self.clock()
        applicant = self.applicants.get(applicant_id)
        owed = _owed(applicant, kind, period, now)
        if owed is None:
            return PaymentOutcome.NOTHING_TO_DO
        destination = applicant.phone
        if destination is None:
            raise TransitionNotAllowed("No verified e-wallet number.", code="no_destination")
        try:
            key = self._record_intent(applicant_id, kind, period, destination, now)
        except TransitionNotAllowed as refused:
            if refused.code in ("already_paid", "payment_rejected"):
                return PaymentOutcome.NOTHING_TO_DO
            raise
        payment = self.provider.find(key)
        if payment is None:
            order = PaymentOrder(key, owed.amount, destination, f"{applicant_id}/{kind}/{period}")
            payment = self.provider.pay(order)
        if payment.idempotency_key != key or payment.amount != owed.amount:
            raise PaymentMismatch("payments", "pay", f"payment {payment.payment_id} differs")
        if payment.status is PaymentStatus.PROCESSING:
            raise PaymentNotConfirmed(key)
        self._record_result(applicant_id, kind, period, payment)
        return (
            PaymentOutcome.PAID if payment.status is PaymentStatus.PAID else PaymentOutcome.REJECTED
        )

    def _record_intent(
        self, applicant_id: UUID, kind: str, period: int, destination: str, now: dt.datetime
    ) -> str:
        keys: list[str] = []

        def intend(current: Applicant) -> tuple[Aggregate, ...]:
            keys.append(current.initiate_incentive_payment(kind, period, destination, now))
            return (current,)

        self.applicants.update(applicant_id, intend)
        return keys[-1]

    def _record_result(
        self, applicant_id: UUID, kind: str, period: int, payment: ProviderPayment
    ) -> None:
        def record(current: Applicant) -> tuple[Aggregate, ...]:
            membership = current.membership
            if (kind, period) in membership.paid | membership.rejected:
                return (current,)  # recorded by another worker meanwhile: nothing to save
            if payment.status is PaymentStatus.PAID:
                current.record_incentive_paid(
                    kind,
                    period,
                    payment.amount,
                    payment.idempotency_key,
                    payment.payment_id,
                    paid_at=payment.settled_at or self.clock(),
                )
            else:
                current.record_incentive_rejected(
                    kind, period, payment.reason or "rejected", payment.payment_id, self.clock()
                )
            return (current,)

        self.applicants.update(applicant_id, record)


def _owed(applicant: Applicant, kind: str, period: int, now: dt.datetime) -> Entitlement | None:
    if applicant.membership.status is not MembershipStatus.TRAINED:
        return None
    return next(
        (e for e in applicant.membership.owed(now) if (e.kind, e.period) == (kind, period)),
        None,
    )
