"""Where Prometheus reads the metrics: the API's ``/metrics``, or a port of a process's own.

The API answers for its processes (all of them when ``serve --workers N`` shares a
folder) and adds what the database says (:class:`~prakerja.metrics.state.ServiceState`).
The dispatcher and the other followers serve their own process on
``PRAKERJA_METRICS__PORT``; Dramatiq's worker processes are served together by one
process that Dramatiq forks for :class:`WorkerMetrics` (the mechanism of its own
Prometheus middleware), on the same setting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import dramatiq
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from prakerja.metrics.families import families
from prakerja.metrics.multiprocess import process_exited, shared_folder


class _ThisProcess(Collector):
    """The default registry (this process's families, its CPU and memory) as a collector."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def process_registry(*extra: Collector) -> CollectorRegistry:
    """This process's metrics, or every process's of the shared folder, then ``extra``."""
    families()  # every family is listed from the start, before anything is counted
    registry = CollectorRegistry(auto_describe=False)
    folder = shared_folder()
    if folder is None:
        registry.register(_ThisProcess())
    else:
        MultiProcessCollector(registry, folder)  # type: ignore[no-untyped-call]
    for collector in extra:
        registry.register(collector)
    return registry


def serve_on_port(host: str, port: int, registry: CollectorRegistry | None = None) -> Any:
    """Serve ``/metrics`` on a port of its own, from a daemon thread; the server is returned."""
    server, _ = start_http_server(port, addr=host, registry=registry or process_registry())
    return server


class WorkerMetrics(dramatiq.Middleware):
    """Serve the metrics of every Dramatiq worker process of this command on one port."""

    @property
    def forks(self) -> list[Any]:
        return [serve_worker_metrics]

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        process_exited()


def serve_worker_metrics() -> int:
    """The process Dramatiq forks: serve the shared folder until told to stop."""
    from prakerja.settings import Settings

    settings = Settings()
    port = settings.metrics.port
    if port is None or shared_folder() is None:
        return 0
    serve_on_port(settings.metrics.host, port)
    threading.Event().wait()  # until Dramatiq's SIGTERM ends this process
    return 0
