"""The background work ``prakerja up`` and ``serve`` run in-process when no broker is set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from prakerja.container import Container
from prakerja.workers.loops import EMBEDDED, supervise
from prakerja.workers.supervisor import Supervisor

_log = structlog.get_logger("prakerja.pipeline")


@dataclass
class InProcessPipeline:
    """Every background loop of the service, and its Dramatiq workers, in this process.

    The in-memory brokers lose their queues when the process stops; the work ledger does
    not, and on start everything it holds is offered again.

    A Dramatiq worker owns its broker (one worker per process, on RabbitMQ), so each
    in-process worker gets an in-memory broker of its own, holding its queue alone.
    """

    container: Container
    supervisor: Supervisor | None = field(default=None, init=False)

    def start(self) -> None:
        self.supervisor = supervise(self.container, EMBEDDED, broker_url=None)
        self.supervisor.start()
        _log.info("background work running in-process")

    @property
    def workers(self) -> list[Any]:
        return [] if self.supervisor is None else self.supervisor.workers

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
