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

Work is derived from the log: the :class:`ProgrammeLedger` follower keeps
``incentive_payments`` equal to what the rules grant each participant (with due dates),
and the :class:`PaymentEnqueuer` sends what is due by the scheduler's clock and unpaid to
the ``payments`` queue, again after a redelivery timeout until it is recorded as paid. The
ledger also answers finance's questions; :func:`reconcile` checks it all against the
provider's statement.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

import dramatiq
import psycopg
import structlog
from dramatiq.middleware import CurrentMessage
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants, ConcurrentUpdate
from prakerja.application.programme import Clock, Programme
from prakerja.clients.errors import ServiceContractError, TransientServiceFault
from prakerja.clients.payments import (
    PaymentOrder,
    PaymentProvider,
    PaymentStatus,
    ProviderPayment,
)
from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import NotFound, TransitionNotAllowed
from prakerja.domain.programme import Entitlement, MembershipStatus, incentive_key
from prakerja.projections.follower import Logged

_log = structlog.get_logger("prakerja.payments")

PAYMENTS_QUEUE = "payments"


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


# ---------------------------------------------------------------- the ledger

LEDGER_EVENTS = (
    Applicant.SKIssued,
    Applicant.TrainingPurchased,
    Applicant.TrainingCompleted,
    Applicant.TrainingReviewed,
    Applicant.SurveyCompleted,
    Applicant.IncentivePaymentInitiated,
    Applicant.IncentivePaid,
    Applicant.IncentivePaymentRejected,
    Applicant.MembershipRevoked,
)


class ProgrammeLedger:
    """Follows participants' money events into ``programme_members`` and ``incentive_payments``.

    For each participant touched by a page it writes the aggregate's current state (upserts),
    so replaying a page after a crash changes nothing.
    """

    name = "programme-ledger"
    topics: Sequence[str] = tuple(get_topic(cls) for cls in LEDGER_EVENTS)

    def __init__(self, applicants: Applicants) -> None:
        self._applicants = applicants

    def handle(self, page: Sequence[Logged], cursor: psycopg.Cursor[Any]) -> None:
        members: list[tuple[Any, ...]] = []
        payments: list[tuple[Any, ...]] = []
        for applicant_id in dict.fromkeys(item.event.originator_id for item in page):
            applicant = self._applicants.get(applicant_id)
            membership = applicant.membership
            if membership.sk_number is None:
                continue
            granted = membership.training_balance + membership.training_spent
            granted += membership.balance_returned
            members.append(
                (
                    applicant_id,
                    membership.wave_id,
                    membership.wave_number,
                    membership.status.value,
                    membership.sk_number,
                    granted,
                    membership.training_spent,
                    membership.balance_returned,
                    membership.total_paid,
                )
            )
            for entitlement in membership.entitlements():
                slot = (entitlement.kind, entitlement.period)
                if slot in membership.paid:
                    status = "paid"
                elif slot in membership.rejected:
                    status = "rejected"
                elif slot in membership.initiated:
                    status = "initiated"
                else:
                    status = "owed"
                payments.append(
                    (
                        applicant_id,
                        entitlement.kind,
                        entitlement.period,
                        membership.wave_id,
                        membership.wave_number,
                        entitlement.amount,
                        entitlement.due_at,
                        incentive_key(applicant_id, entitlement.kind, entitlement.period),
                        status,
                    )
                )
        cursor.executemany(
            "INSERT INTO programme_members (applicant_id, wave_id, wave_number, status,"
            " sk_number, balance_granted, training_spent, balance_returned, incentives_paid)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (applicant_id) DO UPDATE SET wave_id = EXCLUDED.wave_id,"
            " wave_number = EXCLUDED.wave_number, status = EXCLUDED.status,"
            " sk_number = EXCLUDED.sk_number, balance_granted = EXCLUDED.balance_granted,"
            " training_spent = EXCLUDED.training_spent,"
            " balance_returned = EXCLUDED.balance_returned,"
            " incentives_paid = EXCLUDED.incentives_paid, updated_at = now()",
            members,
        )
        cursor.executemany(
            "INSERT INTO incentive_payments (applicant_id, kind, period, wave_id, wave_number,"
            " amount, due_at, idempotency_key, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (applicant_id, kind, period) DO UPDATE SET amount = EXCLUDED.amount,"
            " due_at = EXCLUDED.due_at, status = EXCLUDED.status, updated_at = now()",
            payments,
        )


