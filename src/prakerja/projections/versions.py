"""Versions of a read model side by side, and the atomic switch of readers between them.

``read_models`` says which version of each read model is live. Version N's tables are
in schema ``rm_<name>_vN`` and its follower is ``<name>@N`` in ``log_positions``.
Readers never name a version: they query the views in ``reports``. A new version's
tables are cloned from the live ones (``LIKE``; indexes are added after the bulk load,
which is faster than maintaining them row by row), and the switch replaces the views
and the pointer in one transaction that holds the pointer row, so the live follower,
which checks the pointer in each of its write transactions, can never write a batch
into a version that is no longer live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from prakerja.eventstore.position import Position, log_cursor
from prakerja.projections.base import ReadModel, schema_name, tracking_name
from prakerja.projections.follower import FollowerConflict


class VersionChanged(FollowerConflict):
    """Raised when a batch was folded for a version that stopped being live meanwhile."""


@dataclass(frozen=True)
class Live:
    """The live version of a read model and its follower's position."""

    version: int
    position: Position
    building: int | None


def live(conn: psycopg.Connection[Any], kind: str) -> Live:
    row = (
        log_cursor(conn)
        .execute(
            "SELECT r.version, coalesce(p.transaction_id, '0'), coalesce(p.notification_id, 0),"
            " r.building FROM read_models r"
            " LEFT JOIN log_positions p ON p.name = r.name || '@' || r.version"
            " WHERE r.name = %s",
            (kind,),
        )
        .fetchone()
    )
    if row is None:
        raise LookupError(f"read model {kind} is not installed: run `prakerja migrate`")
    return Live(int(row[0]), Position(row[1], row[2]), row[3])


def require_live(cursor: psycopg.Cursor[Any], kind: str, version: int) -> None:
    """In a writer's transaction: hold the pointer (a switch waits) and check the version."""
    row = cursor.execute(
        "SELECT version FROM read_models WHERE name = %s FOR SHARE", (kind,)
    ).fetchone()
    if row is None or row[0] != version:
        raise VersionChanged(f"{kind} v{version} is no longer live")


def create_version(conn: psycopg.Connection[Any], model: ReadModel) -> int:
    """Create the next version's empty tables (no indexes yet); returns its number.

    The caller holds the rebuild lock, so a version left by a crashed rebuild is
    dropped and built again.
    """
    with conn.transaction():
        current = live(conn, model.kind).version
        version = current + 1
        old, new = schema_name(model.kind, current), schema_name(model.kind, version)
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(new)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(new)))
        for table in model.tables:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
                    " INCLUDING STORAGE INCLUDING COMMENTS)"
                ).format(sql.Identifier(new, table.name), sql.Identifier(old, table.name))
            )
        name = tracking_name(model.kind, version)
        conn.execute("DELETE FROM log_positions WHERE name = %s", (name,))
        conn.execute("INSERT INTO log_positions (name) VALUES (%s)", (name,))
        conn.execute(
            "UPDATE read_models SET building = %s, build_started_at = now() WHERE name = %s",
            (version, model.kind),
        )
    return version


def create_indexes(conn: psycopg.Connection[Any], model: ReadModel, version: int) -> None:
    """Give a loaded version the live version's indexes and keys, then fresh statistics."""
    current = live(conn, model.kind).version
    old, new = schema_name(model.kind, current), schema_name(model.kind, version)
    indexes = conn.execute(
        "SELECT pg_get_indexdef(i.indexrelid), x.relname, i.indisprimary, t.relname"
        " FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
        " JOIN pg_class x ON x.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = %s",
        (old,),
    ).fetchall()
    conn.execute("SET maintenance_work_mem = '256MB'")
    for definition, index, primary, table in indexes:
        conn.execute(definition.replace(f" ON {old}.", f" ON {new}.", 1))
        if primary:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}").format(
                    sql.Identifier(new, table), sql.Identifier(index), sql.Identifier(index)
                )
            )
    for table in model.tables:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(new, table.name)))
    conn.execute("RESET maintenance_work_mem")


