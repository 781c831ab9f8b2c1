"""Followers of the log skip nothing although notification ids no longer commit in order."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from prakerja.eventstore.position import Position
from prakerja.projections.follower import LogFollower
from tests.eventstore.probe import (
    TOPIC,
    Keeper,
    Tailing,
    committed,
    create_delivered,
    delivered,
    followers,
    new_id,
    recorder_of,
    stored,
    wait_for,
)

pytestmark = pytest.mark.postgres


def read_by_id(pool: ConnectionPool, after: int) -> list[int]:
    """The old cursor: the next notification ids after ``after`` (what followers read
    while the table lock made ids commit in order)."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT notification_id FROM prakerja_events WHERE notification_id > %s"
            " AND topic = %s ORDER BY notification_id",
            (after, TOPIC),
        ).fetchall()
    return [row[0] for row in rows]


def test_the_reversed_race_loses_an_event_by_id_but_not_by_pair(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    """B takes its transaction id; A inserts a lower notification id and stays open; B
    inserts and commits; A commits."""
    recorder = recorder_of(applicants)
    create_delivered(pool)
    pair = LogFollower(applicants, pool, Keeper("pair"))
    a_event, b_event = stored(applicants, new_id(), 1), stored(applicants, new_id(), 1)
    with recorder.datastore.get_connection() as a, recorder.datastore.get_connection() as b:
        b.execute("BEGIN")
        b.execute("SELECT pg_current_xact_id()")
        a.execute("BEGIN")
        [a_id] = recorder.insert_rows(a.cursor(), [a_event])
        [b_id] = recorder.insert_rows(b.cursor(), [b_event])
        b.execute("COMMIT")
        assert a_id < b_id and b_id.transaction_id < a_id.transaction_id

        seen_by_id = read_by_id(pool, 0)
        assert seen_by_id == [b_id]  # the id cursor moves to B's id, past A's
        pair.step()
        assert pair.position() < Position(a_id.transaction_id, a_id)  # held before A
        a.execute("COMMIT")

    assert read_by_id(pool, seen_by_id[-1]) == []  # A's event is lost to the id cursor
    pair.catch_up()
    got = [(oid, version) for oid, version, _ in delivered(pool, "pair")]
    assert got == [(b_event.originator_id, 1), (a_event.originator_id, 1)]  # each once


def test_a_transaction_held_open_holds_every_follower_until_it_commits(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    """An insert held open for 2 s while 1,000 other events commit."""
    recorder = recorder_of(applicants)
    tailing_followers = followers(applicants, pool)
    held_event = stored(applicants, new_id(), 1)
    with recorder.datastore.get_connection() as held:
        held.execute("BEGIN")
        [held_id] = recorder.insert_rows(held.cursor(), [held_event])
        held_at = Position(held_id.transaction_id, held_id)
        opened = time.monotonic()
        tailing = Tailing(tailing_followers)
        try:
            others = _commit_others(applicants, writers=4, saves=25, per_save=10)
            observed = 0
            while time.monotonic() - opened < 2.0 or observed < 5:
                for follower in tailing_followers:
                    assert follower.position() < held_at, follower.name
                    assert delivered(pool, follower.name) == []
                observed += 1
                time.sleep(0.05)
            held.execute("COMMIT")
            expected = {(e.originator_id, e.originator_version) for e in [held_event, *others]}
            assert len(expected) == 1_001
            for follower in tailing_followers:
                wait_for(
                    lambda f=follower: len(delivered(pool, f.name)) >= 1_001,
                    message=f"{follower.name} to get all 1,001 events",
                )
        finally:
            tailing.close()
    for follower in tailing_followers:
        got = [(oid, version) for oid, version, _ in delivered(pool, follower.name)]
        assert len(got) == 1_001 and set(got) == expected, follower.name


def _commit_others(applicants: Applicants, writers: int, saves: int, per_save: int) -> list[Any]:
    recorder = recorder_of(applicants)
    made: list[Any] = []
    lock = threading.Lock()

    def write() -> None:
        for _ in range(saves):
            events = [stored(applicants, new_id(), 1) for _ in range(per_save)]
            recorder.insert_events(events)
            with lock:
                made.extend(events)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return made


def test_rolled_back_inserts_leave_gaps_that_followers_pass(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    recorder = recorder_of(applicants)
    tailing_followers = followers(applicants, pool)
    first = stored(applicants, new_id(), 1)
    recorder.insert_events([first])
    with recorder.datastore.get_connection() as conn:
        conn.execute("BEGIN")
        recorder.insert_rows(conn.cursor(), [stored(applicants, new_id(), 1) for _ in range(3)])
        conn.execute("ROLLBACK")
    # A save refused by a conflict burns the ids of the rows inserted before it.
    again = UUID(str(first.originator_id))
    refused = [stored(applicants, new_id(), 1), stored(applicants, again, 1)]
    with pytest.raises(IntegrityError):
        recorder.insert_events(refused)
    last = stored(applicants, new_id(), 1)
    recorder.insert_events([last])
    ids = [position.notification_id for _, _, position in committed(pool)]
    assert len(ids) == 2 and ids[1] - ids[0] >= 5  # the gap: 3 rolled back, 1 refused
    for follower in tailing_followers:
        follower.catch_up()
        got = [(oid, version) for oid, version, _ in delivered(pool, follower.name)]
        assert got == [(first.originator_id, 1), (last.originator_id, 1)], follower.name
        assert follower.position() > committed(pool)[-1][2]


def test_many_writers_and_three_live_followers_each_get_exactly_the_committed_events(
    applicants: Applicants, pool: ConnectionPool
) -> None:
    """16 writers, random sleeps inside their transactions, 5% rolled back, keys shared
    between writers (a conflict fails the whole save), while three followers tail."""
    recorder = recorder_of(applicants)
    tailing_followers = followers(applicants, pool)
    deadlocks_before = _deadlocks(pool)
    keys = [new_id() for _ in range(32)]
    outcome: dict[str, int] = defaultdict(int)
    errors: list[BaseException] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + 5.0
    rng = random.Random(14)
    seeds = [rng.randrange(2**32) for _ in range(16)]

    def writer(number: int) -> None:
        chance = random.Random(seeds[number])
        own, version = new_id(), 0
        while time.monotonic() < stop_at:
            count = chance.randint(1, 3)
            events = [stored(applicants, own, version + i + 1, number) for i in range(count)]
            for key in chance.sample(keys, chance.randint(0, 2)):
                events.append(stored(applicants, key, _next_version(pool, key), number))
            chance.shuffle(events)
            try:
                with recorder.datastore.get_connection() as conn, conn.transaction():
                    time.sleep(chance.uniform(0, 0.01))
                    recorder.insert_rows(conn.cursor(), events)
                    time.sleep(chance.uniform(0, 0.01))
                    if chance.random() < 0.05:
                        raise _RolledBack
            except _RolledBack:
                kind = "rolled back"
            except IntegrityError:
                kind = "conflict"
            except Exception as error:  # noqa: BLE001 - a deadlock, say: the test fails on it
                errors.append(error)
                return
            else:
                kind, version = "committed", version + count
            with lock:
                outcome[kind] += 1

    tailing = Tailing(tailing_followers)
    try:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        truth = committed(pool)
        for follower in tailing_followers:
            wait_for(
                lambda f=follower: len(delivered(pool, f.name)) >= len(truth),
                message=f"{follower.name} to get {len(truth)} events",
            )
    finally:
        tailing.close()
    print(f"\n{dict(outcome)}; {len(truth)} events committed, each delivered once to each follower")
    assert errors == []
    assert outcome["committed"] > 300 and outcome["rolled back"] > 5 and outcome["conflict"] > 5
    assert _deadlocks(pool) == deadlocks_before  # rows of a save go in a stable order
    expected = [(oid, version) for oid, version, _ in truth]
    assert len(set(expected)) == len(expected)
    for follower in tailing_followers:
        got = delivered(pool, follower.name)
        pairs = [(oid, version) for oid, version, _ in got]
        assert len(pairs) == len(set(pairs)), f"{follower.name} got an event twice"
        assert set(pairs) == set(expected), follower.name
        assert [p for _, _, p in got] == sorted(p for _, _, p in got), follower.name
        versions: dict[UUID, int] = {}
        for oid, version in pairs:
            assert version > versions.get(oid, 0), f"{follower.name}: {oid} went back"
            versions[oid] = version


class _RolledBack(Exception):
    pass


def _next_version(pool: ConnectionPool, key: UUID) -> int:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT coalesce(max(originator_version), 0) + 1 FROM prakerja_events"
            " WHERE originator_id = %s",
            (key,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _deadlocks(pool: ConnectionPool) -> int:
    with pool.connection() as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])