class PaymentEnqueuer:
    """Sends each due, unpaid incentive to the payment actor; again after ``redelivery``."""

    def __init__(
        self,
        pool: ConnectionPool,
        send: Callable[[UUID, str, int], None],
        clock: Clock,
        redelivery: dt.timedelta,
        batch: int = 500,
    ) -> None:
        self._pool = pool
        self._send = send
        self._clock = clock
        self._redelivery = redelivery
        self._batch = batch

    def step(self) -> int:
        now = self._clock()
        with self._pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                "SELECT applicant_id, kind, period FROM incentive_payments"
                " WHERE status IN ('owed', 'initiated') AND due_at <= %s"
                " AND (enqueued_at IS NULL OR enqueued_at < %s)"
                " ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED",
                (now, now - self._redelivery, self._batch),
            ).fetchall()
            for applicant_id, kind, period in rows:
                self._send(applicant_id, kind, period)
            if rows:
                conn.cursor().executemany(
                    "UPDATE incentive_payments SET enqueued_at = %s"
                    " WHERE applicant_id = %s AND kind = %s AND period = %s",
                    [(now, *row) for row in rows],
                )
        return len(rows)

    def forget_sent(self) -> None:
        """After a restart with an in-memory broker, whatever was sent is gone."""
        with self._pool.connection() as conn:
            conn.execute("UPDATE incentive_payments SET enqueued_at = NULL")

    def run(self, stop: threading.Event, idle_wait: float = 1.0) -> None:
        while not stop.is_set():
            try:
                if self.step() < self._batch:
                    stop.wait(idle_wait)
            except Exception as error:  # noqa: BLE001 - a database or broker outage: retry
                _log.warning(
                    "could not hand out payments; retrying",
                    error_type=type(error).__name__,
                    error=str(error)[:200],
                )
                stop.wait(2.0)


# ----------------------------------------------------------------- the actor

_RETRYABLE = (
    TransientServiceFault,
    PaymentNotConfirmed,
    ConcurrentUpdate,
    psycopg.OperationalError,
)


def declare_payment_actor(
    broker: dramatiq.Broker,
    runner: Callable[[], PaymentRunner],
    *,
    max_retries: int,
    min_backoff_ms: int,
    max_backoff_ms: int,
    time_limit_ms: int = 120_000,
) -> dramatiq.Actor[..., None]:
    """The ``pay_incentive`` actor: ids only in the message; ``runner`` is built lazily."""

    def retry_when(retries: int, error: Exception) -> bool:
        return isinstance(error, _RETRYABLE) and retries < max_retries

    def pay_incentive(applicant_id: str, kind: str, period: int) -> None:
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message is not None else 0
        try:
            outcome = runner().run(UUID(applicant_id), kind, period)
        except NotFound:
            _log.warning("payment for an unknown applicant dropped", applicant_id=applicant_id)
            return
        _log.info(
            "incentive payment",
            applicant_id=applicant_id,
            kind=kind,
            period=period,
            outcome=outcome.value,
            retries=retries,
        )

    return dramatiq.Actor(
        pay_incentive,
        broker=broker,
        actor_name="pay_incentive",
        queue_name=PAYMENTS_QUEUE,
        priority=0,
        options={
            "retry_when": retry_when,
            "min_backoff": min_backoff_ms,
            "max_backoff": max_backoff_ms,
            "time_limit": time_limit_ms,
        },
    )


# ------------------------------------------------------- finance and reconciling


@dataclass(frozen=True)
class WaveMoney:
    """Money of one wave (or, with ``wave_number`` None, of all of them), in rupiah."""

    wave_number: int | None
    participants: int = 0
    revoked: int = 0
    training_balance_granted: int = 0
    training_spent: int = 0
    balance_returned: int = 0
    incentives_owed: int = 0
    """Due by now under the rules."""
    incentives_paid: int = 0
    incentives_not_yet_due: int = 0

    @property
    def incentives_outstanding(self) -> int:
        return self.incentives_owed - self.incentives_paid


