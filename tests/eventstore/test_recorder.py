"""The recorder: the library's own test case, a save's rows in a stable order, deadlocks
retried, uniqueness conflicts not."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from unittest import skip

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from prakerja.container import Container
from prakerja.domain.errors import AlreadyTaken
from prakerja.eventstore.position import RecordedId
from prakerja.eventstore.recorder import TransactionOrderedRecorder
from tests.eventstore.probe import committed, new_id, recorder_of, stored, wait_for

pytestmark = pytest.mark.postgres


class SettledRecorder(TransactionOrderedRecorder):
    """The recorder, waiting after each insert until the rows are below the horizon.

    The library's test case reads a row right after inserting it. Here the server is
    shared: a transaction in another database holds the horizon too, so without the
    wait a read could come back without the row, as it should (the row is not safe to
    read yet)."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)
        if ids:
            written = max(getattr(i, "transaction_id", 0) for i in ids)
            with self.datastore.get_connection() as conn:
                wait_for(
                    lambda: (
                        conn.execute(
                            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS x"
                        ).fetchone()["x"]  # type: ignore[index]
                        > written
                    ),
                    message="the horizon to pass the insert",
                )
        returned: Sequence[int] | None = ids
        return returned


class TestLibraryRecorderCase(ApplicationRecorderTestCase[TransactionOrderedRecorder]):
    """eventsourcing's own ``ApplicationRecorderTestCase``, on a migrated database."""

    @pytest.fixture(autouse=True)
    def _service(self, pg_container: Container) -> None:
        recorder = recorder_of(pg_container.applicants)
        self.datastore: PostgresDatastore = recorder.datastore

    def create_recorder(self) -> TransactionOrderedRecorder:
        return SettledRecorder(self.datastore, events_table_name="prakerja_events")

    @skip("subscriptions need LISTEN/NOTIFY, which this recorder does not send")
    def test_insert_subscribe(self) -> None: ...


def test_subscribing_is_refused_with_the_reason(applicants: Applicants) -> None:
    with pytest.raises(NotImplementedError, match="NOTIFY"):
        applicants.recorder.subscribe()


def test_rows_of_a_save_go_in_sorted_and_come_back_in_the_order_given(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    recorder = recorder_of(applicants)
    ids = sorted(new_id() for _ in range(4))
    events = [stored(applicants, i, 1) for i in reversed(ids)] + [stored(applicants, ids[0], 2)]
    returned = recorder.insert_events(events)
    assert returned is not None and all(isinstance(i, RecordedId) for i in returned)
    assert len({i.transaction_id for i in returned if isinstance(i, RecordedId)}) == 1
    in_log = committed(pool)
    assert [(o, v) for o, v, _ in in_log] == [(ids[0], 1), (ids[0], 2), *((i, 1) for i in ids[1:])]
    by_event: dict[tuple[Any, int], int] = {(o, v): p.notification_id for o, v, p in in_log}
    assert list(returned) == [by_event[(e.originator_id, e.originator_version)] for e in events]


class CountingRecorder(TransactionOrderedRecorder):
    """Counts the attempts the library's retry makes."""

    attempts = 0

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self.attempts += 1
        super()._insert_stored_events(curs, stored_events, **kwargs)


def test_a_deadlock_is_retried_and_the_save_goes_through(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    """Another writer holds the second key and then waits for the first: the database
    ends the save with a deadlock (40P01), and the library's retry saves it again."""
    plain = recorder_of(applicants)
    datastore = plain.datastore
    recorder = CountingRecorder(datastore, events_table_name="prakerja_events")
    first, second = sorted(new_id() for _ in range(2))
    save = [stored(applicants, first, 1, writer=1), stored(applicants, second, 1, writer=1)]
    deadlocks = _deadlocks(pool)
    with datastore.get_connection() as other:
        other.execute("BEGIN")
        other.execute("SET LOCAL deadlock_timeout = '30s'")  # the save's backend detects it
        plain.insert_rows(other.cursor(), [stored(applicants, second, 1, writer=2)])
        saving = threading.Thread(target=recorder.insert_events, args=(save,))
        saving.start()
        wait_for(lambda: _waiting_on_a_lock(pool) == 1, message="the save to wait for the key")
        crossing = threading.Thread(
            target=plain.insert_rows,
            args=(other.cursor(), [stored(applicants, first, 1, writer=2)]),
        )
        crossing.start()
        crossing.join(30)  # the save was chosen as the victim, so this insert went through
        other.execute("ROLLBACK")
    saving.join(30)
    assert not saving.is_alive()
    assert _deadlocks(pool) > deadlocks and recorder.attempts >= 2  # ended, then retried
    assert [(o, v) for o, v, _ in committed(pool)] == [(first, 1), (second, 1)]


def test_a_uniqueness_conflict_is_not_retried_and_reaches_the_caller(
    applicants: Applicants,
) -> None:
    datastore = recorder_of(applicants).datastore
    recorder = CountingRecorder(datastore, events_table_name="prakerja_events")
    key = new_id()
    recorder.insert_events([stored(applicants, key, 1)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([stored(applicants, new_id(), 1), stored(applicants, key, 1)])
    assert recorder.attempts == 2  # the first save, and the refused one once


def test_concurrent_registrations_of_one_email_give_one_account_and_no_deadlock(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    """Eight registrations at once with the same email (each save holds the email's key
    with the applicant): one is saved, the others are told the email is taken."""
    deadlocks = _deadlocks(pool)
    results: list[object] = []
    start = threading.Barrier(8)

    def register() -> None:
        start.wait()
        try:
            results.append(applicants.register("sama@example.com", "rahasia-123"))
        except AlreadyTaken as taken:
            results.append(taken)

    threads = [threading.Thread(target=register) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 8
    assert sum(not isinstance(r, AlreadyTaken) for r in results) == 1
    assert {r.code for r in results if isinstance(r, AlreadyTaken)} == {"email_taken"}
    assert _deadlocks(pool) == deadlocks


def _waiting_on_a_lock(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND wait_event = 'transactionid'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def _deadlocks(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])
