"""The message broker: RabbitMQ in production, Redis supported, in-memory when none is set."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from prakerja.tracing import MessageTracing, tracer_provider

QueueType = Literal["quorum", "classic"]


def build_broker(url: str | None, queue_type: QueueType = "quorum") -> dramatiq.Broker:
    """A broker for ``url`` (amqp://… or redis://…), or an in-process one for ``None``.

    On RabbitMQ, ``queue_type`` says how the queues are declared
    (:mod:`prakerja.workers.quorum`)."""
    broker: dramatiq.Broker
    if url is None:
        broker = StubBroker()
    else:
        scheme = urlsplit(url).scheme
        if scheme in ("amqp", "amqps"):
            from prakerja.workers.quorum import ServiceRabbitmqBroker

            # Durable queues and persistent messages; publisher confirms, so a message
            # counts as sent only once RabbitMQ has taken responsibility for it.
            broker = ServiceRabbitmqBroker(queue_type, url=url, confirm_delivery=True)
        elif scheme in ("redis", "rediss"):
            from dramatiq.brokers.redis import RedisBroker

            broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]
        else:
            raise ValueError(f"unsupported broker URL scheme {scheme!r} (use amqp:// or redis://)")
    broker.add_middleware(CurrentMessage())
    if tracer_provider() is not None:
        broker.add_middleware(MessageTracing())
    return broker
