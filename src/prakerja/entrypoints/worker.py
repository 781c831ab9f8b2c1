"""Entry module for the ``dramatiq`` command (``prakerja worker`` runs it).

Dramatiq's CLI imports a module to find the broker and its actors, so this module, and
only this one, builds them at import time. The service itself (database connections,
clients, face models) is built lazily in each worker process, after the fork.
"""

from __future__ import annotations

from functools import cache

import dramatiq

from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.logs import configure_logging
from prakerja.metrics.exposition import WorkerMetrics
from prakerja.settings import Settings
from prakerja.tracing import configure_tracing
from prakerja.verification.runner import StepRunner
from prakerja.workers.actors import declare_actors
from prakerja.workers.broker import build_broker
from prakerja.workers.verification import build_runner

settings = Settings()
configure_logging(settings, "worker")
configure_tracing(settings, "worker")
broker = build_broker(settings.broker_url, settings.broker_queue_type)
if settings.metrics.port is not None:
    broker.add_middleware(WorkerMetrics())
dramatiq.set_broker(broker)


@cache
def _container() -> Container:
    return bootstrap(settings)


@cache
def _runner() -> StepRunner:
    return build_runner(_container())


actors = declare_actors(broker, _runner, settings.verification)
