"""Registration through the application layer vs the limit of the event store's design.

The application layer (``Applicants.register_prehashed``: the uniqueness lookup, the
two events, the event store's insert) runs from several threads for a while. The
baseline replays the very rows it wrote, as raw psycopg inserts into a copy of the
events table (same columns, indexes and data): each registration one multi-row
``INSERT`` in its own durable transaction, with no lock (the limit of the table itself).
The two alternate, three times each; the ratio is the median of the three paired
ratios, so drift in the machine's load between pairs cancels out.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from typing import Any

import psycopg
from psycopg import sql

from bench.common import Loaded, container_for
from bench.measure import Run, closed_loop, summarise
from bench.report import Measurement, Target
from prakerja.domain.contact import EmailAddress
from prakerja.security.passwords import Passwords
from prakerja.settings import PasswordHashing

COPY_TABLE = sql.Identifier("bench_events_copy")
Row = tuple[uuid.UUID, int, str, bytes]


def measure(loaded: Loaded, threads: int, seconds: float, rounds: int = 3) -> Measurement:
    container = container_for(loaded, pool=threads + 2)
    applicants = container.applicants
    password_hash = Passwords(PasswordHashing()).hash("a benchmark password")
    run_id = uuid.uuid4().hex[:8]
    conninfo = loaded.database.address.conninfo
    copy_seconds = _make_copy(conninfo)
    app_runs: list[Run] = []
    raw_runs: list[Run] = []
    try:
        for round_ in range(rounds):
            head = _head(conninfo)

            def register(number: int, round_: int = round_) -> None:
                email = EmailAddress.parse(f"bench-{run_id}-{round_}-{number}@example.com")
                applicants.register_prehashed(email, password_hash)

            app_runs.append(closed_loop(register, threads, seconds))
            raw_runs.append(_raw_inserts(conninfo, _written_since(conninfo, head), threads))
    finally:
        container.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(COPY_TABLE))
    app = sum(r.operations for r in app_runs) / sum(r.seconds for r in app_runs)
    raw = sum(r.operations for r in raw_runs) / sum(r.seconds for r in raw_runs)
    paired = statistics.median(
        a.per_second / r.per_second for a, r in zip(app_runs, raw_runs, strict=True)
    )
    return Measurement(
        id="registration.app_vs_raw",
        title=f"Registration, application layer (hash excluded), {threads} threads",
        unit="registrations/s",
        value=round(app, 1),
        baseline_title="raw psycopg inserts of the same rows, one statement each, no lock,"
        " durable commits",
        baseline=round(raw, 1),
        size=loaded.applicants,
        target=Target("≥ 0.8 of the raw-insert limit", "ratio_min", 0.8),
        ratio_override=paired,
        note="ratio: the median of the paired rounds' ratios (each round: the application"
        " layer, then the same rows raw)",
        details={
            "threads": threads,
            "seconds_per_round": seconds,
            "application_rounds": [r.as_dict() for r in app_runs],
            "raw_rounds": [r.as_dict() for r in raw_runs],
            "events_per_registration": 2,
            "copy_table_seconds": round(copy_seconds, 1),
        },
    )


def _make_copy(conninfo: str) -> float:
    started = time.monotonic()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in (
            "DROP TABLE IF EXISTS {}",
            "CREATE TABLE {} (LIKE prakerja_events INCLUDING ALL)",
            "INSERT INTO {} SELECT * FROM prakerja_events",
            "ANALYZE {}",
        ):
            conn.execute(sql.SQL(statement).format(COPY_TABLE))
    return time.monotonic() - started


def _head(conninfo: str) -> tuple[int, int]:
    """A position past every row committed so far (transactions since have higher ids)."""
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
        ).fetchone()
    return (int(row[0]) if row else 0, 0)


def _written_since(conninfo: str, head: tuple[int, int]) -> list[list[Row]]:
    """The rows written after ``head``, grouped by the transaction that wrote them (a
    registration is its applicant's and its uniqueness key's)."""
    with psycopg.connect(conninfo) as conn:
        rows: list[Any] = conn.execute(
            "SELECT transaction_id::text::bigint, originator_id, originator_version, topic,"
            " state FROM prakerja_events WHERE transaction_id >= %s::text::xid8"
            " ORDER BY transaction_id, notification_id",
            (head[0],),
        ).fetchall()
    groups: dict[int, list[Row]] = {}
    for transaction_id, *row in rows:
        groups.setdefault(transaction_id, []).append((row[0], row[1], row[2], row[3]))
    return list(groups.values())


def _raw_inserts(conninfo: str, groups: list[list[Row]], threads: int) -> Run:
    lock = threading.Lock()
    pending = iter(groups)
    latencies: list[float] = []

    def loop() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            while True:
                with lock:
                    group = next(pending, None)
                if group is None:
                    return
                values = sql.SQL(", ").join(sql.SQL("(%s, %s, %s, %s)") for _ in group)
                statement = sql.SQL(
                    "INSERT INTO {} (originator_id, originator_version, topic, state)"
                    " VALUES {} RETURNING notification_id"
                ).format(COPY_TABLE, values)
                params = [value for row in group for value in row]
                began = time.perf_counter()
                conn.execute(statement, params).fetchall()
                elapsed = time.perf_counter() - began
                with lock:
                    latencies.append(elapsed)

    began = time.perf_counter()
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return summarise(latencies, 0, time.perf_counter() - began)
