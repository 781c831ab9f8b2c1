"""The event store's recorder: the library's PostgreSQL recorder without its global lock.

eventsourcing's ``PostgresApplicationRecorder`` runs every insert under
``LOCK TABLE … IN EXCLUSIVE MODE`` and a ``NOTIFY``, so that notification ids follow
commit order. Both serialise every writer of the system, the lock until the commit's
flush is done (commits cannot share a flush) and the ``NOTIFY`` through a
database-wide lock taken at commit. Nothing here listens. This subclass, selected with
the library's ``APPLICATION_RECORDER_TOPIC`` setting, inserts with ordinary row locks,
one statement, one round trip; each row records its transaction id (the column's
default, ``pg_current_xact_id()``), and readers follow the log by the pair
(:mod:`prakerja.eventstore.reading`), not by id.

Rows of one save are inserted sorted by aggregate id and version. Saves that share
uniqueness keys (``UniqueKey``, ``FamilyCard``) then take the keys' index entries in
the same order, so two of them cannot each hold a key the other waits for: the second
waits for the first and fails with ``IntegrityError`` (a real conflict, never retried
here: the application decides). A deadlock or serialization failure that still
happens (with some other writer) is an ``OperationalError`` to the library, and
``insert_events`` carries the library's own ``retry`` for those, as its does: up to ten
attempts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from uuid import UUID
from weakref import WeakSet

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    Notification,
    OperationalError,
    StoredEvent,
    Subscription,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from prakerja.eventstore.position import START, Position, RecordedId, log_cursor

MAX_ID = 2**63 - 1
"""No transaction id or notification id of the log is above PostgreSQL's ``bigint``."""

_BELOW_HORIZON = SQL("transaction_id < pg_snapshot_xmin(pg_current_snapshot())")
"""Rows of transactions older than every transaction still running: all settled."""


class TransactionOrderedRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = Identifier(self.datastore.schema, self.events_table_name)
        self._table = table
        # With CREATE_TABLE=y (the library's own tests): the table the migrations make.
        self.sql_create_statements[self.create_table_statement_index] = _create_table(
            table, Identifier(self.datastore.originator_id_type)
        )
        del self.sql_create_statements[self.create_insert_function_statement_index]
        self.sql_create_statements.append(
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (transaction_id, notification_id)").format(
                Identifier(f"{self.events_table_name}_transaction_id_idx"), table
            )
        )
        self.lock_table_statements = []
        self.lock_timeout_statement = SQL("SET lock_timeout = '{}s'").format(
            self.datastore.lock_timeout
        )
        self._timed: WeakSet[Connection[DictRow]] = WeakSet()
        self.insert_events_statement += SQL(
            ", originator_id, originator_version, transaction_id::text::bigint AS transaction_id"
        )
        self.max_notification_id_statement = SQL(
            "SELECT max(notification_id) FROM {} WHERE {}"
        ).format(table, _BELOW_HORIZON)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """One statement in autocommit mode: a transaction of its own, one round trip
        (no ``BEGIN``, no ``COMMIT``, no lock to take first). The library's retry, as on
        its own ``insert_events``, tries a deadlock again; an ``IntegrityError`` is not
        an ``OperationalError`` and goes to the caller."""
        if not stored_events:
            return None
        with (
            self._dropping_broken_connections(),
            self.datastore.get_connection() as conn,
            conn.cursor() as curs,
        ):
            if conn not in self._timed:
                # ``POSTGRES_LOCK_TIMEOUT`` bounded the wait for the table lock; it now
                # bounds a wait for another save's row, set once per session.
                curs.execute(self.lock_timeout_statement)
                self._timed.add(conn)
            return self.insert_rows(curs, stored_events)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's read of one aggregate's events, once per attempt of the same retry."""
        with self._dropping_broken_connections():
            events: Sequence[StoredEvent] = _select_events_once(
                self, originator_id, gt=gt, lte=lte, desc=desc, limit=limit
            )
            return events

    @contextmanager
    def _dropping_broken_connections(self) -> Iterator[None]:
        """On a failed statement, drop every dead connection the pool holds before the
        retry. Connections are not pinged before each use (a round trip per statement,
        half of a registration's): after a server restart every pooled connection is dead,
        and ten retries one connection at a time would not get past them."""
        try:
            yield
        except (InterfaceError, OperationalError):
            with suppress(Exception):
                self.datastore.pool.check()
            raise

    def insert_rows(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> list[RecordedId]:
        """Insert in the cursor's transaction (a datastore connection's: it knows the
        stored-event type); the ids in the order of ``stored_events``."""
        self._insert_stored_events(curs, stored_events)
        return self._fetch_ids_after_insert_events(curs, stored_events)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        """No table lock, no NOTIFY; the rows in a stable order."""
        rows = [
            self.construct_pg_stored_event(
                event.originator_id, event.originator_version, event.topic, event.state
            )
            for event in sorted(stored_events, key=_stable_order)
        ]
        curs.execute(self.insert_events_statement, (rows,), prepare=True)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> list[RecordedId]:
        recorded = {
            (row["originator_id"], row["originator_version"]): RecordedId(
                row["notification_id"], row["transaction_id"]
            )
            for row in curs.fetchall()
        }
        return [recorded[(e.originator_id, e.originator_version)] for e in stored_events]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The library's id-ordered read, of settled rows only (below the horizon).

        An id cursor is safe only while every insert takes the table lock, and this
        recorder takes none: a lower id can commit after a higher one was read. Follow
        the log by :class:`~prakerja.eventstore.position.Position`, as every reader here
        does."""
        conditions: list[Composed | SQL] = [_BELOW_HORIZON]
        params: list[Any] = []
        if start is not None:
            conditions.append(
                SQL("notification_id >= %s" if inclusive_of_start else "notification_id > %s")
            )
            params.append(start)
        if stop is not None:
            conditions.append(SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(SQL("topic = ANY(%s)"))
            params.append(list(topics))
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
            " WHERE {} ORDER BY notification_id LIMIT %s"
        ).format(self._table, SQL(" AND ").join(conditions))
        with self.datastore.get_connection() as conn, conn.cursor() as cursor:
            cursor.execute(statement, [*params, limit], prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in cursor.fetchall()
            ]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def position_of(self, notification_id: int) -> Position | None:
        """The pair of the event with this notification id (None: no such event)."""
        with self.datastore.get_connection() as conn:
            cursor = log_cursor(conn)
            row = cursor.execute(
                SQL(
                    "SELECT transaction_id, notification_id FROM {} WHERE notification_id = %s"
                ).format(self._table),
                (notification_id,),
            ).fetchone()
        if row is None:
            return None
        return Position(int(row["transaction_id"]), int(row["notification_id"]))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def log_end(self) -> tuple[int, int]:
        """(the next transaction id to be given out, the highest notification id)."""
        with self.datastore.get_connection() as conn:
            row = (
                log_cursor(conn)
                .execute(
                    SQL(
                        "SELECT pg_snapshot_xmax(pg_current_snapshot()) AS given_out,"
                        " coalesce(max(notification_id), 0) AS newest FROM {}"
                    ).format(self._table)
                )
                .fetchone()
            )
        assert row is not None
        return int(row["given_out"]), int(row["newest"])

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        raise NotImplementedError(
            "subscriptions need NOTIFY and an id cursor, neither of which this recorder"
            " supports: follow the log with prakerja.projections.follower.LogFollower"
        )


