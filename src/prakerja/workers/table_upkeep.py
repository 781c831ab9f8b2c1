"""Vacuum and analyze the service's tables when the server's autovacuum is off.

The work ledger, the read models and the limit counters are rewritten all day: every
verdict deletes and inserts ``work_items`` rows, every event updates a ``cases`` row.
PostgreSQL's autovacuum normally clears the dead rows and keeps the planner's
statistics. Some servers run with it switched off (development machines, shared CI
servers); there the dead rows pile up, each ledger lookup walks them, and the planner
never learns the tables' sizes. The upkeep loop then does what autovacuum would: every
``every`` seconds it reads ``pg_stat_user_tables`` and vacuums (or only analyzes) the
tables past autovacuum's own thresholds, with the server's settings and each table's own
options (``autovacuum_vacuum_threshold`` ...). With autovacuum on, it does nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg import sql

_log = structlog.get_logger("prakerja.table_upkeep")

_SETTINGS = (
    "autovacuum_vacuum_threshold",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_analyze_threshold",
    "autovacuum_analyze_scale_factor",
)

_TABLES = """
SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze,
       coalesce(c.reloptions, '{}')
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname NOT IN ('pg_catalog', 'information_schema')
  AND c.relpersistence = 'p'
"""


@dataclass(frozen=True)
class Thresholds:
    vacuum_threshold: float
    vacuum_scale_factor: float
    analyze_threshold: float
    analyze_scale_factor: float

    def with_options(self, reloptions: list[str]) -> Thresholds:
        """These thresholds overridden by a table's own ``autovacuum_*`` options."""
        options = dict(option.split("=", 1) for option in reloptions if "=" in option)

        def pick(name: str, default: float) -> float:
            return float(options.get(f"autovacuum_{name}", default))

        return Thresholds(
            pick("vacuum_threshold", self.vacuum_threshold),
            pick("vacuum_scale_factor", self.vacuum_scale_factor),
            pick("analyze_threshold", self.analyze_threshold),
            pick("analyze_scale_factor", self.analyze_scale_factor),
        )


@dataclass(frozen=True)
class Chore:
    table: sql.Composable
    name: str
    vacuum: bool

    @property
    def statement(self) -> sql.Composed:
        verb = "VACUUM (ANALYZE)" if self.vacuum else "ANALYZE"
        return sql.SQL(verb + " {}").format(self.table)


def autovacuum_is_on(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT current_setting('autovacuum')::boolean").fetchone()
    return bool(row and row[0])


def due_chores(conn: psycopg.Connection[Any]) -> list[Chore]:
    """The tables autovacuum would vacuum or analyze now (had it been on)."""
    values = [float(conn.execute(f"SHOW {name}").fetchone()[0]) for name in _SETTINGS]  # type: ignore[index]
    server = Thresholds(*values)
    chores = []
    for schema, table, live, dead, modified, reloptions in conn.execute(_TABLES).fetchall():
        limits = server.with_options(list(reloptions))
        identifier = sql.Identifier(schema, table)
        name = f"{schema}.{table}"
        if dead > limits.vacuum_threshold + limits.vacuum_scale_factor * live:
            chores.append(Chore(identifier, name, vacuum=True))
        elif modified > limits.analyze_threshold + limits.analyze_scale_factor * live:
            chores.append(Chore(identifier, name, vacuum=False))
    return chores


def upkeep_once(conninfo: str) -> list[str]:
    """Vacuum or analyze what is due (nothing when autovacuum is on); the names done."""
    done = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if autovacuum_is_on(conn):
            return []
        conn.execute("SET lock_timeout = '1s'")
        for chore in due_chores(conn):
            try:
                conn.execute(chore.statement)
            except psycopg.errors.LockNotAvailable:
                continue  # a migration or a rebuild holds it: next round
            except psycopg.errors.UndefinedTable:
                continue  # a read model's old version, dropped since the list was read
            done.append(chore.name)
    return done


def run_upkeep(conninfo: str, stop: threading.Event, every: float = 30.0) -> None:
    """Until ``stop``: vacuum and analyze what is due, then wait ``every`` seconds."""
    while not stop.wait(every):
        try:
            done = upkeep_once(conninfo)
        except psycopg.Error as error:
            _log.warning("table upkeep failed; next round", error_type=type(error).__name__)
        else:
            if done:
                _log.info("tables vacuumed or analyzed (autovacuum is off)", tables=done)
