"""A database made by the last release (revision 0008, the table lock, id positions)
upgrades in place: no event renumbered, followers resume exactly where they were."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from prakerja.bootstrap import bootstrap
from prakerja.db.migrations import upgrade
from prakerja.db.server import DatabaseAddress
from prakerja.eventstore.recorder import TransactionOrderedRecorder
from prakerja.projections.follower import LogFollower
from prakerja.settings import Settings
from tests.eventstore.probe import Keeper, create_delivered, delivered, new_id, stored
from tests.helpers import FAST_HASHING

pytestmark = pytest.mark.postgres

RELEASE = "0008"
"""The last release's schema."""


def _blank(server: DatabaseAddress) -> DatabaseAddress:
    name = f"prakerja_upgrade_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return DatabaseAddress(server.host, server.port, name, server.user, server.password)


def _drop(server: DatabaseAddress, address: DatabaseAddress) -> None:
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{address.dbname}" WITH (FORCE)')


@pytest.fixture
def released(postgres_server: DatabaseAddress) -> Iterator[DatabaseAddress]:
    """A database at the last release's schema."""
    address = _blank(postgres_server)
    try:
        upgrade(address, RELEASE)
        yield address
    finally:
        _drop(postgres_server, address)


@pytest.fixture
def blank(postgres_server: DatabaseAddress) -> Iterator[DatabaseAddress]:
    address = _blank(postgres_server)
    yield address
    _drop(postgres_server, address)


def _settings(address: DatabaseAddress, data_dir: Path) -> Settings:
    url = f"postgresql://{address.user}@/{address.dbname}?host={address.host}&port={address.port}"
    return Settings(data_dir=data_dir, password_hashing=FAST_HASHING, database_url=url)


def _datastore(address: DatabaseAddress) -> PostgresDatastore:
    return PostgresDatastore(
        address.dbname, address.host, address.port, address.user, address.password
    )


def test_an_upgraded_log_is_followed_from_where_each_follower_was(
    released: DatabaseAddress, tmp_path: Path
) -> None:
    settings = _settings(released, tmp_path / "var")
    old = bootstrap(settings, check_schema=False)  # for its mapper and keys only
    # The last release wrote with the library's recorder: LOCK TABLE, NOTIFY, ids in order.
    with _datastore(released) as datastore:
        locked = PostgresApplicationRecorder(datastore, events_table_name="prakerja_events")
        before = [stored(old.applicants, new_id(), 1) for _ in range(30)]
        ids = [locked.insert_events([event])[0] for event in before]  # type: ignore[index,unused-ignore]
    old.close()
    with psycopg.connect(released.conninfo, autocommit=True) as conn:
        # Followers of the last release, each at the id it had read up to.
        conn.execute(
            "INSERT INTO log_positions (name, position) VALUES"
            " ('at-start', 0), ('halfway', %s), ('at-end', %s)",
            (ids[14], ids[-1]),
        )

    upgrade(released)

    service = bootstrap(settings)
    try:
        assert service.pool is not None
        with service.pool.connection() as conn:
            rows = conn.execute(
                "SELECT notification_id, transaction_id::text FROM prakerja_events"
                " ORDER BY notification_id"
            ).fetchall()
        assert rows == [(i, "1") for i in ids]  # not renumbered, all before any new one
        create_delivered(service.pool)
        resumed = {
            name: LogFollower(service.applicants, service.pool, Keeper(name))
            for name in ("at-start", "halfway", "at-end")
        }
        for follower in resumed.values():
            follower.catch_up()
        events = [(e.originator_id, 1) for e in before]

        def got(name: str) -> list[tuple[Any, int]]:
            return [(o, v) for o, v, _ in delivered(service.pool, name)]  # type: ignore[arg-type]

        assert got("at-start") == events
        assert got("halfway") == events[15:]
        assert got("at-end") == []

        after = [stored(service.applicants, new_id(), 1) for _ in range(5)]
        service.applicants.recorder.insert_events(after)
        for follower in resumed.values():
            follower.catch_up()
        added = sorted((e.originator_id, 1) for e in after)
        for name, earlier in (("at-start", events), ("halfway", events[15:]), ("at-end", [])):
            assert got(name)[: len(earlier)] == earlier, name
            assert sorted(got(name)[len(earlier) :]) == added, name  # one save, in any order
    finally:
        service.close()


_SCHEMA = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default"
    " FROM information_schema.columns WHERE table_schema = 'public'"
    " AND table_name = ANY(%s) ORDER BY table_name, ordinal_position",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes"
    " WHERE schemaname = 'public' AND tablename = ANY(%s) ORDER BY 1, 2",
    "constraints": "SELECT c.relname, conname, pg_get_constraintdef(k.oid) FROM pg_constraint k"
    " JOIN pg_class c ON c.oid = k.conrelid WHERE c.relname = ANY(%s) ORDER BY 1, 2",
    "options": "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s) ORDER BY 1",
}


def _schema(address: DatabaseAddress, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(address.conninfo) as conn:
        return {part: conn.execute(sql, (tables,)).fetchall() for part, sql in _SCHEMA.items()}


def test_an_upgraded_database_is_the_same_as_a_new_one(
    released: DatabaseAddress, database: DatabaseAddress, blank: DatabaseAddress
) -> None:
    """``database`` was migrated from nothing; ``released`` from the last release, with
    events in it; ``blank`` got the events table from the recorder's own DDL (what the
    library does with CREATE_TABLE=y, as in its test case)."""
    with _datastore(released) as datastore:
        locked = PostgresApplicationRecorder(datastore, events_table_name="prakerja_events")
        locked.insert_events(
            [
                locked.construct_pg_stored_event(new_id(), 1, "t", b"x")  # type: ignore[list-item,unused-ignore]
            ]
        )
    upgrade(released)
    tables = ["prakerja_events", "log_positions"]
    assert _schema(released, tables) == _schema(database, tables)
    with _datastore(blank) as datastore:
        TransactionOrderedRecorder(datastore, events_table_name="prakerja_events").create_table()
    events = ["prakerja_events"]
    assert _schema(blank, events) == _schema(database, events)
