"""The composition root: everything the service uses is built here, from one Settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Mapper
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import get_topic
from prometheus_client import CollectorRegistry
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants, OtpLock
from prakerja.application.programme import Programme
from prakerja.application.review import ReviewDesk
from prakerja.clients.civil_registry import HttpCivilRegistry
from prakerja.clients.payments import HttpPaymentProvider
from prakerja.container import Container, client_configs
from prakerja.db.migrations import require_current
from prakerja.db.server import DatabaseAddress, resolve_database
from prakerja.eventstore.recorder import TransactionOrderedRecorder
from prakerja.metrics.exposition import process_registry
from prakerja.metrics.state import ServiceState
from prakerja.projections.review_queue import (
    InMemoryReviewQueue,
    PostgresReviewQueue,
    ReviewQueue,
)
from prakerja.security.access_log import AccessLog, InMemoryAccessLog, PostgresAccessLog
from prakerja.security.codes import Codes
from prakerja.security.counters import Counters, InMemoryCounters, PostgresCounters
from prakerja.security.keys import Keys, load_keys
from prakerja.security.passwords import Passwords
from prakerja.settings import Settings
from prakerja.storage.photos import (
    InMemoryPhotoStore,
    PhotoCipher,
    PhotoStore,
    PostgresPhotoStore,
)
from prakerja.tracing import TraceParents, tracer_provider
from prakerja.workers.dispatcher import APPLICANT_TOPICS


def event_store_env(
    settings: Settings, keys: Keys, database: DatabaseAddress | None
) -> dict[str, str]:
    """The eventsourcing library's settings, all derived from ours."""
    env = {
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": keys.cipher_key,
    }
    if database is not None:
        env.update(
            {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "CREATE_TABLE": "n",  # the schema belongs to migrations/
                "POSTGRES_DBNAME": database.dbname,
                "POSTGRES_HOST": database.host,
                "POSTGRES_PORT": str(database.port),
                "POSTGRES_USER": database.user,
                "POSTGRES_PASSWORD": database.password,
                "POSTGRES_POOL_SIZE": str(settings.db_pool_size),
                "POSTGRES_MAX_OVERFLOW": str(settings.db_pool_max_overflow),
                "POSTGRES_CONNECT_TIMEOUT": str(settings.db_connect_timeout),
                "POSTGRES_LOCK_TIMEOUT": str(settings.db_lock_timeout),
                "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": str(
                    settings.db_idle_in_transaction_timeout_s
                ),
                # No ping before each use of a pooled connection: it was a round trip per
                # statement (half of a registration's). A connection that died (a server
                # restart) fails its statement, which the library retries on another.
                "POSTGRES_PRE_PING": "n",
                # No table lock, no NOTIFY: the log is read in transaction order.
                "APPLICATION_RECORDER_TOPIC": get_topic(TransactionOrderedRecorder),
            }
        )
    else:
        env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
    # The application is named "prakerja": the library looks up PRAKERJA_<KEY> first,
    # which would otherwise let stray PRAKERJA_* variables override these.
    return {f"PRAKERJA_{key}": value for key, value in env.items()}


