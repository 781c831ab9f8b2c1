"""Done when: on a simulated clock, non-buyers are revoked after 30 days and cannot rejoin;
buyers who finish are paid exactly Rp2.4M plus survey incentives, and the totals match the
rules to the rupiah.

PostgreSQL; purchases and completions come from the training-platform simulator as
signed webhooks into the API; the scheduler, the ledger follower, the payment enqueuer
and the Dramatiq payment actor (in-memory broker) all run on the test's clock; the
payment provider is its simulator over HTTP; finance reads the API.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import dramatiq
import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.application.incentive_payments import PaymentRunner
from prakerja.application.programme import Programme
from prakerja.clients.payments import HttpPaymentProvider
from prakerja.container import Container
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.programme import WIB, MembershipStatus, first_training_deadline
from prakerja.domain.wave import WaveStatus
from prakerja.projections.follower import LogFollower
from prakerja.projections.programme_ledger import ProgrammeLedger
from prakerja.simulators.config import FaultConfig, TrainingPlatformConfig
from prakerja.simulators.faults import FaultInjector
from prakerja.simulators.training import create_training_app
from prakerja.workers.broker import build_broker
from prakerja.workers.payments import PAYMENTS_QUEUE, PaymentEnqueuer, declare_payment_actor
from prakerja.workers.scheduler import Scheduler, sender, start_programme
from tests.api.documented import DocumentedClient
from tests.helpers import staff_headers
from tests.programme.conftest import (
    SimulatedClock,
    save_verified,
    trained_participants,
    wave_spec,
)

pytestmark = pytest.mark.postgres

MONTH = 600_000
SURVEY = 50_000


def deliver_into(api: TestClient[Any]) -> Callable[[str, bytes, dict[str, str]], int]:
    def deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
        return api.post(url, content=body, headers=headers).status_code

    return deliver


class Payments:
    """Ledger follower → enqueuer (on the clock) → Dramatiq actor → provider, run to rest."""

    def __init__(
        self, container: Container, programme: Programme, provider: HttpPaymentProvider
    ) -> None:
        assert container.pool is not None
        self.broker = build_broker(None)
        runner = PaymentRunner(container.applicants, provider, programme.clock)
        actor = declare_payment_actor(
            self.broker, lambda: runner, max_retries=3, min_backoff_ms=10, max_backoff_ms=50
        )
        self.ledger = LogFollower(
            container.applicants, container.pool, ProgrammeLedger(container.applicants)
        )
        self.enqueuer = PaymentEnqueuer(
            container.pool, sender(actor), programme.clock, dt.timedelta(minutes=10)
        )
        self.worker = dramatiq.Worker(self.broker, worker_threads=2, worker_timeout=50)

    def settle(self) -> None:
        self.ledger.catch_up()
        while self.enqueuer.step():
            pass
        self.broker.join(PAYMENTS_QUEUE, timeout=30_000)
        self.ledger.catch_up()


@pytest.fixture
def payments(
    pg_container: Container, pg_programme: Programme, provider: HttpPaymentProvider
) -> Iterator[Payments]:
    running = Payments(pg_container, pg_programme, provider)
    running.worker.start()
    yield running
    running.worker.stop()


def paid(programme: Programme, ids: list[UUID]) -> list[int]:
    return [programme.applicants.get(i).membership.total_paid for i in ids]


def test_thirty_days_then_four_months_on_a_simulated_clock(
    pg_container: Container,
    pg_programme: Programme,
    clock: SimulatedClock,
    provider: HttpPaymentProvider,
    payments: Payments,
) -> None:
    programme = pg_programme
    pg_container.payment_provider = provider
    scheduler = Scheduler(programme)
    ids = save_verified(programme.applicants, range(20_000, 20_030))
    start = clock.now
    programme.schedule_wave(
        wave_spec(
            1, 20, opens_at=start + dt.timedelta(hours=1), closes_at=start + dt.timedelta(days=4)
        ),
        by="ops",
    )
    programme.schedule_wave(
        wave_spec(
            2, 20, opens_at=start + dt.timedelta(days=60), closes_at=start + dt.timedelta(days=64)
        ),
        by="ops",
    )

    # The wave opens, fills, closes and is drawn on the scheduler's clock.
    clock.advance(hours=1)
    assert scheduler.tick() == ["opened 1"]
    for applicant_id in ids:
        programme.join_wave(applicant_id, 1, 64)
    clock.advance(days=4)
    assert scheduler.tick() == ["closed 1"]
    sk_date = clock.now.astimezone(WIB).date()
    programme.issue_decree(1, "SK-3/KP/2020", sk_date, by="ops")
    assert scheduler.tick() == ["sks delivered 1"]
    named = programme.draw_record(1).selected
    not_selected = [i for i in ids if i not in set(named)]
    buyers, non_buyers = list(named[:12]), list(named[12:])
    finishers, unreviewed, unfinished = buyers[:10], buyers[10], buyers[11]

    platform_config = TrainingPlatformConfig(
        webhook_url="/v1/training/webhooks/skillhub", duplicate_rate=0.5, delivery_attempts=2
    )
    with DocumentedClient(app=create_app(pg_container), raise_server_exceptions=False) as api:
        platform_app = create_training_app(
            platform_config,
            FaultInjector("training", FaultConfig(), seed=1),
            seed=1,
            deliver=deliver_into(api),
            clock=clock,
        )
        with TestClient(app=platform_app) as platform:
            # Twelve of the twenty buy a training within the 30 days, by webhook.
            clock.advance(days=10)
            orders = {}
            for number, buyer in enumerate(buyers):
                bought = platform.post(
                    "/orders",
                    json={
                        "participant_id": str(buyer),
                        "training_id": f"course-{number}",
                        "price": 300_000 + 10_000 * number,
                    },
                )
                assert bought.status_code == 201, bought.text
                assert {d["status"] for d in bought.json()["deliveries"]} == {200}
                orders[buyer] = bought.json()["order_id"]

            # The 30 days end: the scheduler revokes the eight who bought nothing.
            deadline = first_training_deadline(sk_date)
            clock.now = deadline - dt.timedelta(minutes=1)
            assert scheduler.tick() == []
            clock.now = deadline
            assert scheduler.tick() == ["deadline enforced 1"]
            wave = programme.wave(1)
            assert (wave.status, wave.revoked, wave.balance_returned) == (
                WaveStatus.DEADLINE_ENFORCED,
                8,
                8_000_000,
            )
            for applicant_id in non_buyers:
                membership = programme.applicants.get(applicant_id).membership
                assert membership.status is MembershipStatus.REVOKED
            late = platform.post(
                "/orders",
                json={"participant_id": str(non_buyers[0]), "training_id": "c", "price": 1},
            )
            assert late.json()["deliveries"][0]["status"] == 409

            sent = platform.get("/_admin/deliveries").json()
            assert len(sent) > len({d["event_id"] for d in sent})  # some arrived twice

            # Ten finish and review; one finishes without a review; one never finishes.
            clock.advance(days=5)
            for buyer in finishers:
                done = platform.post(f"/orders/{orders[buyer]}/completion", json={"reviewed": True})
                assert done.status_code == 201, done.text
            platform.post(f"/orders/{orders[unreviewed]}/completion", json={"reviewed": False})
            trained_at = clock.now
            for buyer in finishers:
                for survey in (1, 2, 3):
                    programme.complete_survey(buyer, survey, {"working": survey == 3})

            # Later waves: the revoked can never join; the not selected may.
            clock.now = start + dt.timedelta(days=60)
            assert scheduler.tick() == ["opened 2"]
            for revoked in non_buyers:
                with pytest.raises(TransitionNotAllowed) as refused:
                    programme.join_wave(revoked, 2, 90)
                assert refused.value.code == "membership_revoked"
            programme.join_wave(not_selected[0], 2, 90)

            # Incentives fall due month by month on the same clock.
            clock.now = trained_at + dt.timedelta(hours=1)
            payments.settle()
            assert paid(programme, finishers) == [MONTH + 3 * SURVEY] * 10
            for month in (2, 3, 4):
                clock.now = trained_at + dt.timedelta(days=30 * (month - 1), minutes=1)
                payments.settle()
                assert paid(programme, finishers) == [month * MONTH + 3 * SURVEY] * 10
            clock.advance(days=200)
            payments.settle()
            assert paid(programme, finishers) == [2_400_000 + 150_000] * 10
            assert paid(programme, [unreviewed, unfinished, *non_buyers]) == [0] * 10

            # Finance: the totals follow from the rules, to the rupiah.
            finance = staff_headers(api, "sari")
            summary = api.get("/v1/finance/summary", headers=finance)
            assert summary.status_code == 200, summary.text
            [wave_one] = summary.json()["waves"]
            spent = sum(300_000 + 10_000 * n for n in range(12))
            assert wave_one == {
                "wave_number": 1,
                "participants": 20,
                "revoked": 8,
                "training_balance_granted": 20 * 1_000_000,
                "training_spent": spent,
                "balance_returned": 8 * 1_000_000,
                "incentives_owed": 10 * 2_550_000,
                "incentives_paid": 10 * 2_550_000,
                "incentives_outstanding": 0,
                "incentives_not_yet_due": 0,
            }
            assert summary.json()["total"] == {**wave_one, "wave_number": None}
            reconciled = api.get("/v1/finance/reconciliation", headers=finance)
            assert reconciled.status_code == 200, reconciled.text
            body = reconciled.json()
            assert body["differences"] == []
            assert body["owed"] == body["recorded_paid"] == body["provider_paid"] == 25_500_000
            assert (
                api.get("/v1/finance/summary", headers=staff_headers(api, "bayu")).status_code
                == 403
            )


def test_the_background_loops_of_serve_pay_what_falls_due(
    pg_container: Container,
    pg_programme: Programme,
    clock: SimulatedClock,
    provider: HttpPaymentProvider,
) -> None:
    """``start_programme`` as ``prakerja serve`` runs it: ledger, enqueuer, actor, scheduler."""
    pg_container.payment_provider = provider
    participants = trained_participants(pg_programme, 3, surveys=1)
    stop = threading.Event()
    loops = start_programme(pg_container, build_broker(None), stop, in_memory_broker=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if paid(pg_programme, participants) == [MONTH + SURVEY] * 3:
                break
            time.sleep(0.2)
        assert paid(pg_programme, participants) == [MONTH + SURVEY] * 3
        clock.advance(days=30)  # the second month falls due on the loops' clock
        while time.monotonic() < deadline:
            if paid(pg_programme, participants) == [2 * MONTH + SURVEY] * 3:
                break
            time.sleep(0.2)
        assert paid(pg_programme, participants) == [2 * MONTH + SURVEY] * 3
    finally:
        stop.set()
        for worker in loops.workers:
            worker.stop(timeout=5000)
        for thread in loops.threads:
            thread.join(5)