def collapse_sums(conn: psycopg.Connection[Any], model: ReadModel, version: int) -> None:
    """Add up count rows written by several workers of a parallel rebuild (before the
    tables have their keys): one row per key, rows of zero dropped."""
    schema = schema_name(model.kind, version)
    with conn.transaction():
        for table in model.tables:
            if not table.summed:
                continue
            ident = sql.Identifier(schema, table.name)
            keys = sql.SQL(", ").join(sql.Identifier(c) for c in table.key)
            amounts = [c for c in table.columns if c not in table.key]
            sums = sql.SQL(", ").join(
                sql.SQL("sum({0})::bigint AS {0}").format(sql.Identifier(c)) for c in amounts
            )
            nonzero = sql.SQL(" OR ").join(
                sql.SQL("sum({}) <> 0").format(sql.Identifier(c)) for c in amounts
            )
            conn.execute(
                sql.SQL(
                    "CREATE TEMP TABLE collapsed ON COMMIT DROP AS SELECT {keys}, {sums}"
                    " FROM {table} GROUP BY {keys} HAVING {nonzero}"
                ).format(keys=keys, sums=sums, table=ident, nonzero=nonzero)
            )
            conn.execute(sql.SQL("TRUNCATE {}").format(ident))
            conn.execute(
                sql.SQL("INSERT INTO {} ({cols}) SELECT {cols} FROM collapsed").format(
                    ident, cols=table.column_list()
                )
            )
            conn.execute("DROP TABLE collapsed")


def switch(cursor: psycopg.Cursor[Any], model: ReadModel, version: int) -> int:
    """Point readers and the live follower at ``version``; returns the replaced version.

    Call inside a transaction that took :func:`lock_pointer`; readers see the new
    version when it commits, never a mix.
    """
    row = cursor.execute(
        "SELECT version FROM read_models WHERE name = %s", (model.kind,)
    ).fetchone()
    assert row is not None
    previous = int(row[0])
    schema = schema_name(model.kind, version)
    lock_views(cursor, model)
    for view, table in model.views.items():
        cursor.execute(
            sql.SQL("CREATE OR REPLACE VIEW {} AS SELECT * FROM {}").format(
                sql.Identifier("reports", view), sql.Identifier(schema, table)
            )
        )
    cursor.execute(
        "UPDATE read_models SET version = %s, building = NULL, build_started_at = NULL,"
        " switched_at = now() WHERE name = %s",
        (version, model.kind),
    )
    cursor.execute(
        "DELETE FROM log_positions WHERE name = %s", (tracking_name(model.kind, previous),)
    )
    return previous


def lock_views(cursor: psycopg.Cursor[Any], model: ReadModel, patience_s: float = 10.0) -> None:
    """Take every view of the read model at once, or none, between two readers' queries.

    Replacing the views one by one, each waiting for its readers, can deadlock with a
    reader holding one view and waiting for another (a join of two); the database then
    aborts one of them, possibly the reader. So all are locked in one statement with
    NOWAIT, retried in a savepoint until readers leave a gap: readers wait for the
    switch only between this lock and its commit, and never fail.
    """
    views = sql.SQL(", ").join(sql.Identifier("reports", view) for view in model.views)
    statement = sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE NOWAIT").format(views)
    deadline = time.monotonic() + patience_s
    while True:
        try:
            with cursor.connection.transaction():
                cursor.execute(statement)
            return
        except psycopg.errors.LockNotAvailable:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.002)


def lock_pointer(cursor: psycopg.Cursor[Any], kind: str, lock_timeout_s: float) -> None:
    """Take the pointer row for a switch: waits for the live follower's batch to commit.

    The lock timeout bounds how long readers queue behind the switch's view locks.
    """
    timeout = sql.Literal(f"{int(lock_timeout_s * 1000)}ms")
    cursor.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(timeout))
    cursor.execute("SELECT version FROM read_models WHERE name = %s FOR UPDATE", (kind,))


def drop_version(
    conn: psycopg.Connection[Any], model: ReadModel, version: int, attempts: int = 20
) -> None:
    """Drop a version's tables and their staging twins (never the views: a
    still-dependent view makes this fail)."""
    schema = schema_name(model.kind, version)
    found = model.fold_tables(schema)
    idents = [t.ident for t in found] + [twin for t in found for twin in t.twins()]
    tables = sql.SQL(", ").join(idents)
    for attempt in range(attempts):
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '2s'")
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(tables))
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {}").format(sql.Identifier(schema)))
            return
        except psycopg.errors.LockNotAvailable:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def abandon_build(conn: psycopg.Connection[Any], model: ReadModel, version: int) -> None:
    """Forget a version that will not go live (a failed or interrupted rebuild)."""
    with conn.transaction():
        conn.execute(
            "UPDATE read_models SET building = NULL, build_started_at = NULL"
            " WHERE name = %s AND building = %s",
            (model.kind, version),
        )
        conn.execute(
            "DELETE FROM log_positions WHERE name = %s", (tracking_name(model.kind, version),)
        )
    drop_version(conn, model, version)
