"""Done when: with duplicate messages, provider timeouts, late confirmations and a worker
killed mid-payment, no participant is paid twice and none is left unpaid; reconciliation
shows zero differences.

PostgreSQL, the real HTTP client, and the payment-provider simulator over HTTP.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from prakerja.application.applicants import ConcurrentUpdate
from prakerja.application.incentive_payments import (
    PaymentNotConfirmed,
    PaymentOutcome,
    PaymentRunner,
)
from prakerja.application.programme import Programme
from prakerja.application.reconciliation import reconcile
from prakerja.clients.errors import TransientServiceFault
from prakerja.clients.payments import HttpPaymentProvider
from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.programme import incentive_key
from prakerja.projections.follower import LogFollower
from prakerja.projections.programme_ledger import ProgrammeLedger
from prakerja.settings import Settings
from prakerja.simulators import FaultConfig, RunningSimulators
from prakerja.simulators.config import PaymentBehaviour
from prakerja.workers.payments import PaymentEnqueuer
from tests.programme.conftest import ProviderAdmin, SimulatedClock, trained_participants

pytestmark = pytest.mark.postgres

EACH = 4 * 600_000 + 3 * 50_000

# A payment worker that dies, without any cleanup, right after the provider confirmed the
# payment and before our record of it: the worst moment to crash.
_CRASH_AFTER_PAYING = """
import datetime as dt, os, sys, uuid
from prakerja.bootstrap import bootstrap
from prakerja.clients.payments import HttpPaymentProvider, PaymentStatus
from prakerja.container import client_configs
from prakerja.settings import Settings
from prakerja.application.incentive_payments import PaymentRunner


class CrashAfterPaying:
    def __init__(self, real):
        self.real = real

    def find(self, key):
        return self.real.find(key)

    def pay(self, order):
        payment = self.real.pay(order)
        if payment.status is PaymentStatus.PAID:
            os._exit(137)
        return payment


