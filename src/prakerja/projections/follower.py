"""Follow the event log in large pages, exactly once.

A follower reads the events after its recorded position, hands a whole page of decoded
events to its handler, and commits the handler's writes together with the new position
in one transaction. The position update is guarded by the old position, so a crash
replays the page and a second copy of the same follower cannot interleave. Positions
are pairs (transaction id, notification id) and pages are read below the horizon, the
oldest transaction still running (:mod:`prakerja.eventstore.reading`): nothing can
commit behind a follower's position, so nothing is skipped, although ids do not commit
in order; ids can have gaps, which mean nothing.

Where the page comes from is a :class:`LogSource`: by default the application's own
mapper (full domain events); read models use a faster source that decodes only the
fields they read (:mod:`prakerja.projections.decoding`).

A handler that fails stops the follower: the error and the event it failed on (the
first event of the page unless the handler raised :class:`EventFailed` naming one) are
recorded for ``prakerja projections status`` and ``/ready``, and the follower resumes
from the same position once restarted. Nothing is skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from uuid import UUID

import psycopg
import structlog
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import StoredEvent
from psycopg_pool import ConnectionPool

from prakerja.eventstore.position import START, Position, log_cursor
from prakerja.eventstore.reading import committed_so_far, read_page

_log = structlog.get_logger("prakerja.follower")


class Logged(NamedTuple):
    """One decoded event and its position in the log (a tuple: millions are made)."""

    position: Position
    event: DomainEventProtocol[Any]


@dataclass(frozen=True)
class Page:
    """Events read after a position, and how far the read covered.

    ``end`` is the last event's position, or further: when fewer events than asked
    for came back, nothing relevant exists up to the horizon, and a follower may move
    there (so a reader waiting for a position of an event it ignores is served).
    """

    items: Sequence[Logged]
    end: Position


class PageHandler(Protocol):
    """What a follower feeds: one page of events, inside the follower's transaction."""

    name: str
    topics: Sequence[str]

    def handle(self, page: Sequence[Logged], cursor: psycopg.Cursor[Any]) -> None: ...


class LogSource(Protocol):
    """Reads and decodes one page of the log."""

    def read(self, after: Position, limit: int, topics: Sequence[str]) -> Page: ...


class EventFailed(Exception):
    """Raised when one event could not be decoded or handled; it names the event."""

    def __init__(self, position: Position, error: BaseException) -> None:
        super().__init__(f"event {position.notification_id}: {type(error).__name__}: {error}")
        self.position = position
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:
        # Crosses process boundaries (parallel rebuilds); the cause may not pickle.
        cause = RuntimeError(f"{type(self.error).__name__}: {self.error}")
        return (EventFailed, (self.position, cause))


class FollowerConflict(RuntimeError):
    """Raised when another copy of the same follower moved the position first."""


class ApplicationSource:
    """Pages of full domain events, decoded by the application's mapper.

    A page short of full moves the end to the horizon: without that, a follower of rare
    topics would re-scan everything after its last event at each look, a cost that
    grows with the log."""

    def __init__(self, application: Application[Any], pool: ConnectionPool) -> None:
        self._application = application
        self._pool = pool

    def read(self, after: Position, limit: int, topics: Sequence[str]) -> Page:
        with self._pool.connection() as conn:
            rows, end = read_page(conn, after, limit, topics)
        mapper = self._application.mapper
        items = []
        for transaction_id, notification_id, originator_id, version, topic, state in rows:
            position = Position(transaction_id, notification_id)
            stored = StoredEvent(UUID(bytes=originator_id), version, topic, state)
            try:
                items.append(Logged(position, mapper.to_domain_event(stored)))
            except Exception as error:
                raise EventFailed(position, error) from error
        return Page(items, end)