def finance_summary(pool: ConnectionPool, now: dt.datetime) -> tuple[list[WaveMoney], WaveMoney]:
    """Per wave and in total, from the ledger (a read model: it may lag the log slightly)."""
    with pool.connection() as conn:
        members = conn.execute(
            "SELECT wave_number, count(*), count(*) FILTER (WHERE status = 'revoked'),"
            " sum(balance_granted), sum(training_spent), sum(balance_returned)"
            " FROM programme_members GROUP BY wave_number"
        ).fetchall()
        incentives = conn.execute(
            "SELECT wave_number,"
            " coalesce(sum(amount) FILTER (WHERE due_at <= %s), 0),"
            " coalesce(sum(amount) FILTER (WHERE status = 'paid'), 0),"
            " coalesce(sum(amount) FILTER (WHERE due_at > %s), 0)"
            " FROM incentive_payments GROUP BY wave_number",
            (now, now),
        ).fetchall()
    by_wave: dict[int, dict[str, int]] = defaultdict(dict)
    for number, count, revoked, granted, spent, returned in members:
        by_wave[number].update(
            participants=count,
            revoked=revoked,
            training_balance_granted=int(granted),
            training_spent=int(spent),
            balance_returned=int(returned),
        )
    for number, owed, paid, later in incentives:
        by_wave[number].update(
            incentives_owed=int(owed), incentives_paid=int(paid), incentives_not_yet_due=int(later)
        )
    waves = [WaveMoney(number, **values) for number, values in sorted(by_wave.items())]
    total = WaveMoney(
        None,
        **{
            name: sum(getattr(w, name) for w in waves)
            for name in (
                "participants",
                "revoked",
                "training_balance_granted",
                "training_spent",
                "balance_returned",
                "incentives_owed",
                "incentives_paid",
                "incentives_not_yet_due",
            )
        },
    )
    return waves, total


@dataclass(frozen=True)
class Difference:
    idempotency_key: str
    applicant_id: UUID | None
    issue: str
    owed: int
    recorded_paid: int
    provider_paid: int


@dataclass(frozen=True)
class Reconciliation:
    """What the rules say is owed, what we recorded as paid, what the provider settled."""

    as_of: dt.datetime
    waves: list[int]
    participants: int
    owed: int
    recorded_paid: int
    provider_paid: int
    differences: list[Difference] = field(default_factory=list)


def reconcile(
    programme: Programme, provider: PaymentProvider, waves: Sequence[int] | None = None
) -> Reconciliation:
    """Compare, payment by payment, the rules, our events and the provider's statement.

    Read from the aggregates themselves (not the ledger), so it checks the ledger too.
    Differences: ``unpaid`` (owed, nowhere paid), ``rejected`` (the provider refused it:
    staff must follow up), ``paid_not_recorded`` (the provider paid,
    we have no record: a crash between its answer and our save, until recovery),
    ``recorded_not_settled``, ``amount_mismatch``, ``paid_twice``, ``not_owed``.
    """
    now = programme.clock()
    numbers = list(waves) if waves is not None else [w.number for w in programme.waves()]
    statement: dict[str, list[int]] = defaultdict(list)
    for line in provider.statement():
        statement[line.idempotency_key].append(line.amount)
    ours: set[str] = set()
    owed_total = recorded_total = participants = 0
    differences: list[Difference] = []
    for number in numbers:
        wave = programme.wave(number)
        for roster in programme.rosters(wave):
            for applicant_id in sorted(roster.selected, key=str):
                participants += 1
                membership = programme.applicants.get(applicant_id).membership
                for entitlement in membership.entitlements():
                    key = incentive_key(applicant_id, entitlement.kind, entitlement.period)
                    ours.add(key)
                    slot = (entitlement.kind, entitlement.period)
                    owed = entitlement.amount if entitlement.due_at <= now else 0
                    recorded = entitlement.amount if slot in membership.paid else 0
                    settled = statement.get(key, [])
                    owed_total += owed
                    recorded_total += recorded
                    issue = (
                        "rejected"
                        if slot in membership.rejected
                        else _issue(owed, recorded, settled)
                    )
                    if issue is not None:
                        differences.append(
                            Difference(key, applicant_id, issue, owed, recorded, sum(settled))
                        )
    provider_total = sum(sum(statement[key]) for key in ours if key in statement)
    if waves is None:
        for key in sorted(statement.keys() - ours):
            differences.append(Difference(key, None, "not_owed", 0, 0, sum(statement[key])))
            provider_total += sum(statement[key])
    return Reconciliation(
        now, numbers, participants, owed_total, recorded_total, provider_total, differences
    )


def _issue(owed: int, recorded: int, settled: list[int]) -> str | None:
    provider = sum(settled)
    if len(settled) > 1:
        return "paid_twice"
    if owed == recorded == provider:
        return None
    if recorded == 0 and provider == 0:
        return "unpaid"
    if recorded == 0:
        return "paid_not_recorded"
    if provider == 0:
        return "recorded_not_settled"
    if owed == 0:
        return "not_owed"
    return "amount_mismatch"
