"""On RabbitMQ the service's queues are quorum queues (replicated in a cluster), and a
queue left from a deployment with classic queues is refused with what to do."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import dramatiq
import pika  # type: ignore[import-untyped]
import pika.exceptions  # type: ignore[import-untyped]
import pytest

from prakerja.workers.broker import build_broker
from prakerja.workers.quorum import QueueTypeMismatch, ServiceRabbitmqBroker

pytestmark = pytest.mark.broker

URL = os.environ.get("PRAKERJA_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
def queue_name() -> Iterator[str]:
    name = f"t{uuid.uuid4().hex[:8]}-verification"
    yield name
    with pika.BlockingConnection(pika.URLParameters(URL)) as connection:
        channel = connection.channel()
        for queue in (name, f"{name}.DQ", f"{name}.XQ"):
            channel.queue_delete(queue)


def declared_type(name: str) -> str:
    """The queue's type, as the broker has it: redeclaring it with another type fails."""
    for kind in ("classic", "quorum"):
        with pika.BlockingConnection(pika.URLParameters(URL)) as connection:
            channel = connection.channel()
            try:
                arguments: dict[str, object] = {"x-queue-type": kind}
                if not name.endswith(".XQ"):
                    arguments |= {
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": f"{name.removesuffix('.DQ')}.XQ",
                    }
                else:
                    arguments["x-message-ttl"] = 86400000 * 7
                channel.queue_declare(name, durable=True, arguments=arguments)
            except pika.exceptions.ChannelClosedByBroker as closed:
                if closed.reply_code != 406:  # PRECONDITION_FAILED: another type
                    raise
                continue
            return kind
    raise AssertionError(f"{name} is neither a classic nor a quorum queue")


def rabbitmq(queue_type: str = "quorum") -> ServiceRabbitmqBroker:
    broker = build_broker(URL, "classic" if queue_type == "classic" else "quorum")
    assert isinstance(broker, ServiceRabbitmqBroker)
    return broker


def test_the_queue_its_delay_queue_and_its_dead_letters_are_quorum_queues(
    queue_name: str,
) -> None:
    broker = rabbitmq()
    try:

        @dramatiq.actor(broker=broker, queue_name=queue_name)
        def step(applicant_id: str) -> None: ...

        step.send("an-applicant")
        broker.declare_queue(queue_name, ensure=True)
    finally:
        broker.close()
    assert [declared_type(n) for n in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ")] == [
        "quorum",
        "quorum",
        "quorum",
    ]


def test_classic_queues_are_still_declared_when_asked_for(queue_name: str) -> None:
    broker = rabbitmq("classic")
    try:
        broker.declare_queue(queue_name, ensure=True)
    finally:
        broker.close()
    assert declared_type(queue_name) == "classic"


def test_a_classic_queue_left_on_the_broker_is_refused_with_what_to_do(queue_name: str) -> None:
    classic = rabbitmq("classic")
    try:
        classic.declare_queue(queue_name, ensure=True)
    finally:
        classic.close()
    broker = rabbitmq()
    try:
        with pytest.raises(QueueTypeMismatch, match="drain and delete it") as refused:
            broker.declare_queue(queue_name, ensure=True)
    finally:
        broker.close()
    assert queue_name in str(refused.value)
