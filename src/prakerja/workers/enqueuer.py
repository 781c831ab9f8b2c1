"""Hands due work to the broker; offers again what was lost or delayed.

A work item is sent when it is due and was never sent, or was sent longer ago than the
redelivery timeout (a message lost with an in-memory broker, a worker that died). Sending
twice is harmless: actors are idempotent.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from uuid import UUID

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from prakerja.domain.stages import Step

_log = structlog.get_logger("prakerja.enqueuer")

Send = Callable[[Step, UUID], None]


class Enqueuer:
    def __init__(
        self, pool: ConnectionPool, send: Send, redelivery: dt.timedelta, batch: int = 500
    ) -> None:
        self._pool = pool
        self._send = send
        self._redelivery = redelivery
        self._batch = batch

    def step(self) -> int:
        with self._pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                "SELECT applicant_id, step FROM work_items"
                " WHERE due_at <= now() AND (enqueued_at IS NULL OR enqueued_at < now() - %s)"
                " ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED",
                (self._redelivery, self._batch),
            ).fetchall()
            for applicant_id, step in rows:
                self._send(Step(step), applicant_id)
            if rows:
                conn.cursor().executemany(
                    "UPDATE work_items SET enqueued_at = now()"
                    " WHERE applicant_id = %s AND step = %s",
                    rows,
                )
        return len(rows)

    def forget_sent(self) -> None:
        """After a restart with an in-memory broker, whatever was sent is gone."""
        with self._pool.connection() as conn:
            conn.execute("UPDATE work_items SET enqueued_at = NULL")

    def run(self, stop: threading.Event, idle_wait: float = 0.2) -> None:
        while not stop.is_set():
            try:
                if self.step() < self._batch:
                    stop.wait(idle_wait)
            except psycopg.OperationalError as error:
                _log.warning("database unavailable; retrying", error=str(error)[:200])
                stop.wait(2.0)
            except Exception as error:  # noqa: BLE001 - a broker outage must not stop us
                _log.warning(
                    "could not hand out work; retrying",
                    error_type=type(error).__name__,
                    error=str(error)[:200],
                )
                stop.wait(2.0)
