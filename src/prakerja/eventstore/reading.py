"""Reads of the event log in transaction order: the SQL every follower of the log uses.

A row is safe to read once no transaction that could still add a row before it is
running. Transactions are ordered by id, and the oldest one still running is the
snapshot's xmin (``pg_snapshot_xmin(pg_current_snapshot())``, the *horizon*): every
transaction below it has committed or rolled back, and one that has not written yet
will get an id above it. So a reader takes only rows below the horizon, in
``(transaction_id, notification_id)`` order (an index), and after the last pair it
read nothing can appear. When a page comes back short it has read everything below
``(horizon, 0)`` and may move there, with the horizon taken in the same snapshot
(``REPEATABLE READ``). Ids have gaps (rolled-back inserts), and neither order puts one
transaction's rows next to another's by time: only the pair matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from prakerja.eventstore.position import Position, log_cursor

Row = tuple[Any, ...]
"""(transaction id, notification id, aggregate id's 16 bytes, version, topic, state)."""

_LAST = Position(2**63 - 1, 2**63 - 1)

ORDERED_READ = (
    "SELECT set_config('enable_bitmapscan', 'off', true),"
    " set_config('enable_seqscan', 'off', true),"
    " set_config('max_parallel_workers_per_gather', '0', true),"
    " set_config('jit', 'off', true),"
    " pg_snapshot_xmin(pg_current_snapshot())"
)
"""The first statement of a page read: it takes the snapshot (and its horizon). A page is
the next rows in pair order: walk the pair index and stop at the limit. When few rows
are expected to match (a read model of rare events, or one worker's share, whose filter
PostgreSQL cannot estimate), the planner would rather collect every match up to the
end of the log and sort it, for every page: a rebuild then reads the log once per page.
(Nor is a page read worth a JIT compilation or parallel workers.)"""

_AFTER = "(transaction_id, notification_id) > (%s::text::xid8, %s)"
_BELOW = "transaction_id < pg_snapshot_xmin(pg_current_snapshot())"
_PAGE = (
    # uuid_send: the id's 16 bytes, cheaper to load and to hash than a UUID object.
    "SELECT transaction_id, notification_id, uuid_send(originator_id), originator_version,"  # noqa: S608 - fixed text
    " topic, state FROM prakerja_events"
    f" WHERE {_AFTER} AND (transaction_id, notification_id) <= (%s::text::xid8, %s)"
    f" AND {_BELOW} AND topic = ANY(%s)"
    " ORDER BY transaction_id, notification_id LIMIT %s"
)
_PARTITION = " AND get_byte(uuid_send(originator_id), 15) %% %s = %s"
_PAGE_OF_PART = _PAGE.replace(" ORDER BY", _PARTITION + " ORDER BY")


def read_page(
    conn: psycopg.Connection[Any],
    after: Position,
    limit: int,
    topics: Sequence[str],
    upto: Position | None = None,
    partition: tuple[int, int] | None = None,
) -> tuple[list[Row], Position]:
    """Rows of these topics after ``after`` (up to ``upto``, included), and how far the
    read covered, in one snapshot. ``partition``: (part, parts), only aggregates whose
    id's last byte modulo ``parts`` is ``part`` (a share of a parallel fold)."""
    last = upto or _LAST
    with conn.transaction():
        cursor = log_cursor(conn, binary=True)
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        horizon = _one(cursor.execute(ORDERED_READ))[-1]
        if partition is None:
            params: tuple[Any, ...] = (*after, *last, list(topics), limit)
            cursor.execute(_PAGE, params)
        else:
            part, parts = partition
            cursor.execute(_PAGE_OF_PART, (*after, *last, list(topics), parts, part, limit))
        rows = cursor.fetchall()
    end = Position(rows[-1][0], rows[-1][1]) if rows else after
    if len(rows) < limit:
        # Same snapshot: nothing of these topics exists below the horizon after ``end``.
        end = max(end, min(Position(horizon, 0), last))
    return rows, end


def horizon(conn: psycopg.Connection[Any]) -> Position:
    """Everything before this position has settled (the oldest running transaction)."""
    cursor = log_cursor(conn)
    return Position(_one(cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())"))[0], 0)


def committed_so_far(conn: psycopg.Connection[Any]) -> Position:
    """A position past every event committed so far: a follower reaches it once the
    transactions running now have ended (the snapshot's xmax: no transaction id below
    it is given out again)."""
    cursor = log_cursor(conn)
    return Position(_one(cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())"))[0], 0)


def batch_end(
    conn: psycopg.Connection[Any], start: Position, topics: Sequence[str], events: int
) -> Position:
    """Where a batch of ``events`` of these topics after ``start`` ends: that event's
    position, or the horizon if fewer are readable (a model that reads a tenth of the log
    gets batches as full as one that reads all of it)."""
    with conn.transaction():
        cursor = log_cursor(conn)
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        reached = Position(_one(cursor.execute(ORDERED_READ))[-1], 0)
        row = cursor.execute(
            f"SELECT transaction_id, notification_id FROM prakerja_events WHERE {_AFTER}"  # noqa: S608 - fixed text
            f" AND {_BELOW} AND topic = ANY(%s) ORDER BY transaction_id, notification_id"
            " OFFSET %s LIMIT 1",
            (*start, list(topics), events - 1),
        ).fetchone()
    return reached if row is None else Position(row[0], row[1])


def count_after(
    conn: psycopg.Connection[Any],
    position: Position,
    topics: Sequence[str] | None,
    cap: int,
    *,
    readable: bool = False,
) -> int:
    """Committed events after ``position`` (of these topics; None: all), up to ``cap``:
    what a follower there has still to read; ``readable``: only those below the horizon."""
    where, params = _after(position, topics)
    if readable:
        where += f" AND {_BELOW}"
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM prakerja_events WHERE {where} LIMIT %s) x",  # noqa: S608 - fixed text
        (*params, cap),
    ).fetchone()
    return int(row[0]) if row else 0


def first_after(
    conn: psycopg.Connection[Any], position: Position, topics: Sequence[str] | None
) -> Row | None:
    """The first committed event after ``position`` (of these topics; None: all)."""
    where, params = _after(position, topics)
    cursor = log_cursor(conn)
    return cursor.execute(
        "SELECT transaction_id, notification_id, uuid_send(originator_id), originator_version,"  # noqa: S608 - fixed text
        f" topic, state FROM prakerja_events WHERE {where}"
        " ORDER BY transaction_id, notification_id LIMIT 1",
        params,
    ).fetchone()


def newest_id(conn: psycopg.Connection[Any]) -> int:
    """The highest notification id in the log: a progress bar's end, never a position."""
    row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM prakerja_events").fetchone()
    return int(row[0]) if row else 0


def _after(position: Position, topics: Sequence[str] | None) -> tuple[str, tuple[Any, ...]]:
    if topics is None:
        return _AFTER, tuple(position)
    return f"{_AFTER} AND topic = ANY(%s)", (*position, list(topics))


def _one(cursor: psycopg.Cursor[Any]) -> Row:
    row = cursor.fetchone()
    assert row is not None
    return tuple(row)
