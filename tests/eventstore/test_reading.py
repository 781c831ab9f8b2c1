"""The page read: the pair index, in order, stopping at the limit, below the horizon."""

from __future__ import annotations

import pytest
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from prakerja.eventstore import reading
from prakerja.eventstore.horizon import horizon
from prakerja.eventstore.position import START, Position
from tests.eventstore.probe import TOPIC, committed, new_id, recorder_of, stored, wait_for

pytestmark = pytest.mark.postgres


def _plan(pool: ConnectionPool, query: str, params: tuple[object, ...]) -> str:
    with pool.connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute(reading.ORDERED_READ)
        rows = conn.execute(f"EXPLAIN {query}", params).fetchall()
    return "\n".join(row[0] for row in rows)


def test_a_page_walks_the_pair_index_and_never_sorts(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    recorder = recorder_of(applicants)
    for _ in range(20):
        recorder.insert_events([stored(applicants, new_id(), 1) for _ in range(100)])
    with pool.connection() as conn:
        conn.execute("ANALYZE prakerja_events")
    rare = ["prakerja.domain.applicant:Applicant.NeverRecorded"]
    for topics in ([TOPIC], rare):
        page = _plan(pool, reading._PAGE, (0, 0, 2**62, 2**62, topics, 500))
        share = _plan(pool, reading._PAGE_OF_PART, (0, 0, 2**62, 2**62, topics, 2, 1, 500))
        for plan in (page, share):
            assert "Index Scan using prakerja_events_transaction_id_idx" in plan, plan
            assert "Sort" not in plan and "Seq Scan" not in plan, plan


def test_pages_cover_the_log_in_pair_order_and_end_at_the_horizon(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    recorder = recorder_of(applicants)
    for _ in range(5):
        recorder.insert_events([stored(applicants, new_id(), 1) for _ in range(7)])
    everything = [position for _, _, position in committed(pool)]
    # The horizon is the server's: a transaction of another test's database holds it too.
    with pool.connection() as conn:
        wait_for(lambda: horizon(conn).events_behind == 0, message="the horizon to pass")
    read, after = [], START
    while True:
        with pool.connection() as conn:
            rows, end = reading.read_page(conn, after, 4, [TOPIC])
        read += [Position(t, n) for t, n, *_ in rows]
        if len(rows) < 4:
            break
        assert end == read[-1]
        after = end
    assert read == everything
    assert end.notification_id == 0 and end > everything[-1]  # moved to the horizon
    with pool.connection() as conn:
        rows, upto = reading.read_page(conn, START, 100, [TOPIC], upto=everything[9])
    assert [Position(t, n) for t, n, *_ in rows] == everything[:10] and upto == everything[9]
