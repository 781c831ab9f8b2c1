"""Incentive payments in the background: the enqueuer and the ``pay_incentive`` actor.

Work is derived from the log: the ledger (:mod:`prakerja.projections.programme_ledger`)
keeps ``incentive_payments`` equal to what the rules grant each participant (with due
dates), and the :class:`PaymentEnqueuer` sends what is due by the scheduler's clock and
unpaid to the ``payments`` queue, again after a redelivery timeout until it is recorded as
paid. The actor pays one incentive (:mod:`prakerja.application.incentive_payments`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from uuid import UUID

import dramatiq
import psycopg
import structlog
from dramatiq.middleware import CurrentMessage
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import ConcurrentUpdate
from prakerja.application.incentive_payments import (
    PaymentMismatch,
    PaymentNotConfirmed,
    PaymentOutcome,
    PaymentRunner,
)
from prakerja.application.programme import Clock
from prakerja.application.reconciliation import Difference, Reconciliation, reconcile
from prakerja.clients.errors import TransientServiceFault
from prakerja.domain.errors import NotFound
from prakerja.projections.programme_ledger import LEDGER_EVENTS, ProgrammeLedger
from prakerja.projections.queries.finance import WaveMoney, finance_summary

__all__ = [
    "LEDGER_EVENTS",
    "PAYMENTS_QUEUE",
    "Difference",
    "PaymentEnqueuer",
    "PaymentMismatch",
    "PaymentNotConfirmed",
    "PaymentOutcome",
    "PaymentRunner",
    "ProgrammeLedger",
    "Reconciliation",
    "WaveMoney",
    "declare_payment_actor",
    "finance_summary",
    "reconcile",
]
"""What this module held before it was split, still importable from here."""

_log = structlog.get_logger("prakerja.payments")

PAYMENTS_QUEUE = "payments"


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
