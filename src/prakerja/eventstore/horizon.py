"""What holds the log's horizon: the oldest transaction still running, and what waits behind it.

Followers read only below the horizon (:mod:`prakerja.eventstore.reading`), so any
transaction that has written anything and stays open, in any database of the server,
holds every follower of the log there: a migration, a long COPY, a session left idle
inside a transaction. Events committed since then are recorded but not yet readable.
The service's own sessions end such a transaction after
``db_idle_in_transaction_timeout_s``; this shows what is holding the horizon now.

Only transactions with a transaction id hold it (a read-only one does not). Sessions of
other roles show their transaction only to a role allowed to see them
(``pg_read_all_stats``); otherwise the age is unknown while the count still shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from prakerja.eventstore.position import log_cursor

_BEHIND_CAP = 100_000


@dataclass(frozen=True)
class Horizon:
    transaction_id: int
    """The oldest transaction still running: rows from it on are not readable yet."""
    oldest_age_s: float | None
    """How long the oldest transaction holding a transaction id has been open (None: none
    that this role can see)."""
    oldest_state: str | None
    """Its session's state (``active``, ``idle in transaction``, ...)."""
    events_behind: int
    """Committed events at or above the horizon, up to ``cap``."""
    cap: int = _BEHIND_CAP

    @property
    def events_behind_text(self) -> str:
        capped = self.events_behind >= self.cap
        return f"{self.events_behind:,}{'+' if capped else ''}"

    def held_longer_than(self, seconds: float) -> bool:
        return self.oldest_age_s is not None and self.oldest_age_s > seconds


def horizon(conn: psycopg.Connection[Any], cap: int = _BEHIND_CAP) -> Horizon:
    """What holds the horizon now; events waiting behind it are counted up to ``cap``."""
    cursor = log_cursor(conn)
    row = cursor.execute(
        "SELECT pg_snapshot_xmin(pg_current_snapshot()),"
        " (SELECT count(*) FROM (SELECT 1 FROM prakerja_events WHERE transaction_id"
        "  >= pg_snapshot_xmin(pg_current_snapshot()) LIMIT %s) behind)",
        (cap,),
    ).fetchone()
    assert row is not None
    oldest = cursor.execute(
        "SELECT extract(epoch FROM clock_timestamp() - xact_start)::float8, state"
        " FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND xact_start IS NOT NULL"
        " ORDER BY age(backend_xid) DESC LIMIT 1"
    ).fetchone()
    return Horizon(
        transaction_id=row[0],
        oldest_age_s=None if oldest is None else float(oldest[0]),
        oldest_state=None if oldest is None else oldest[1],
        events_behind=int(row[1]),
        cap=cap,
    )
