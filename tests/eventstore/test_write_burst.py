"""During a burst of writes no backend waits for the events table or for the notify queue.

Writers may still wait for one another's row (a shared key) or to extend the table's
file by a page (``Lock:extend``): neither serialises every commit."""

from __future__ import annotations

import threading
import time
from collections import Counter

import psycopg
import pytest
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from tests.eventstore.probe import new_id, recorder_of, stored

pytestmark = pytest.mark.postgres

_WAITS = """
SELECT CASE
    WHEN l.locktype = 'relation' AND l.relation = 'prakerja_events'::regclass
      THEN 'events table'
    WHEN a.wait_event LIKE 'Notify%%'
      OR (l.locktype = 'object' AND l.classid = 'pg_database'::regclass) THEN 'notify queue'
    ELSE a.wait_event_type || ':' || a.wait_event END
FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND (a.wait_event_type = 'Lock' OR a.wait_event LIKE 'Notify%%')
"""


def burst(
    applicants: Applicants, pool: ConnectionPool, recorder: ApplicationRecorder, seconds: float
) -> Counter[str]:
    """16 threads saving two-event transactions; what backends waited for, sampled."""
    stop = threading.Event()
    waits: Counter[str] = Counter()
    saves = [0] * 16

    def write(number: int) -> None:
        while not stop.is_set():
            recorder.insert_events([stored(applicants, new_id(), 1) for _ in range(2)])
            saves[number] += 1

    writers = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + seconds
    assert isinstance(pool.conninfo, str)
    with psycopg.connect(pool.conninfo, autocommit=True) as probe:
        while time.monotonic() < deadline:
            waits.update(row[0] for row in probe.execute(_WAITS))
            time.sleep(0.002)
    stop.set()
    for writer in writers:
        writer.join()
    assert all(saves), "every writer saved"
    return waits


def test_no_writer_waits_for_the_table_or_the_notify_queue(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    datastore = recorder_of(applicants).datastore
    stock = PostgresApplicationRecorder(datastore, events_table_name="prakerja_events")
    # The library's recorder: writers queue on its table lock (the probe sees it).
    assert burst(applicants, pool, stock, seconds=1.0)["events table"] > 0
    waits = burst(applicants, pool, applicants.recorder, seconds=2.0)
    print(f"\nwaits seen with the lock-free recorder: {dict(waits) or 'none'}")
    assert waits["events table"] == 0 and waits["notify queue"] == 0, waits
