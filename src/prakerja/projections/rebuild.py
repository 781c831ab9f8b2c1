"""Zero-downtime rebuild: a new version built beside the live one, then one atomic switch.

1. Create the next version's empty tables (no indexes).
2. Fold the whole log in memory, page by page, and copy the result into the empty
   tables, a bounded transaction per COPY (a transaction as long as the load would hold
   every follower of the log at its horizon); if the states held pass ``max_held``
   (memory), write what is held and go on.
   With ``workers`` above 1, each of that many processes folds a share of the
   applicants (:mod:`prakerja.projections.partitions`).
3. Add the indexes, then catch up with events that arrived meanwhile, in batches.
4. Switch: holding the pointer row (the live follower waits), fold the last few events,
   point the ``reports`` views and the pointer at the new version, commit.
5. Drop the old version.

Readers keep using the old version until step 4 commits; the live follower keeps it
current until then. An event that fails stops the rebuild with
:class:`~prakerja.projections.follower.EventFailed` naming it; the new version is
dropped and the live one is untouched. Only one rebuild of a read model runs at a time
(an advisory lock); an interrupted one leaves the live version untouched, and the next
cleans up after it.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg_pool import ConnectionPool

from prakerja.eventstore.position import START, Position
from prakerja.eventstore.reading import horizon, newest_id
from prakerja.projections.base import Fold, ReadModel, schema_name, tracking_name
from prakerja.projections.decoding import EventTable
from prakerja.projections.folding import FoldingSource
from prakerja.projections.follower import advance
from prakerja.projections.partitions import fold_in_parallel
from prakerja.projections.tables import autocommit_cursor
from prakerja.projections.versions import (
    abandon_build,
    collapse_sums,
    create_indexes,
    create_version,
    drop_version,
    lock_pointer,
    switch,
)

_log = structlog.get_logger("prakerja.projections")

Progress = Callable[[str, int, Position, int], None]
"""Called as (phase, events folded, position reached, the log's newest notification id:
with the position's notification id, about how far through the log the phase is)."""


class RebuildRunning(RuntimeError):
    """Raised when another rebuild of the same read model holds its lock."""


@dataclass(frozen=True)
class Rebuilt:
    kind: str
    version: int
    replaced: int
    events: int
    position: Position
    seconds: float
    phases: dict[str, float]


@dataclass
class Rebuild:
    model: ReadModel
    conninfo: str
    pool: ConnectionPool
    source: EventTable
    page_size: int = 20_000
    max_held: int = 2_000_000
    catch_up_lag: int = 5_000
    lock_timeout_s: float = 5.0
    progress: Progress | None = None
    folding: FoldingSource | None = None
    """Needed for ``workers`` above 1: each worker process opens its own connections."""
    workers: int = 1

    def run(self) -> Rebuilt:
        started = time.monotonic()
        phases: dict[str, float] = {}
        with psycopg.connect(self.conninfo, autocommit=True) as admin:
            locked = admin.execute(
                "SELECT pg_try_advisory_lock(%s)", (_lock_key(self.model.kind),)
            ).fetchone()
            if not locked or not locked[0]:
                raise RebuildRunning(f"a rebuild of {self.model.kind} is already running")
            version = create_version(admin, self.model)
            name = tracking_name(self.model.kind, version)
            try:
                clock = time.monotonic()
                if self.workers > 1 and self.folding is not None:
                    position, events = self._bulk_in_parallel(admin, self.folding, name, version)
                else:
                    position, events = self._batch(name, version, START, fresh=True, phase="load")
                phases["load"] = time.monotonic() - clock
                clock = time.monotonic()
                create_indexes(admin, self.model, version)
                phases["indexes"] = time.monotonic() - clock
                clock = time.monotonic()
                while True:
                    position, folded = self._batch(
                        name, version, position, fresh=False, phase="catch-up"
                    )
                    events += folded
                    if folded <= self.catch_up_lag:  # what arrived meanwhile was little
                        break
                position, folded, replaced = self._switch(admin, name, version, position)
                events += folded
                phases["catch_up_and_switch"] = time.monotonic() - clock
            except BaseException:
                abandon_build(admin, self.model, version)
                raise
            clock = time.monotonic()
            drop_version(admin, self.model, replaced)
            phases["drop_old"] = time.monotonic() - clock
        seconds = time.monotonic() - started
        _log.info(
            "read model rebuilt",
            read_model=self.model.kind,
            version=version,
            events=events,
            seconds=round(seconds, 1),
        )
        return Rebuilt(self.model.kind, version, replaced, events, position, seconds, phases)

    def _bulk_in_parallel(
        self, admin: psycopg.Connection[Any], folding: FoldingSource, name: str, version: int
    ) -> tuple[Position, int]:
        """The whole log up to the horizon, folded by ``workers`` processes; (position,
        events)."""
        end, newest = horizon(admin), newest_id(admin)
        progress = self.progress

        def report(events: int, reached: Position) -> None:
            if progress is not None:
                progress("load", events, reached, newest)

        events = fold_in_parallel(
            folding,
            self.model.kind,
            version,
            end,
            self.workers,
            self.page_size,
            self.max_held,
            report,
        )
        collapse_sums(admin, self.model, version)
        with admin.transaction(), admin.cursor() as cursor:
            advance(cursor, name, START, end)
        return end, events

    def _batch(
        self, name: str, version: int, start: Position, *, fresh: bool, phase: str
    ) -> tuple[Position, int]:
        """Fold and write one batch; returns (new position, events folded).

        ``fresh``: the tables are empty and have no indexes yet, so rows are copied in,
        a transaction per COPY (nobody reads this version yet, and an interrupted
        rebuild drops it), then the position moves.
        """
        fold = self.model.fold(schema_name(self.model.kind, version), fresh=fresh)
        end, folded = self._fold(fold, name, start, self.max_held, phase)
        if end == start:
            return end, folded
        if fresh:
            with autocommit_cursor(self.conninfo) as cursor:
                fold.flush(cursor)
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                advance(cursor, name, start, end)
        else:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                self._write(fold, cursor, name, start, end)
        return end, folded

    def _switch(
        self, admin: psycopg.Connection[Any], name: str, version: int, start: Position
    ) -> tuple[Position, int, int]:
        """The last events and the switch, in one transaction holding the pointer."""
        for attempt in range(10):
            try:
                with admin.transaction(), admin.cursor() as cursor:
                    lock_pointer(cursor, self.model.kind, self.lock_timeout_s)
                    fold = self.model.fold(schema_name(self.model.kind, version), fresh=False)
                    end, folded = self._fold(fold, name, start, None, "switch")
                    if end != start:
                        self._write(fold, cursor, name, start, end)
                    replaced = switch(cursor, self.model, version)
                return end, folded, replaced
            except psycopg.errors.LockNotAvailable:
                _log.warning("switch waited too long for readers; retrying", attempt=attempt)
                time.sleep(1.0)
        raise TimeoutError(f"could not switch {self.model.kind} to v{version}: readers kept it")

    def _fold(
        self, fold: Fold, name: str, start: Position, limit: int | None, phase: str
    ) -> tuple[Position, int]:
        end, folded = start, 0
        for rows, covered in self.source.pages(start, self.page_size, self.model.topics):
            page = self.source.decode_rows(rows)  # an event that fails raises EventFailed
            with self.pool.connection() as conn:
                fold.apply(page, conn)
                newest = newest_id(conn) if self.progress is not None else 0
            folded += len(page)
            end = covered
            if self.progress is not None:
                self.progress(phase, folded, end, newest)
            if limit is not None and fold.held >= limit:
                break
        return end, folded

    def _write(
        self, fold: Fold, cursor: psycopg.Cursor[Any], name: str, start: Position, end: Position
    ) -> None:
        fold.flush(cursor)
        advance(cursor, name, start, end)


def _lock_key(kind: str) -> int:
    return zlib.crc32(f"prakerja-rebuild:{kind}".encode())
