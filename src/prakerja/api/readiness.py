"""What ``/ready`` reports, read in a few milliseconds from the service's own pool.

One connection of the service's pool answers every database question (the schema's
revision, followers stopped or stalled, the log's horizon), each a bounded query: counts
stop at :data:`LAG_CAP`. The broker is probed in the background (a TCP connection to it,
every :data:`BROKER_EVERY_S`): a probe never waits on the network. Breakers are those of
this process's clients. Only a database that cannot be used makes the service not ready
(503); everything else the service can work through shows as ``degraded``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from prakerja.clients import breaker_states
from prakerja.db.migrations import schema_status_on
from prakerja.eventstore.horizon import Horizon, horizon
from prakerja.eventstore.position import log_cursor
from prakerja.settings import Settings

LAG_CAP = 1_000
"""Events counted behind a follower (or the horizon) before the count says ``1,000+``."""

BROKER_EVERY_S = 5.0
_CONNECT_TIMEOUT_S = 1.0
_POOL_WAIT_S = 1.0

_FOLLOWERS = """
SELECT p.name, p.last_error, p.failed_event,
       extract(epoch FROM now() - p.updated_at)::float8,
       (SELECT count(*) FROM (SELECT 1 FROM prakerja_events e
          WHERE (e.transaction_id, e.notification_id) > (p.transaction_id, p.notification_id)
            AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          LIMIT %(cap)s) behind)
FROM log_positions p
WHERE p.name NOT LIKE '%%@%%'
   OR p.name IN (SELECT name || '@' || version FROM read_models)
ORDER BY p.name
"""


@dataclass(frozen=True)
class Reading:
    status: str
    """``ok``, ``degraded`` (working, with something to look at) or ``unavailable``."""
    checks: dict[str, str]

    @property
    def http_status(self) -> int:
        return 503 if self.status == "unavailable" else 200


class BrokerProbe:
    """Whether the broker accepts connections, refreshed in the background."""

    def __init__(
        self,
        url: str,
        *,
        every_s: float = BROKER_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        connect: Callable[[tuple[str, int], float], Any] = socket.create_connection,
    ) -> None:
        parts = urlsplit(url)
        default_port = 5672 if parts.scheme.startswith("amqp") else 6379
        self._address = (parts.hostname or "localhost", parts.port or default_port)
        self._every_s = every_s
        self._clock = clock
        self._connect = connect
        self._lock = threading.Lock()
        self._state = "not checked yet"
        self._checked_at = float("-inf")
        self._checking = False

    def state(self) -> str:
        """The last probe's result; starts a new probe (in a thread) when that one is old."""
        with self._lock:
            stale = self._clock() - self._checked_at >= self._every_s
            if stale and not self._checking:
                self._checking = True
                threading.Thread(target=self._probe, name="broker-probe", daemon=True).start()
            return self._state

    def probe_now(self) -> str:
        self._probe()
        return self._state

    def _probe(self) -> None:
        try:
            self._connect(self._address, _CONNECT_TIMEOUT_S).close()
            state = "ok"
        except OSError as error:
            state = f"unreachable: {type(error).__name__}"
        with self._lock:
            self._state, self._checked_at, self._checking = state, self._clock(), False


class Readiness:
    def __init__(
        self, settings: Settings, pool: ConnectionPool | None, broker: BrokerProbe | None
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._broker = broker

    @classmethod
    def of(cls, settings: Settings, pool: ConnectionPool | None) -> Readiness:
        probe = None if settings.broker_url is None else BrokerProbe(settings.broker_url)
        return cls(settings, pool, probe)

    def read(self) -> Reading:
        checks: dict[str, str] = {}
        degraded = False
        if self._pool is None:
            checks["database"] = "in-memory"
        else:
            try:
                with self._pool.connection(timeout=_POOL_WAIT_S) as conn:
                    database_ok, database_degraded = self._database(conn, checks)
            except (psycopg.Error, PoolTimeout) as error:
                checks["database"] = f"unreachable: {type(error).__name__}"
                return Reading("unavailable", checks)
            if not database_ok:
                return Reading("unavailable", checks)
            degraded |= database_degraded
        if self._broker is None:
            checks["broker"] = "none: workers run inside the service"
        else:
            checks["broker"] = state = self._broker.state()
            degraded |= state.startswith("unreachable")
        for service, state in sorted(breaker_states().items()):
            checks[f"breaker {service}"] = state
            degraded |= state != "closed"
        return Reading("degraded" if degraded else "ok", checks)

    def _database(self, conn: psycopg.Connection[Any], checks: dict[str, str]) -> tuple[bool, bool]:
        """(usable, degraded), the checks written into ``checks``."""
        status = schema_status_on(conn)
        checks["database"] = "ok"
        if not status.is_current:
            checks["schema"] = "behind: run `prakerja migrate`"
            return False, False
        checks["schema"] = "current"
        degraded = False
        stall_s = self._settings.projections.stall_warn_s
        rows = log_cursor(conn).execute(_FOLLOWERS, {"cap": LAG_CAP}).fetchall()
        for name, last_error, failed_event, idle_s, behind in rows:
            # Details (the error's text) are for `prakerja projections status` and the
            # logs, not this public page.
            if last_error:
                kind = last_error.split(":", 1)[0]
                checks[f"follower {name}"] = f"stopped at event {failed_event} ({kind})"
                degraded = True
            elif behind:  # readable events (below the horizon) it has not read yet
                count = f"{behind:,}{'+' if behind >= LAG_CAP else ''}"
                stalled = idle_s > stall_s
                moved = f"last moved {idle_s:,.0f} s ago"
                checks[f"follower {name}"] = f"{count} events behind, {moved}"
                degraded |= stalled
            else:
                checks[f"follower {name}"] = "current"
        # A transaction left open anywhere on the server holds every follower of the log.
        held = horizon(conn, cap=LAG_CAP)
        stuck = held.held_longer_than(self._settings.projections.horizon_warn_s)
        checks["horizon"] = horizon_check(held, stuck=stuck)
        return True, degraded or stuck


def horizon_check(held: Horizon, *, stuck: bool) -> str:
    """The horizon for the public probe: ages and counts, nothing about the sessions."""
    waiting = f"{held.events_behind_text} committed events wait"
    if held.oldest_age_s is None:
        return f"ok; {waiting}"
    age = f"{held.oldest_age_s:,.1f} s"
    if stuck:
        return f"held for {age} by a transaction ({held.oldest_state}); {waiting}"
    return f"ok (oldest transaction {age}); {waiting}"