class LogFollower:
    def __init__(
        self,
        application: Application[Any],
        pool: ConnectionPool,
        handler: PageHandler,
        page_size: int = 5000,
        *,
        source: LogSource | None = None,
    ) -> None:
        self._application = application
        self._pool = pool
        self.handler = handler
        self.page_size = page_size
        self.source: LogSource = source or ApplicationSource(application, pool)
        self._ensure_row()

    @property
    def name(self) -> str:
        return self.handler.name

    def position(self) -> Position:
        with self._pool.connection() as conn:
            return stored_position(conn, self.name)

    def step(self) -> int:
        """Process at most one page; returns how many events it handled (0 also when it
        only moved past events it ignores)."""
        start = self.position()
        try:
            page = self.source.read(start, self.page_size, self.handler.topics)
        except EventFailed as failed:
            self._record_failure(failed.position, failed.error)
            raise
        if page.end == start:
            return 0
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                if page.items:
                    self.handler.handle(page.items, cursor)
                advance(cursor, self.name, start, page.end)
        except FollowerConflict:
            raise
        except EventFailed as failed:
            self._record_failure(failed.position, failed.error)
            raise
        except Exception as error:
            self._record_failure(page.items[0].position, error)
            raise
        return len(page.items)

    def catch_up(self, timeout: float = 60.0) -> int:
        """Handle every event committed before the call; returns how many.

        Events of transactions still running then are waited for, up to ``timeout``
        (the horizon has to pass them: :mod:`prakerja.eventstore.reading`)."""
        with self._pool.connection() as conn:
            target = committed_so_far(conn)
        deadline = time.monotonic() + timeout
        done = 0
        while True:
            count = self.step()
            done += count
            if count:
                continue
            if self.position() >= target:
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not reach {target} in {timeout} s")
            time.sleep(0.01)

    def run(self, stop: threading.Event, idle_wait: float = 0.2) -> None:
        """Follow until ``stop`` is set; a failing handler stops the loop (after logging)."""
        _log.info("follower started", follower=self.name, position=str(self.position()))
        while not stop.is_set():
            try:
                # A page short of full reached the horizon: wait before the next, so a
                # steady trickle of events is handled in pages, not one event at a time.
                if self.step() < self.page_size:
                    stop.wait(idle_wait)
            except psycopg.OperationalError as error:
                _log.warning(
                    "database unavailable; retrying", follower=self.name, error=str(error)[:200]
                )
                stop.wait(2.0)
            except Exception:
                _log.exception("follower stopped on a failing event", follower=self.name)
                raise

    def _ensure_row(self) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                "INSERT INTO log_positions (name) VALUES (%s) ON CONFLICT DO NOTHING", (self.name,)
            )

    def _record_failure(self, position: Position, error: BaseException) -> None:
        record_failure(self._pool, self.name, position, error)


def stored_position(conn: psycopg.Connection[Any], name: str) -> Position:
    """A follower's position in ``log_positions`` (the start, if it has none yet)."""
    row = (
        log_cursor(conn)
        .execute(
            "SELECT transaction_id, notification_id FROM log_positions WHERE name = %s", (name,)
        )
        .fetchone()
    )
    return START if row is None else Position(row[0], row[1])


def advance(cursor: psycopg.Cursor[Any], name: str, start: Position, end: Position) -> None:
    """Move a follower from ``start`` to ``end`` (in the caller's transaction), or refuse."""
    cursor.execute(
        "UPDATE log_positions SET transaction_id = %s::text::xid8, notification_id = %s,"
        " updated_at = now(), last_error = NULL, failed_event = NULL"
        " WHERE name = %s AND transaction_id = %s::text::xid8 AND notification_id = %s",
        (*end, name, *start),
    )
    if cursor.rowcount != 1:
        raise FollowerConflict(f"{name} moved past {start} elsewhere")


def record_failure(
    pool: ConnectionPool, name: str, position: Position, error: BaseException
) -> None:
    """Keep the failing event (its id) and the error where status, logs and /ready see them."""
    with pool.connection() as conn:
        conn.execute(
            "UPDATE log_positions SET last_error = %s, failed_event = %s WHERE name = %s",
            (f"{type(error).__name__}: {error}"[:2000], position.notification_id, name),
        )


def wait_until(follower: LogFollower, position: Position, timeout: float) -> bool:
    """Read-your-writes: wait until the follower has processed ``position``."""
    deadline = time.monotonic() + timeout
    while follower.position() < position:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True
