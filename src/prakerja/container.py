"""What the service is made of: the parts every process (API, workers, dispatcher,
scheduler, CLI commands) is given, all built by :mod:`prakerja.bootstrap` from one
Settings. The types live here, below the API and the workers that use them, so that
nothing but the composition root (and the entry points above it) imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from prakerja.application.programme import Programme
from prakerja.application.review import ReviewDesk
from prakerja.clients.config import ClientConfig
from prakerja.clients.payments import PaymentProvider
from prakerja.db.server import DatabaseAddress
from prakerja.projections.folding import FoldingSource
from prakerja.projections.review_queue import ReviewQueue
from prakerja.security.access_log import AccessLog
from prakerja.security.counters import Counters
from prakerja.security.keys import Keys
from prakerja.settings import Settings
from prakerja.storage.photos import PhotoStore


@dataclass(frozen=True)
class ClientConfigs:
    """How each external service is called (address, timeouts, retries, breaker): every
    client of every process is built from these, so a setting means the same everywhere."""

    civil_registry: ClientConfig
    education: ClientConfig
    email: ClientConfig
    sms: ClientConfig
    exclusions: ClientConfig
    payments: ClientConfig


def client_configs(settings: Settings) -> ClientConfigs:
    urls = settings.services

    def config(base_url: str) -> ClientConfig:
        return ClientConfig(
            base_url=base_url,
            connect_timeout_s=urls.connect_timeout_s,
            read_timeout_s=urls.read_timeout_s,
            retry_attempts=urls.retry_attempts,
            breaker_failure_threshold=urls.breaker_failure_threshold,
            breaker_reset_s=urls.breaker_reset_s,
        )

    return ClientConfigs(
        civil_registry=config(urls.civil_registry),
        education=config(urls.education),
        email=config(urls.email),
        sms=config(urls.sms),
        exclusions=config(urls.exclusions),
        payments=config(urls.payments),
    )


@dataclass
class Container:
    """The built service: what the API, the workers and the CLI commands use.

    Tests may replace a part before using it (a programme on a clock they control, a
    payment provider that misbehaves): whoever needs one reads it from here each time.
    """

    settings: Settings
    keys: Keys
    applicants: Applicants
    photos: PhotoStore
    counters: Counters
    access_log: AccessLog
    reviews: ReviewDesk
    review_queue: ReviewQueue
    programme: Programme
    payment_provider: PaymentProvider
    client_configs: ClientConfigs
    metrics_registry: CollectorRegistry
    """What the API's ``/metrics`` answers: this host's API processes, and the database's
    state (see :mod:`prakerja.metrics.exposition`)."""
    database: DatabaseAddress | None = None
    pool: ConnectionPool | None = None
    folding: FoldingSource | None = None
    """How rebuilds and far-behind followers open the log in their worker processes
    (``None`` in memory)."""

    def close(self) -> None:
        self.applicants.close()
        self.reviews.close()
        if self.pool is not None:
            self.pool.close()