_select_events_once = PostgresApplicationRecorder.select_events.__wrapped__
"""The library's ``select_events`` without its retry (``functools.wraps`` keeps it)."""


def position_from_token(recorder: ApplicationRecorder, token: str) -> Position | None:
    """The position a client sent back: the pair, or a bare notification id (0: the
    start), whose pair is looked up. None: no write returned it (no event has that id,
    or its transaction id was never given out). The in-memory store writes one save at
    a time, so there an id alone is its position."""
    bare = "." not in token
    position = Position(0, int(token)) if bare else Position.parse(token)
    if max(position) > MAX_ID:
        return None
    if bare and position.notification_id == 0:
        return START
    if not isinstance(recorder, TransactionOrderedRecorder):
        newest = recorder.max_notification_id() or 0
        return position if position.notification_id <= newest else None
    if bare:
        found: Position | None = recorder.position_of(position.notification_id)
        return found
    given_out, newest = recorder.log_end()
    if position.transaction_id >= given_out or position.notification_id > newest:
        return None
    return position


def _stable_order(event: StoredEvent) -> tuple[Any, int]:
    return event.originator_id, event.originator_version


def _create_table(table: Identifier, id_type: Identifier) -> Composed:
    """The library's DDL for the events table, with the transaction id column."""
    return SQL(
        "CREATE TABLE IF NOT EXISTS {} ("
        "originator_id {} NOT NULL, "
        "originator_version bigint NOT NULL, "
        "topic text, "
        "state bytea, "
        "notification_id bigserial, "
        "transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(), "
        "PRIMARY KEY (originator_id, originator_version)) "
        "WITH ("
        "autovacuum_enabled = true, "
        "autovacuum_vacuum_threshold = 100000000, "
        "autovacuum_vacuum_scale_factor = 0.5, "
        "autovacuum_analyze_threshold = 1000, "
        "autovacuum_analyze_scale_factor = 0.01)"
    ).format(table, id_type)
