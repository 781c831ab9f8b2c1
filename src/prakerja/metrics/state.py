"""What the database says at scrape time: followers' lag, the work ledger, funnel totals.

A custom collector: nothing is counted as it happens, the figures are read when
Prometheus asks, and kept a few seconds so that several scrapers (or a dashboard's
refresh) cost one read. Followers' positions come from
:func:`prakerja.projections.follower_status.statuses`, the funnel from its totals view.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import psycopg
import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool, PoolTimeout

from prakerja.domain.stages import STEP_STAGE, Step
from prakerja.eventstore.horizon import horizon
from prakerja.eventstore.reading import newest_id
from prakerja.metrics.families import bounded
from prakerja.projections.follower_status import statuses
from prakerja.projections.queries.funnel import FunnelFilter, funnel_totals

_log = structlog.get_logger("prakerja.metrics")

_WORK = """
SELECT step,
       count(*) FILTER (WHERE enqueued_at IS NULL AND due_at <= now()),
       count(*) FILTER (WHERE enqueued_at IS NOT NULL),
       count(*) FILTER (WHERE enqueued_at IS NULL AND due_at > now()),
       coalesce(extract(epoch FROM now() - min(due_at) FILTER (WHERE due_at <= now())), 0)
FROM work_items GROUP BY step
"""


class ServiceState(Collector):
    """Gauges read from PostgreSQL; ``read`` is the (cached) reading, for tests too."""

    def __init__(
        self,
        pool: ConnectionPool,
        application: Any,
        other_topics: dict[str, Any],
        cache_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._application = application
        self._other_topics = other_topics
        self._cache_s = cache_s
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._families: list[Metric] = []

    def describe(self) -> Iterable[Metric]:
        return []  # not read at registration: the database may not be there yet

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if self._clock() - self._read_at >= self._cache_s:
                self._families = self._read()
                self._read_at = self._clock()
            families = self._families
        yield from families

    def _read(self) -> list[Metric]:
        up = GaugeMetricFamily("prakerja_state_up", "1 if the last read of the state worked")
        try:
            with self._pool.connection(timeout=2.0) as conn:
                found = [*self._followers(conn), *self._work(conn), self._funnel(conn)]
        except (psycopg.Error, PoolTimeout) as error:
            _log.warning("metrics: state not readable", error_type=type(error).__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *found]

    def _followers(self, conn: psycopg.Connection[Any]) -> list[Metric]:
        labels = ["follower", "version", "live"]
        position = GaugeMetricFamily(
            "prakerja_projection_position",
            "Notification id of the last event a follower has applied",
            None,
            labels,
        )
        lag = GaugeMetricFamily(
            "prakerja_projection_lag_events",
            "Events of its topics after its position",
            None,
            labels,
        )
        age = GaugeMetricFamily(
            "prakerja_projection_lag_seconds",
            "Age of the oldest event it has not applied (0 when current)",
            None,
            labels,
        )
        failed = GaugeMetricFamily(
            "prakerja_projection_failed", "1 if the follower is stopped on an event", None, labels
        )
        head = GaugeMetricFamily(
            "prakerja_event_log_head", "Notification id of the newest event (a count, not an order)"
        )
        head.add_metric([], newest_id(conn))
        held = horizon(conn)
        horizon_age = GaugeMetricFamily(
            "prakerja_log_horizon_age_seconds",
            "Age of the oldest transaction still running: followers wait behind it",
        )
        horizon_age.add_metric([], held.oldest_age_s or 0.0)
        behind = GaugeMetricFamily(
            "prakerja_log_horizon_events_behind",
            "Committed events not yet readable because an older transaction is still running",
        )
        behind.add_metric([], held.events_behind)
        rows = statuses(conn, self._application, self._other_topics)
        for row in rows:
            kind, _, version = row.name.partition("@")
            values = [bounded(kind), version if version.isdigit() else "", str(row.live).lower()]
            position.add_metric(values, row.position.notification_id)
            lag.add_metric(values, row.lag_events)
            age.add_metric(values, row.lag_seconds or 0.0)
            failed.add_metric(values, 1 if row.last_error else 0)
        return [head, horizon_age, behind, position, lag, age, failed]

    def _work(self, conn: psycopg.Connection[Any]) -> list[Metric]:
        items = GaugeMetricFamily(
            "prakerja_work_items",
            "The work ledger: steps owed, by stage and state (due: not yet handed to the"
            " broker; sent: handed over, not done; waiting: delayed after a fault)",
            None,
            ["stage", "state"],
        )
        oldest = GaugeMetricFamily(
            "prakerja_work_oldest_due_seconds",
            "How long the longest-due step of a stage has been owed",
            None,
            ["stage"],
        )
        counted = {row[0]: row for row in conn.execute(_WORK).fetchall()}
        for step in Step:
            stage = str(STEP_STAGE[step])
            _, due, sent, waiting, age = counted.get(step.value, (step.value, 0, 0, 0, 0))
            for state, count in (("due", due), ("sent", sent), ("waiting", waiting)):
                items.add_metric([stage, state], count)
            oldest.add_metric([stage], float(age))
        return [items, oldest]

    def _funnel(self, conn: psycopg.Connection[Any]) -> Metric:
        funnel = GaugeMetricFamily(
            "prakerja_funnel_applicants",
            "Applicants who reached each milestone, over the whole programme",
            None,
            ["milestone"],
        )
        for milestone, count in sorted(funnel_totals(conn, FunnelFilter()).items()):
            funnel.add_metric([bounded(milestone)], count)
        return funnel
