"""Bulk reads and writes of read-model tables, one statement per batch.

A batch of thousands of changed rows is written with ``COPY`` into a temporary
staging table and merged with one ``INSERT ... ON CONFLICT`` (or copied straight into
an empty table during a rebuild), not row by row: per-row statements cost a round
trip each and were the second hot spot after decoding.

A *staged* table (``staged=True``) writes nothing to the table itself: each write goes
to one of its staging twins (``<table>__upsert``, ``__add``, ``__delete``,
``__append``, unlogged tables beside it), where worker processes of a parallel
catch-up leave their share of a batch; :meth:`Table.merge_staged` then applies every
share in the follower's one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """One physical table of a read-model version: ``schema.name`` and its key."""

    schema: str
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    as_text: tuple[str, ...] = ()
    """Columns loaded as text (``jsonb`` a fold parses itself, faster than psycopg's json)."""
    summed: bool = False
    """Its non-key columns are counts, written with :meth:`add`."""
    staged: bool = False
    """Writes go to the staging twins (reads still come from the table)."""

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)

    def column_list(self, columns: Sequence[str] | None = None) -> sql.Composed:
        return sql.SQL(", ").join(sql.Identifier(c) for c in columns or self.columns)

    def load(self, conn: psycopg.Connection[Any], keys: Sequence[Any]) -> list[Row]:
        """Rows whose first key column (the applicant, for per-applicant tables) is in ``keys``."""
        if not keys:
            return []
        key = self.key[0]
        selected = sql.SQL(", ").join(
            sql.SQL("{}::text" if c in self.as_text else "{}").format(sql.Identifier(c))
            for c in self.columns
        )
        statement = sql.SQL("SELECT {} FROM {} WHERE {} = ANY(%s)").format(
            selected, self.ident, sql.Identifier(key)
        )
        ids = [UUID(bytes=k) if isinstance(k, bytes) else k for k in keys]
        return conn.execute(statement, (ids,)).fetchall()

    def copy(self, cursor: psycopg.Cursor[Any], rows: Iterable[Row]) -> None:
        """Append rows (an empty table being built, or rows that cannot exist yet)."""
        target = self.twin("append") if self.staged else self.ident
        copy_into(cursor, target, self.columns, self.types(cursor), rows)

    def types(self, cursor: psycopg.Cursor[Any], columns: Sequence[str] | None = None) -> list[str]:
        """The columns' PostgreSQL types, for binary COPY (read once per table)."""
        known = _TYPES.get((self.schema, self.name))
        if known is None:
            found = cursor.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (f'"{self.schema}"."{self.name}"',),
            ).fetchall()
            known = _TYPES[(self.schema, self.name)] = {row[0]: row[1] for row in found}
        return [known[column] for column in columns or self.columns]

    def upsert(self, cursor: psycopg.Cursor[Any], rows: Sequence[Row]) -> None:
        """Insert rows, replacing any with the same key."""
        if not rows:
            return
        if self.staged:
            copy_into(cursor, self.twin("upsert"), self.columns, self.types(cursor), rows)
            return
        stage = self._staging(cursor)
        copy_into(cursor, stage, self.columns, self.types(cursor), rows)
        self._upsert_from(cursor, stage)
        cursor.execute(sql.SQL("TRUNCATE {}").format(stage))

    def _upsert_from(self, cursor: psycopg.Cursor[Any], stage: sql.Identifier) -> None:
        others = [c for c in self.columns if c not in self.key]
        update = sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in others
        )
        cursor.execute(
            sql.SQL(
                "INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}"
                " ON CONFLICT ({key}) DO UPDATE SET {update}"
            ).format(
                table=self.ident,
                cols=self.column_list(),
                stage=stage,
                key=self.column_list(self.key),
                update=update,
            )
        )

    def add(self, cursor: psycopg.Cursor[Any], deltas: Sequence[Row], *, fresh: bool) -> None:
        """Add counts: each row is the key columns then the amounts for the other columns.

        Rows whose amounts all come back to zero are deleted, so a table kept current is
        the same as one built from scratch. ``fresh``: the table is empty (a rebuild's
        first write), so the sums are copied in.
        """
        rows = [row for row in deltas if any(row[len(self.key) :])]
        if not rows:
            return
        if self.staged:
            copy_into(cursor, self.twin("add"), self.columns, self.types(cursor), rows)
            return
        if fresh:
            self.copy(cursor, rows)
            return
        stage = self._staging(cursor)
        copy_into(cursor, stage, self.columns, self.types(cursor), rows)
        self._add_from(cursor, stage)
        cursor.execute(sql.SQL("TRUNCATE {}").format(stage))

    def _add_from(self, cursor: psycopg.Cursor[Any], stage: sql.Identifier) -> None:
        """Add the staged amounts (a key may be staged more than once: they are summed)."""
        others = [c for c in self.columns if c not in self.key]
        update = sql.SQL(", ").join(
            sql.SQL("{0} = t.{0} + EXCLUDED.{0}").format(sql.Identifier(c)) for c in others
        )
        keys = self.column_list(self.key)
        sums = sql.SQL(", ").join(sql.SQL("sum({})").format(sql.Identifier(c)) for c in others)
        cursor.execute(
            sql.SQL(
                "INSERT INTO {table} AS t ({cols}) SELECT {keys}, {sums} FROM {stage}"
                " GROUP BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {update}"
            ).format(
                table=self.ident,
                cols=self.column_list([*self.key, *others]),
                keys=keys,
                sums=sums,
                stage=stage,
                update=update,
            )
        )
        match = sql.SQL(" AND ").join(
            [sql.SQL("t.{0} = s.{0}").format(sql.Identifier(c)) for c in self.key]
            + [sql.SQL("t.{} = 0").format(sql.Identifier(c)) for c in others]
        )
        cursor.execute(
            sql.SQL("DELETE FROM {} AS t USING {} AS s WHERE {}").format(self.ident, stage, match)
        )

    def delete(self, cursor: psycopg.Cursor[Any], keys: Sequence[Row]) -> None:
        """Delete rows by their full key."""
        if not keys:
            return
        if self.staged:
            copy_into(cursor, self.twin("delete"), self.key, self.types(cursor, self.key), keys)
            return
        stage = self._staging(cursor, self.key)
        copy_into(cursor, stage, self.key, self.types(cursor, self.key), keys)
        self._delete_from(cursor, stage)
        cursor.execute(sql.SQL("TRUNCATE {}").format(stage))

    def _delete_from(self, cursor: psycopg.Cursor[Any], stage: sql.Identifier) -> None:
        match = sql.SQL(" AND ").join(
            sql.SQL("t.{0} = s.{0}").format(sql.Identifier(c)) for c in self.key
        )
        cursor.execute(
            sql.SQL("DELETE FROM {} AS t USING {} AS s WHERE {}").format(self.ident, stage, match)
        )

    # ------------------------------------------------------------- staging twins

    def twin(self, op: str) -> sql.Identifier:
        """The staging twin of this table for one kind of write (see the module doc)."""
        return sql.Identifier(self.schema, f"{self.name}__{op}")

    def twins(self) -> list[sql.Identifier]:
        return [self.twin(op) for op in STAGED_OPS]

    def create_twins(self, cursor: psycopg.Cursor[Any]) -> None:
        """Create the staging twins if missing (unlogged: a crash loses only a batch
        that was not merged, and that batch is folded again)."""
        for op in STAGED_OPS:
            columns = self.key if op == "delete" else self.columns
            cursor.execute(
                sql.SQL(
                    "CREATE UNLOGGED TABLE IF NOT EXISTS {} AS SELECT {} FROM {} WITH NO DATA"
                ).format(self.twin(op), self.column_list(columns), self.ident)
            )

    def clear_twins(self, cursor: psycopg.Cursor[Any]) -> None:
        cursor.execute(sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(self.twins())))

    def merge_staged(self, cursor: psycopg.Cursor[Any]) -> None:
        """Apply every share left in the twins, then empty them (the caller's transaction)."""
        if self.summed:
            self._add_from(cursor, self.twin("add"))
        else:
            self._delete_from(cursor, self.twin("delete"))
            self._upsert_from(cursor, self.twin("upsert"))
        cursor.execute(
            sql.SQL("INSERT INTO {} ({cols}) SELECT {cols} FROM {}").format(
                self.ident, self.twin("append"), cols=self.column_list()
            )
        )
        self.clear_twins(cursor)

    def _staging(
        self, cursor: psycopg.Cursor[Any], columns: Sequence[str] | None = None
    ) -> sql.Identifier:
        """A session-local table of the same column types, emptied after each use."""
        suffix = "keys" if columns else "rows"
        stage = sql.Identifier(f"stage_{suffix}_{self.schema}_{self.name}"[:63])
        cursor.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS"
                " AS SELECT {} FROM {} WITH NO DATA"
            ).format(stage, self.column_list(columns), self.ident)
        )
        return stage


