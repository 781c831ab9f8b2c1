"""The actors on each supported broker: in-memory (embedded default), Redis and RabbitMQ.

A message carries the applicant id only; a transient fault is retried with backoff; when
retries run out the case is delayed, never rejected; a duplicate message records nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import dramatiq
import pytest

from prakerja.clients.fakes import (
    FakeCivilRegistry,
    FakeEducationRegistry,
    FakeEmailService,
    FakeExclusionRegistry,
    FakeSmsGateway,
)
from prakerja.container import Container
from prakerja.domain.stages import Stage, StageStatus, Step
from prakerja.settings import VerificationSettings
from prakerja.verification.runner import DelayPolicy, Services, StepRunner
from prakerja.workers.actors import declare_actors
from prakerja.workers.broker import build_broker

FAST = VerificationSettings(max_retries=2, min_backoff_ms=10, max_backoff_ms=50)


def broker_urls() -> list[pytest.ParameterSet]:
    return [
        pytest.param(None, id="in-memory"),
        pytest.param(
            os.environ.get("PRAKERJA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
            id="redis",
            marks=pytest.mark.broker,
        ),
        pytest.param(
            os.environ.get("PRAKERJA_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            id="rabbitmq",
            marks=pytest.mark.broker,
        ),
    ]


@pytest.fixture(params=broker_urls())
def broker(request: pytest.FixtureRequest) -> Iterator[dramatiq.Broker]:
    built = build_broker(request.param)
    yield built
    built.close()


@pytest.fixture
def email() -> FakeEmailService:
    return FakeEmailService()


@pytest.fixture
def runner(container: Container, email: FakeEmailService) -> StepRunner:
    services = Services(
        email,
        FakeSmsGateway(),
        FakeCivilRegistry(today=dt.date(2026, 1, 1)),
        FakeEducationRegistry(),
        FakeExclusionRegistry(),
        container.photos,
    )
    return StepRunner(container.applicants, services, DelayPolicy(dt.timedelta(seconds=30)))


def run_messages(
    broker: dramatiq.Broker, runner: StepRunner, step: Step, *applicant_ids: uuid.UUID
) -> None:
    namespace = f"t{uuid.uuid4().hex[:8]}-"
    actors = declare_actors(broker, lambda: runner, FAST, namespace=namespace)
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=2)
    worker.start()
    try:
        for applicant_id in applicant_ids:
            actors[step].send(str(applicant_id))
        broker.join(actors[step].queue_name, timeout=30_000)
        worker.join()
    finally:
        worker.stop()
        forget_queues(broker, {actor.queue_name for actor in actors.values()})


def forget_queues(broker: dramatiq.Broker, queues: set[str]) -> None:
    """Leave no test queues behind on a shared broker."""
    broker.flush_all()
    channel = getattr(broker, "channel", None)  # RabbitMQ only
    if channel is not None:
        for queue in queues:
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                channel.queue_delete(name)


def test_a_message_sends_the_email_once_even_when_duplicated(
    broker: dramatiq.Broker, runner: StepRunner, email: FakeEmailService
) -> None:
    applicant_id = runner.applicants.register("siti@example.com", "rahasia-123").applicant_id
    run_messages(broker, runner, Step.SEND_EMAIL, applicant_id, applicant_id, applicant_id)
    assert len(email.sent) == 1
    names = [type(e).__name__ for e in runner.applicants.history(applicant_id)]
    assert names == ["Registered", "EmailVerificationSent"]


def test_transient_faults_are_retried_by_the_broker(
    broker: dramatiq.Broker, runner: StepRunner, email: FakeEmailService
) -> None:
    applicant_id = runner.applicants.register("ani@example.com", "rahasia-123").applicant_id
    email.fail_next(2)
    run_messages(broker, runner, Step.SEND_EMAIL, applicant_id)
    assert email.calls == 3  # two faults, then the send that went through
    assert len(email.sent) == 1
    assert runner.applicants.get(applicant_id).emails_sent == 1
    assert runner.applicants.get(applicant_id).stage(Stage.EMAIL).status is not StageStatus.DELAYED


def test_when_retries_run_out_the_case_is_delayed_not_rejected(
    broker: dramatiq.Broker, runner: StepRunner, email: FakeEmailService
) -> None:
    applicant_id = runner.applicants.register("budi@example.com", "rahasia-123").applicant_id
    email.fail_next(100)
    run_messages(broker, runner, Step.SEND_EMAIL, applicant_id)
    record = runner.applicants.get(applicant_id).stage(Stage.EMAIL)
    assert record.status is StageStatus.DELAYED
    assert record.detail["fault"] == "email"
