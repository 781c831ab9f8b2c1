"""Events written straight through the recorder, and followers that keep what they get.

The followers are the project's own (:class:`~prakerja.projections.follower.LogFollower`
over the application's mapper or over :class:`~prakerja.projections.decoding.EventTable`);
their handler writes each delivered event into ``delivered`` in the follower's own
transaction, so what a follower got is exactly what it committed.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from prakerja.eventstore.position import Position
from prakerja.eventstore.recorder import TransactionOrderedRecorder
from prakerja.projections.decoding import EventTable, PayloadDecoder, decoded
from prakerja.projections.follower import LogFollower, Logged


class Probe(Aggregate):
    class Touched(Aggregate.Event):
        writer: int


TOPIC = get_topic(Probe.Touched)


def stored(
    applicants: Applicants, originator_id: UUID, version: int, writer: int = 0
) -> StoredEvent:
    """A ``Probe.Touched`` as the application's mapper stores it (encrypted)."""
    event = Probe.Touched(
        originator_id=originator_id,
        originator_version=version,
        timestamp=dt.datetime.now(dt.UTC),
        writer=writer,  # type: ignore[call-arg]  # the event class is made by @event
    )
    return applicants.mapper.to_stored_event(event)


def recorder_of(applicants: Applicants) -> TransactionOrderedRecorder:
    recorder = applicants.recorder
    assert isinstance(recorder, TransactionOrderedRecorder)
    return recorder


class Keeper:
    """A follower's handler: every event it is given goes into ``delivered``."""

    topics: Sequence[str] = (TOPIC,)

    def __init__(self, name: str) -> None:
        self.name = name

    def handle(self, page: Sequence[Logged], cursor: psycopg.Cursor[Any]) -> None:
        cursor.executemany(
            "INSERT INTO delivered (follower, originator_id, version, transaction_id,"
            " notification_id) VALUES (%s, %s, %s, %s, %s)",
            [
                (self.name, UUID(bytes=e.originator_id), e.originator_version, *item.position)
                for item in page
                for e in (decoded(item),)
            ],
        )


def create_delivered(pool: ConnectionPool) -> None:
    with pool.connection() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS delivered (seq bigserial PRIMARY KEY, follower text,"
            " originator_id uuid, version bigint, transaction_id bigint, notification_id bigint)"
        )


def followers(applicants: Applicants, pool: ConnectionPool) -> list[LogFollower]:
    """Three followers: full events through the mapper, decoded rows, and tiny pages."""
    create_delivered(pool)
    table = EventTable(pool, PayloadDecoder(applicants.mapper, {Probe.Touched: ("writer",)}))
    small = EventTable(pool, PayloadDecoder(applicants.mapper, {Probe.Touched: ("writer",)}))
    return [
        LogFollower(applicants, pool, Keeper("mapper"), page_size=100),
        LogFollower(applicants, pool, Keeper("table"), page_size=500, source=table),
        LogFollower(applicants, pool, Keeper("small-pages"), page_size=20, source=small),
    ]


def delivered(pool: ConnectionPool, follower: str) -> list[tuple[UUID, int, Position]]:
    """What a follower got, in the order it got it."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT originator_id, version, transaction_id, notification_id FROM delivered"
            " WHERE follower = %s ORDER BY seq",
            (follower,),
        ).fetchall()
    return [(o, v, Position(t, n)) for o, v, t, n in rows]


def committed(pool: ConnectionPool) -> list[tuple[UUID, int, Position]]:
    """Every probe event in the log, in the order followers read it."""
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, transaction_id::text::bigint AS t,"
            " notification_id FROM prakerja_events WHERE topic = %s"
            " ORDER BY transaction_id, notification_id",
            (TOPIC,),
        ).fetchall()
    return [(o, v, Position(t, n)) for o, v, t, n in rows]


class Tailing:
    """Followers running live in threads, as the service runs them."""

    def __init__(self, running: list[LogFollower], idle_wait: float = 0.01) -> None:
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._run, args=(f, idle_wait), daemon=True) for f in running
        ]
        for thread in self.threads:
            thread.start()

    def _run(self, follower: LogFollower, idle_wait: float) -> None:
        try:
            follower.run(self.stop, idle_wait)
        except BaseException as error:  # noqa: BLE001 - kept for the test to raise
            self.errors.append(error)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(10)
        if self.errors:
            raise self.errors[0]


def wait_for(condition: Any, timeout: float = 60.0, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {message}")
        time.sleep(0.02)


def new_id() -> UUID:
    return uuid.uuid4()
