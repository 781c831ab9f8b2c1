"""The programme's time-based rules, run against one clock, and their background wiring.

Each tick asks every wave what its time and state call for: open at its opening time,
close (and draw) at its closing time, tell candidates the outcome once a decree is
recorded, and revoke participants without a training once the 30 days have passed. Every
step is idempotent and resumable, so ticks may overlap with ops' own commands, with each
other, or with a crash. Incentives fall due on the same clock, through the payment
enqueuer (:mod:`prakerja.workers.payments`). Tests drive both with a clock they control.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import cache, partial
from typing import Any

import dramatiq
import structlog

from prakerja.application.programme import Clock, Programme
from prakerja.clients.payments import PaymentProvider
from prakerja.clients.training import DEVELOPMENT_SECRET
from prakerja.container import Container
from prakerja.domain.errors import DomainError
from prakerja.domain.wave import Wave, WaveStatus
from prakerja.projections.follower import LogFollower
from prakerja.security.keys import MissingSecret
from prakerja.settings import Mode, Settings
from prakerja.workers.payments import (
    PAYMENTS_QUEUE,
    PaymentEnqueuer,
    PaymentRunner,
    ProgrammeLedger,
    declare_payment_actor,
)
from prakerja.workers.supervisor import Loop, Supervisor

_log = structlog.get_logger("prakerja.scheduler")


class Scheduler:
    def __init__(self, programme: Programme) -> None:
        self.programme = programme

    def tick(self) -> list[str]:
        """Do what is due now; returns what was done (``"closed 3"``, …)."""
        done: list[str] = []
        for wave in self.programme.waves():
            try:
                done.extend(self._advance(wave, self.programme.clock()))
            except DomainError as error:
                # Someone else moved the wave meanwhile, or a rule refused: next tick sees.
                _log.warning("wave step refused", wave=wave.number, code=error.code)
        return done

    def _advance(self, wave: Wave, now: dt.datetime) -> list[str]:
        done = []
        number = wave.number
        if wave.status is WaveStatus.SCHEDULED and wave.opens_at <= now < wave.closes_at:
            wave = self.programme.open_wave(number, by="scheduler")
            done.append(f"opened {number}")
        closing = wave.status is WaveStatus.CLOSING  # a close interrupted halfway
        if closing or (wave.status is WaveStatus.OPEN and now >= wave.closes_at):
            wave = self.programme.close_wave(number, by="scheduler")
            done.append(f"closed {number}")
        if wave.status is WaveStatus.DECREED:
            self.programme.deliver_sks(number)
            done.append(f"sks delivered {number}")
            wave = self.programme.wave(number)
        deadline = wave.first_training_deadline
        if wave.status is WaveStatus.SK_DELIVERED and deadline is not None and now >= deadline:
            self.programme.enforce_first_training_deadline(number)
            done.append(f"deadline enforced {number}")
        return done

    def run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.is_set():
            try:
                for action in self.tick():
                    _log.info("scheduler", action=action)
            except Exception as error:  # noqa: BLE001 - a database outage: try next round
                _log.warning("scheduler tick failed", error_type=type(error).__name__)
            stop.wait(interval_s)


def build_programme(container: Container, clock: Clock | None = None) -> Programme:
    settings = container.settings
    return Programme(
        container.applicants,
        index_secret=container.keys.derive("programme-index"),
        clock=clock,
        batch_size=settings.programme.batch_size,
    )


def programme_of(container: Container) -> Programme:
    """The container's programme service (routes and commands that take the container)."""
    return container.programme


def provider_of(container: Container) -> PaymentProvider:
    """The container's payment-provider client."""
    return container.payment_provider


def programme_loops(
    container: Container, broker: dramatiq.Broker, *, in_memory_broker: bool
) -> tuple[list[Loop], list[dramatiq.Worker]]:
    """The programme's background work: the ledger follower, the payment enqueuer and
    the scheduler, with the payment workers when ``broker`` is this process's own."""
    assert container.pool is not None, "the programme's background work needs PostgreSQL"
    refuse_development_secrets(container.settings)
    settings = container.settings.programme
    programme = container.programme
    runner = cache(
        lambda: PaymentRunner(container.applicants, container.payment_provider, programme.clock)
    )
    actor = declare_payment_actor(
        broker,
        runner,
        max_retries=settings.payment_max_retries,
        min_backoff_ms=settings.payment_min_backoff_ms,
        max_backoff_ms=settings.payment_max_backoff_ms,
    )
    enqueuer = PaymentEnqueuer(
        container.pool,
        sender(actor),
        programme.clock,
        dt.timedelta(seconds=settings.payment_redelivery_s),
    )
    if in_memory_broker:
        enqueuer.forget_sent()
    ledger = LogFollower(
        container.applicants, container.pool, ProgrammeLedger(container.applicants)
    )
    scheduler = Scheduler(programme)
    workers = [
        dramatiq.Worker(
            broker, queues={PAYMENTS_QUEUE}, worker_threads=settings.payment_worker_threads
        )
    ]
    loops = [
        Loop("programme-ledger", ledger.run, restart=False),
        Loop("payment-enqueuer", enqueuer.run),
        Loop("scheduler", partial(scheduler.run, interval_s=settings.scheduler_interval_s)),
    ]
    return loops, workers


def start_programme(
    container: Container, broker: dramatiq.Broker, stop: threading.Event, *, in_memory_broker: bool
) -> Supervisor:
    """Only the programme's background work, started in this process (needs PostgreSQL)."""
    loops, workers = programme_loops(container, broker, in_memory_broker=in_memory_broker)
    supervisor = Supervisor(loops, workers, stop=stop)
    supervisor.start()
    return supervisor


def sender(actor: dramatiq.Actor[..., None]) -> Callable[[Any, str, int], None]:
    def send(applicant_id: Any, kind: str, period: int) -> None:
        actor.send(str(applicant_id), kind, period)

    return send


def refuse_development_secrets(settings: Settings) -> None:
    """Production must not accept webhooks signed with the published development secret."""
    if settings.mode is not Mode.PRODUCTION:
        return
    for platform, secret in settings.programme.training_platforms.items():
        if secret.get_secret_value() == DEVELOPMENT_SECRET:
            raise MissingSecret(
                f"production mode needs a real webhook secret for training platform {platform}"
                " (PRAKERJA_PROGRAMME__TRAINING_PLATFORMS)"
            )