settings = Settings()
now = dt.datetime.fromisoformat(sys.argv[1])
provider = CrashAfterPaying(HttpPaymentProvider(client_configs(settings).payments))
runner = PaymentRunner(bootstrap(settings).applicants, provider, lambda: now)
runner.run(uuid.UUID(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
"""


def crash_mid_payment(
    settings: Settings, urls: str, now: dt.datetime, applicant_id: UUID, kind: str, period: int
) -> int:
    env = {
        **os.environ,
        "PRAKERJA_DATABASE_URL": str(settings.database_url),
        "PRAKERJA_DATA_DIR": str(Path(settings.data_dir).resolve()),
        "PRAKERJA_SERVICES__PAYMENTS": urls,
        "PRAKERJA_LOG_LEVEL": "WARNING",
    }
    arguments = [now.isoformat(), str(applicant_id), kind, str(period)]
    return subprocess.run(
        [sys.executable, "-c", _CRASH_AFTER_PAYING, *arguments], env=env, check=False, timeout=60
    ).returncode


def unsettled(container: Container) -> int:
    assert container.pool is not None
    with container.pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM incentive_payments WHERE status IN ('owed', 'initiated')"
        ).fetchone()
    return int(row[0]) if row else 0


def test_faults_duplicates_and_a_crash_never_pay_twice_nor_leave_anyone_unpaid(
    pg_container: Container,
    pg_programme: Programme,
    pg_settings: Settings,
    clock: SimulatedClock,
    provider: HttpPaymentProvider,
    provider_admin: ProviderAdmin,
    payment_service: RunningSimulators,
) -> None:
    programme = pg_programme
    participants = trained_participants(programme, 8, extra=3)
    clock.advance(days=95)  # every monthly incentive and every survey is due
    runner = PaymentRunner(programme.applicants, provider, clock)

    # 1. Three workers die between the provider's confirmation and our record.
    for applicant_id in participants[:3]:
        code = crash_mid_payment(
            pg_settings, payment_service.urls.payments, clock.now, applicant_id, "monthly", 1
        )
        assert code == 137
        history = [type(e) for e in programme.applicants.history(applicant_id)]
        assert Applicant.IncentivePaymentInitiated in history
        assert Applicant.IncentivePaid not in history
    found = reconcile(programme, provider, [1])
    assert Counter(d.issue for d in found.differences)["paid_not_recorded"] == 3

    # 2. From now on the provider misbehaves: 503s, answers lost after paying, and
    #    payments confirmed only later.
    provider_admin.misbehave(
        PaymentBehaviour(confirm_after_s=0.3, lost_answer_rate=0.3, lost_answer_hang_s=0.4),
        FaultConfig(error_rate=0.2),
    )
    assert pg_container.pool is not None
    ledger = LogFollower(
        pg_container.applicants, pg_container.pool, ProgrammeLedger(pg_container.applicants)
    )
    messages: list[tuple[UUID, str, int]] = []
    enqueuer = PaymentEnqueuer(
        pg_container.pool,
        lambda a, k, p: messages.append((a, k, p)),
        clock,
        dt.timedelta(minutes=10),
    )

    def deliver(message: tuple[UUID, str, int]) -> str:
        try:
            return runner.run(*message).value
        except (TransientServiceFault, PaymentNotConfirmed, ConcurrentUpdate) as retry_later:
            return type(retry_later).__name__

    outcomes: Counter[str] = Counter()
    for _ in range(40):
        ledger.catch_up()
        if unsettled(pg_container) == 0:
            break
        messages.clear()
        while enqueuer.step():
            pass
        # Every message arrives twice, and the copies run at the same time.
        with ThreadPoolExecutor(6) as workers:
            outcomes.update(workers.map(deliver, messages * 2))
        clock.advance(minutes=11)  # past the redelivery timeout: unfinished ones come again
    assert unsettled(pg_container) == 0, outcomes

    # Nobody paid twice: one provider payment per incentive, under its own key.
    books = [p for p in provider_admin.payments() if p["amount"] > 0]
    per_key = Counter(p["idempotency_key"] for p in books)
    expected = {
        incentive_key(applicant_id, kind, period)
        for applicant_id in participants
        for kind, periods in (("monthly", range(1, 5)), ("survey", range(1, 4)))
        for period in periods
    }
    assert set(per_key) == expected
    assert set(per_key.values()) == {1}
    assert {p["status"] for p in books} == {"paid"}
    assert sum(p["requests"] for p in books) > len(books)  # retries and duplicates happened
    assert outcomes[PaymentOutcome.PAID.value] >= len(expected)
    assert outcomes[PaymentNotConfirmed.__name__] > 0  # late confirmations were seen

    # Nobody left unpaid, and every record once.
    for applicant_id in participants:
        applicant = programme.applicants.get(applicant_id)
        assert applicant.membership.total_paid == EACH
        paid = [
            e
            for e in programme.applicants.history(applicant_id)
            if type(e).__name__ == "IncentivePaid"
        ]
        assert len(paid) == 7

    checked = reconcile(programme, provider, [1])
    assert checked.differences == []
    assert checked.owed == checked.recorded_paid == checked.provider_paid == 8 * EACH


def test_a_refused_destination_is_recorded_not_retried_and_shows_in_reconciliation(
    pg_container: Container,
    pg_programme: Programme,
    clock: SimulatedClock,
    provider: HttpPaymentProvider,
    provider_admin: ProviderAdmin,
) -> None:
    [applicant_id] = trained_participants(pg_programme, 1, surveys=0)
    phone = pg_programme.applicants.get(applicant_id).phone
    assert phone is not None
    provider_admin.misbehave(PaymentBehaviour(reject_destinations=(phone,)))
    runner = PaymentRunner(pg_programme.applicants, provider, clock)
    assert runner.run(applicant_id, "monthly", 1) is PaymentOutcome.REJECTED
    assert runner.run(applicant_id, "monthly", 1) is PaymentOutcome.NOTHING_TO_DO
    assert runner.run(applicant_id, "monthly", 2) is PaymentOutcome.NOTHING_TO_DO  # not due
    [difference] = reconcile(pg_programme, provider, [1]).differences
    assert (difference.issue, difference.owed) == ("rejected", 600_000)
    assert pg_container.pool is not None
    LogFollower(
        pg_container.applicants, pg_container.pool, ProgrammeLedger(pg_container.applicants)
    ).catch_up()
    with psycopg.connect(pg_container.database.conninfo if pg_container.database else "") as conn:
        statuses: dict[str, str] = dict(
            conn.execute("SELECT kind || period, status FROM incentive_payments").fetchall()
        )
    assert statuses == {
        "monthly1": "rejected",
        "monthly2": "owed",
        "monthly3": "owed",
        "monthly4": "owed",
    }
