"""The follower that keeps the live version of a read model current.

It is a :class:`~prakerja.projections.follower.LogFollower` that writes batches rather
than pages: while it is behind, it folds page after page in memory (up to
``batch_events``) and writes them in one transaction with its new position; once
caught up, each batch is whatever arrived since the last one. Each write first checks,
holding the ``read_models`` row, that its version is still the live one: a rebuild
that switched versions meanwhile makes it drop the batch and continue on the new one.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import structlog
from eventsourcing.application import Application
from psycopg_pool import ConnectionPool

from prakerja.projections.base import Fold, ReadModel, VersionHandler
from prakerja.projections.decoding import EventTable, PayloadDecoder
from prakerja.projections.follower import (
    EventFailed,
    FollowerConflict,
    LogFollower,
    advance,
    record_failure,
)
from prakerja.projections.versions import live, require_live

_log = structlog.get_logger("prakerja.projections")


def event_table(
    application: Application[Any], pool: ConnectionPool, model: ReadModel
) -> EventTable:
    return EventTable(pool, PayloadDecoder(application.mapper, model.fields))


class ReadModelFollower(LogFollower):
    handler: VersionHandler
    source: EventTable

    def __init__(
        self,
        application: Application[Any],
        pool: ConnectionPool,
        model: ReadModel,
        *,
        page_size: int = 10_000,
        batch_events: int = 200_000,
        source: EventTable | None = None,
    ) -> None:
        self.model = model
        self.batch_events = batch_events
        with pool.connection() as conn:
            version = live(conn, model.kind).version
        super().__init__(
            application,
            pool,
            VersionHandler(model, version),
            page_size,
            source=source or event_table(application, pool, model),
        )

    def position(self) -> int:
        """The live version's position (switching to a new live version if there is one)."""
        with self._pool.connection() as conn:
            current = live(conn, self.model.kind)
        if current.version != self.handler.version:
            _log.info("read model switched", follower=self.model.kind, version=current.version)
            self.handler = VersionHandler(self.model, current.version)
        return current.position

    def step(self) -> int:
        """Fold pages until caught up or a batch is full, then write them once.

        When an event fails, the events before it are still written (the read model
        stops just before it), then the failure is recorded and raised.
        """
        start = self.position()
        handler = self.handler
        first = start + 1
        try:
            try:
                end, count, fold, first = self._fold(handler, start)
            except EventFailed as failed:
                if failed.position > start + 1:
                    end, count, fold, first = self._fold(handler, start, failed.position)
                    if end != start:
                        self._write(handler, fold, start, end)
                raise
            if end == start:
                return 0
            self._write(handler, fold, start, end)
        except (FollowerConflict, psycopg.OperationalError):
            raise
        except EventFailed as failed:
            record_failure(self._pool, handler.name, failed.position, failed.error)
            raise
        except Exception as error:
            record_failure(self._pool, handler.name, first, error)
            raise
        return count

    def _fold(
        self, handler: VersionHandler, start: int, before: int | None = None
    ) -> tuple[int, int, Fold, int]:
        """Fold a batch after ``start`` (and before ``before``): (end, events, fold, first)."""
        fold = self.model.fold(handler.schema, fresh=False)
        end, count, first = start, 0, start + 1
        for rows, covered in self.source.pages(start, self.page_size, handler.topics, before):
            items = self.source.decode_rows(rows)
            if items:
                first = items[0].position if count == 0 else first
                with self._pool.connection() as conn:  # one at a time: a small pool suffices
                    fold.apply(items, conn)
                count += len(items)
            end = covered
            if count >= self.batch_events:
                break
        return end, count, fold, first

    def _write(self, handler: VersionHandler, fold: Fold, start: int, end: int) -> None:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            require_live(cursor, self.model.kind, handler.version)
            fold.flush(cursor)
            advance(cursor, handler.name, start, end)

    def run(self, stop: threading.Event, idle_wait: float = 0.2) -> None:
        """Follow until ``stop``; a failing event stops this read model (others go on)."""
        _log.info("read model follower started", follower=self.name, position=self.position())
        while not stop.is_set():
            try:
                if self.step() == 0:
                    stop.wait(idle_wait)
            except FollowerConflict as conflict:
                _log.info("batch dropped; following again", follower=self.name, why=str(conflict))
            except psycopg.OperationalError as error:
                _log.warning(
                    "database unavailable; retrying", follower=self.name, error=str(error)[:200]
                )
                stop.wait(2.0)
            except Exception:
                _log.exception("read model stopped on a failing event", follower=self.name)
                raise


def wait_for(pool: ConnectionPool, kind: str, position: int, timeout: float) -> int | None:
    """Read-your-writes: wait until ``kind``'s live version has processed ``position``.

    Returns the position reached, or None if it was not reached within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        with pool.connection() as conn:
            reached = live(conn, kind).position
        if reached >= position:
            return reached
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)