STAGED_OPS = ("upsert", "add", "delete", "append")

_TYPES: dict[tuple[str, str], dict[str, str]] = {}


def json_text(text: str) -> Jsonb:
    """JSON already encoded (by msgspec), for a ``jsonb`` column, without encoding it again."""
    return Jsonb(text, dumps=_as_is)


def _as_is(text: Any) -> str:
    return str(text)


ROWS_PER_COPY = 50_000
"""Rows per COPY statement: on an autocommit cursor (:func:`autocommit_cursor`) each is a
transaction of bounded length."""


def copy_into(
    cursor: psycopg.Cursor[Any],
    table: sql.Composable,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Row],
) -> None:
    """COPY in binary (two to three times faster than text for these rows), at most
    :data:`ROWS_PER_COPY` rows per statement."""
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table, names)
    remaining = iter(rows)
    while chunk := list(islice(remaining, ROWS_PER_COPY)):
        with cursor.copy(statement) as copy:
            copy.set_types(list(types))
            for row in chunk:
                copy.write_row(row)
        if len(chunk) < ROWS_PER_COPY:
            return


@contextmanager
def autocommit_cursor(conninfo: str) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor whose every statement commits alone, for bulk writes into tables nobody
    reads yet (a rebuild's load): a transaction that grew with the log would hold every
    follower of the log at its horizon for as long as it ran."""
    with psycopg.connect(conninfo, autocommit=True) as conn, conn.cursor() as cursor:
        yield cursor
