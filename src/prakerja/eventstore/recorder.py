"""The event store's recorder: the library's PostgreSQL recorder, each event with its transaction.

Each row records the id of the top-level transaction that wrote it (the column's
default, ``pg_current_xact_id()``), and the recorder returns it with each notification
id, so a command can answer with the position of its write
(:class:`~prakerja.eventstore.position.Position`). Readers follow the log by that pair
(:mod:`prakerja.eventstore.reading`), not by id. Selected with the library's
``APPLICATION_RECORDER_TOPIC`` setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from prakerja.eventstore.position import Position, RecordedId, log_cursor

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
        self.insert_events_statement += SQL(
            ", originator_id, originator_version, transaction_id::text::bigint AS transaction_id"
        )
        self.max_notification_id_statement = SQL(
            "SELECT max(notification_id) FROM {} WHERE {}"
        ).format(table, _BELOW_HORIZON)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> list[RecordedId]:
        """The ids in the order of ``stored_events``, each with its transaction id."""
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

        An id cursor is safe only while every insert takes the table lock: a
        lower id can commit after a higher one was read. Follow the log by
        :class:`~prakerja.eventstore.position.Position`, as every reader here does."""
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


def position_from_token(recorder: ApplicationRecorder, token: str) -> Position | None:
    """The position a client sent back: the pair, or a bare notification id, whose pair
    is looked up (None: no event has it). The in-memory store writes one save at a
    time, so there an id alone is its position."""
    if "." in token:
        return Position.parse(token)
    notification_id = int(token)
    if isinstance(recorder, TransactionOrderedRecorder):
        found: Position | None = recorder.position_of(notification_id)
        return found
    return Position(0, notification_id)


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
