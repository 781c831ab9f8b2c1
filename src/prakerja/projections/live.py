"""The follower that keeps the live version of a read model current.

It is a :class:`~prakerja.projections.follower.LogFollower` that writes batches rather
than pages: while it is behind, it folds page after page in memory (up to
``batch_events``) and writes them in one transaction with its new position; once
caught up, each batch is whatever arrived since the last one. Each write first checks,
holding the ``read_models`` row, that its version is still the live one: a rebuild
that switched versions meanwhile makes it drop the batch and continue on the new one.

Given a folding source and more than one process, a follower that is far behind (at least
``parallel_lag`` events) folds each batch on several cores
(:mod:`prakerja.projections.parallel`) and still writes it in one transaction.
"""

from __future__ import annotations

import threading
import time
import zlib
from typing import Any

import psycopg
import structlog
from eventsourcing.application import Application
from psycopg_pool import ConnectionPool

from prakerja.eventstore.position import Position
from prakerja.eventstore.reading import batch_end, count_after
from prakerja.projections.base import Fold, ReadModel, VersionHandler
from prakerja.projections.decoding import EventTable, PayloadDecoder
from prakerja.projections.folding import FoldingSource
from prakerja.projections.follower import (
    EventFailed,
    FollowerConflict,
    LogFollower,
    advance,
    record_failure,
)
from prakerja.projections.parallel import ParallelFolder
from prakerja.projections.versions import live, require_live

_log = structlog.get_logger("prakerja.projections")
_STAGING_LOCK = 0x5052_4A  # advisory-lock class of the staging twins ("PRJ")


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
        folding: FoldingSource | None = None,
        processes: int = 1,
        parallel_lag: int = 100_000,
    ) -> None:
        self.model = model
        self.batch_events = batch_events
        self.parallel_lag = parallel_lag
        self.parallel_batches = 0
        """Batches folded by the worker processes (the rest were folded here)."""
        self._parallel = (
            ParallelFolder(folding, model.kind, processes, page_size)
            if folding is not None and processes > 1
            else None
        )
        with pool.connection() as conn:
            version = live(conn, model.kind).version
        super().__init__(
            application,
            pool,
            VersionHandler(model, version),
            page_size,
            source=source or event_table(application, pool, model),
        )

    def position(self) -> Position:
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
        if self._parallel is not None:
            done = self._parallel_step(self._parallel)
            if done is not None:
                return done
        start = self.position()
        handler = self.handler
        first = start
        try:
            try:
                end, count, fold, first = self._fold(handler, start)
            except EventFailed as failed:
                if failed.position > start:
                    end, count, fold, first = self._fold(handler, start, failed.position.before())
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
        self, handler: VersionHandler, start: Position, upto: Position | None = None
    ) -> tuple[Position, int, Fold, Position]:
        """Fold a batch after ``start`` (up to ``upto``): (end, events, fold, first event)."""
        fold = self.model.fold(handler.schema, fresh=False)
        end, count, first = start, 0, start
        for rows, covered in self.source.pages(start, self.page_size, handler.topics, upto):
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

    def _parallel_step(self, folder: ParallelFolder) -> int | None:
        """One batch folded by the worker processes, merged and written in one
        transaction; None when the serial step should run instead (not far behind,
        another copy of this follower busy, or an event failed: the serial step stops
        exactly there and reports it)."""
        start = self.position()
        handler = self.handler
        # Its own connection, in autocommit: the advisory lock (one parallel batch of a
        # follower at a time: they share the staging twins) lives as long as it does.
        conninfo = self._pool.conninfo
        assert isinstance(conninfo, str)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            if count_after(conn, start, None, self.parallel_lag, readable=True) < self.parallel_lag:
                return None
            lock = (_STAGING_LOCK, zlib.crc32(handler.name.encode()) & 0x7FFFFFFF)
            if not _scalar(conn, "SELECT pg_try_advisory_lock(%s, %s)", lock):
                return None
            try:
                tables = self.model.fold_tables(handler.schema)
                with conn.transaction(), conn.cursor() as cursor:
                    for table in tables:
                        table.create_twins(cursor)
                        table.clear_twins(cursor)  # a share left by a crash
                end = batch_end(conn, start, handler.topics, self.batch_events)
                clock = time.monotonic()
                try:
                    count = folder.fold(handler.version, start, end)
                except EventFailed:
                    return None
                except Exception as error:  # noqa: BLE001 - a worker died: fold it here instead
                    _log.warning(
                        "parallel catch-up failed; folding in this process",
                        follower=self.name,
                        error=f"{type(error).__name__}: {error}"[:300],
                    )
                    folder.close()
                    return None
                folded_s, clock = time.monotonic() - clock, time.monotonic()
                with conn.transaction(), conn.cursor() as cursor:
                    require_live(cursor, self.model.kind, handler.version)
                    for table in tables:
                        table.merge_staged(cursor)
                    advance(cursor, handler.name, start, end)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", lock)
        self.parallel_batches += 1
        _log.debug(
            "batch folded in parallel",
            follower=self.name,
            events=count,
            end=end,
            fold_s=round(folded_s, 3),
            merge_s=round(time.monotonic() - clock, 3),
        )
        # A batch short of ``batch_events`` reached the horizon (see batch_end).
        return count

    def start_workers(self) -> None:
        """Start the worker processes of a parallel catch-up now rather than at the first
        batch far behind (about 1.5 s here: a fork server and each worker's imports)."""
        if self._parallel is not None:
            self._parallel.start()

    def close(self) -> None:
        """Stop the worker processes of a parallel catch-up, if any were started."""
        if self._parallel is not None:
            self._parallel.close()

    def _write(self, handler: VersionHandler, fold: Fold, start: Position, end: Position) -> None:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            require_live(cursor, self.model.kind, handler.version)
            fold.flush(cursor)
            advance(cursor, handler.name, start, end)

    def run(self, stop: threading.Event, idle_wait: float = 0.2) -> None:
        """Follow until ``stop``; a failing event stops this read model (others go on)."""
        _log.info("read model follower started", follower=self.name, position=str(self.position()))
        try:
            self._follow(stop, idle_wait)
        finally:
            self.close()

    def _follow(self, stop: threading.Event, idle_wait: float) -> None:
        while not stop.is_set():
            try:
                # A batch short of full reached the horizon: wait before the next, so
                # a steady trickle of events is written in batches, not one per event.
                if self.step() < self.batch_events:
                    stop.wait(idle_wait)
            except FollowerConflict as conflict:
                _log.info("batch dropped; following again", follower=self.name, why=str(conflict))
            except psycopg.errors.UndefinedTable as error:
                # A rebuild switched versions and dropped the old one's tables between
                # this batch's read of the pointer and its read of the rows: the next
                # step reads the pointer again and follows the new version.
                _log.warning(
                    "read model's tables gone; reading its version again",
                    follower=self.name,
                    error=str(error)[:200],
                )
                stop.wait(0.5)
            except psycopg.OperationalError as error:
                _log.warning(
                    "database unavailable; retrying", follower=self.name, error=str(error)[:200]
                )
                stop.wait(2.0)
            except Exception:
                _log.exception("read model stopped on a failing event", follower=self.name)
                raise


def _scalar(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def wait_for(
    pool: ConnectionPool, kind: str, position: Position, timeout: float
) -> Position | None:
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
