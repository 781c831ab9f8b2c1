"""RabbitMQ queues that survive the loss of a node: quorum queues.

A classic queue lives on one node of a RabbitMQ cluster: if that node is lost, so are
the verification steps waiting in it (the work ledger would send them again, after its
redelivery delay). A quorum queue is replicated (Raft) across the cluster's nodes and
confirms a message only once a majority holds it, so with publisher confirms a step the
enqueuer saw confirmed survives any minority of nodes. On one node (development, CI) it
behaves as a durable queue. Dramatiq declares three queues per actor queue (the queue,
its delay queue ``.DQ`` and its dead-letter queue ``.XQ``): all three are quorum queues.

RabbitMQ refuses to redeclare an existing queue with another type: a deployment that
ran with classic queues must drain and delete them first (``rabbitmqctl delete_queue``)
or keep ``broker_queue_type = "classic"``. That refusal is raised as
:class:`QueueTypeMismatch`, with what to do, rather than retried.
"""

from __future__ import annotations

from typing import Any

import pika.exceptions  # type: ignore[import-untyped]
from dramatiq.brokers.rabbitmq import DEAD_MESSAGE_TTL, RabbitmqBroker
from dramatiq.common import dq_name, xq_name

_PRECONDITION_FAILED = 406


class QueueTypeMismatch(RuntimeError):
    """A queue exists on the broker with other arguments (another type) than declared."""


class ServiceRabbitmqBroker(RabbitmqBroker):
    """Dramatiq's RabbitMQ broker, declaring its queues as ``queue_type`` says."""

    def __init__(self, queue_type: str, **options: Any) -> None:
        super().__init__(**options)
        self.queue_type = queue_type

    def _type_arguments(self) -> dict[str, Any]:
        return {"x-queue-type": self.queue_type}

    def _build_queue_arguments(self, queue_name: str) -> dict[str, Any]:
        arguments: dict[str, Any] = super()._build_queue_arguments(queue_name)  # type: ignore[no-untyped-call]
        return {**arguments, **self._type_arguments()}

    def _declare_queue(self, queue_name: str) -> Any:
        return self._declare(queue_name, self._build_queue_arguments(queue_name))

    def _declare_dq_queue(self, queue_name: str) -> Any:
        return self._declare(dq_name(queue_name), self._build_queue_arguments(queue_name))

    def _declare_xq_queue(self, queue_name: str) -> Any:
        # Dead messages expire in order from the head: a static TTL, as Dramatiq's own.
        arguments = {"x-message-ttl": DEAD_MESSAGE_TTL, **self._type_arguments()}
        return self._declare(xq_name(queue_name), arguments)

    def _declare(self, name: str, arguments: dict[str, Any]) -> Any:
        try:
            return self.channel.queue_declare(queue=name, durable=True, arguments=arguments)
        except pika.exceptions.ChannelClosedByBroker as closed:
            if closed.reply_code != _PRECONDITION_FAILED:
                raise
            del self.connection  # the broker closed the channel: start afresh next time
            raise QueueTypeMismatch(
                f"RabbitMQ queue {name!r} exists with other arguments than a"
                f" {self.queue_type} queue ({closed.reply_text}): drain and delete it, or set"
                " PRAKERJA_BROKER_QUEUE_TYPE to the type it has"
            ) from None
