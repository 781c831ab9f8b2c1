"""Table upkeep on real PostgreSQL: the ledger's dead rows are cleared when autovacuum
is off (as on the test servers), and nothing is done when it is on."""

from __future__ import annotations

import time
import uuid
from typing import Any

import psycopg

from prakerja.db.server import DatabaseAddress
from prakerja.workers.table_upkeep import autovacuum_is_on, due_chores, upkeep_once

CHURN = 3_000


def _churn_the_ledger(conninfo: str) -> None:
    """What the dispatcher does all day: ledger rows written, then deleted."""
    with psycopg.connect(conninfo) as conn:
        conn.cursor().executemany(
            "INSERT INTO work_items (applicant_id, step, created_at, due_at)"
            " VALUES (%s, 'check_nik', now(), now())",
            [(uuid.uuid4(),) for _ in range(CHURN)],
        )
        conn.commit()
        conn.execute("DELETE FROM work_items")
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.commit()


def _table_stats(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        "SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables"
        " WHERE schemaname = 'public' AND relname = 'work_items'"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _eventually(check: Any, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_dead_ledger_rows_are_vacuumed_only_when_autovacuum_is_off(
    database: DatabaseAddress,
) -> None:
    conninfo = database.conninfo
    _churn_the_ledger(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert _eventually(lambda: _table_stats(conn)[0] >= CHURN)
        if autovacuum_is_on(conn):
            assert upkeep_once(conninfo) == []
            return
        due = _eventually(lambda: [c.name for c in due_chores(conn) if c.vacuum])
        assert "public.work_items" in due

        done = upkeep_once(conninfo)

        assert "public.work_items" in done
        assert _eventually(lambda: _table_stats(conn) == (0, 1))
        assert "public.work_items" not in [c.name for c in due_chores(conn)]


def test_a_table_s_own_options_override_the_server_s_thresholds(
    database: DatabaseAddress,
) -> None:
    conninfo = database.conninfo
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("ALTER TABLE work_items SET (autovacuum_vacuum_threshold = 1000000)")
    _churn_the_ledger(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        assert _eventually(lambda: _table_stats(conn)[0] >= CHURN)
        assert "public.work_items" not in [c.name for c in due_chores(conn) if c.vacuum]