def bootstrap(
    settings: Settings,
    *,
    in_memory: bool = False,
    check_schema: bool = True,
    recorder_topic: str | None = None,
) -> Container:
    """Build the service. ``in_memory`` uses the in-memory event store (tests);
    ``recorder_topic`` another event-store recorder (benchmarks compare the library's)."""
    keys = load_keys(settings)
    database = None if in_memory else resolve_database(settings)
    if database is not None and check_schema:
        require_current(database)
    pool = _pool(settings, database)
    counters: Counters = (
        InMemoryCounters(keys.derive("limits"))
        if pool is None
        else PostgresCounters(pool, keys.derive("limits"))
    )
    limits = settings.limits
    event_store = event_store_env(settings, keys, database)
    if recorder_topic is not None:
        event_store["PRAKERJA_APPLICATION_RECORDER_TOPIC"] = recorder_topic
    applicants = Applicants(
        event_store,
        passwords=Passwords(settings.password_hashing),
        codes=Codes(keys.derive("email-token"), keys.derive("otp")),
        index_secret=keys.derive("unique-keys"),
        otp_ttl=dt.timedelta(seconds=settings.otp_ttl_seconds),
        otp_max_attempts=settings.otp_max_attempts,
        otp_lock=OtpLock(
            limits.otp_lock_attempts,
            dt.timedelta(seconds=limits.otp_lock_seconds),
            limits.otp_daily_attempts,
        ),
        counters=counters,
    )
    if database is not None:
        _pass_connection_options(applicants, database)
    cipher = PhotoCipher(keys.derive("photos"))
    retention = dt.timedelta(days=settings.face.photo_retention_days)
    photos: PhotoStore
    access_log: AccessLog
    review_queue: ReviewQueue
    if pool is None:
        photos = InMemoryPhotoStore(cipher, retention)
        access_log = InMemoryAccessLog()
        review_queue = InMemoryReviewQueue(applicants)
    else:
        photos = PostgresPhotoStore(pool, cipher, retention)
        access_log = PostgresAccessLog(pool)
        review_queue = PostgresReviewQueue(pool)
    if tracer_provider() is not None:
        applicants.trace_parents = TraceParents(pool)
    clients = client_configs(settings)
    return Container(
        settings=settings,
        keys=keys,
        applicants=applicants,
        photos=photos,
        counters=counters,
        access_log=access_log,
        # The API calls the civil registry rarely: for the photos reviewers compare.
        reviews=ReviewDesk(applicants, photos, HttpCivilRegistry(clients.civil_registry)),
        review_queue=review_queue,
        programme=Programme(
            applicants,
            index_secret=keys.derive("programme-index"),
            batch_size=settings.programme.batch_size,
        ),
        payment_provider=HttpPaymentProvider(clients.payments),
        client_configs=clients,
        metrics_registry=_metrics_registry(settings, applicants, pool),
        database=database,
        pool=pool,
        folding=None if database is None else ServiceLog(settings),
    )


@dataclass(frozen=True)
class ServiceLog:
    """The :class:`~prakerja.projections.folding.FoldingSource` of the service: each
    folding process builds the service from the same settings, with a small pool."""

    settings: Settings

    def open(self) -> tuple[ConnectionPool, Mapper[UUID]]:
        small = self.settings.model_copy(update={"db_pool_size": 2, "db_pool_max_overflow": 1})
        container = bootstrap(small, check_schema=False)
        assert container.pool is not None, "folding processes read PostgreSQL"
        return container.pool, container.applicants.mapper


def _pass_connection_options(applicants: Applicants, database: DatabaseAddress) -> None:
    """The event store's settings have no place for libpq options (``sslmode``,
    ``target_session_attrs``, ...): they join its pool's connection arguments, read at
    each new connection, and the connections it opened while starting are replaced."""
    factory = applicants.factory
    if database.options and isinstance(factory, PostgresFactory):
        pool = factory.datastore.pool
        assert isinstance(pool.kwargs, dict)
        pool.kwargs.update(database.options)
        if not pool.closed:  # connections of the start, some still being opened
            pool.wait()
            pool.drain()


def _pool(settings: Settings, database: DatabaseAddress | None) -> ConnectionPool | None:
    if database is None:
        return None
    return ConnectionPool(
        database.conninfo,
        # Set when the session starts (no round trip); see idle_in_transaction_options.
        kwargs={"options": idle_in_transaction_options(settings)},
        min_size=1,
        max_size=settings.db_pool_size,
        timeout=settings.db_connect_timeout,
        open=True,
        name="prakerja",
    )


def idle_in_transaction_options(settings: Settings) -> str:
    """libpq ``options`` ending a session of the service left idle inside a transaction.

    Any open transaction that wrote holds every follower of the log at its horizon, so
    the service bounds its own sessions (this pool, and the library's through its
    setting); set per session rather than on the role, which the service does not own
    and other programs (migrations, people in psql) share. Those show in the horizon
    lag of ``prakerja projections status`` and ``/ready``.
    """
    return f"-c idle_in_transaction_session_timeout={settings.db_idle_in_transaction_timeout_s}s"


def _metrics_registry(
    settings: Settings, applicants: Applicants, pool: ConnectionPool | None
) -> CollectorRegistry:
    if pool is None:
        return process_registry()
    state = ServiceState(
        pool, applicants, {"dispatcher": APPLICANT_TOPICS}, cache_s=settings.metrics.state_cache_s
    )
    return process_registry(state)
