"""A database URL's connection options (sslmode, target_session_attrs, ...) reach every
connection the service opens: its pool, the event store's pool and the migrations."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from eventsourcing.postgres import PostgresFactory
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from prakerja.bootstrap import bootstrap
from prakerja.db.server import DatabaseAddress
from prakerja.settings import Settings
from tests.helpers import FAST_HASHING

URL = (
    "postgresql://staff:s%40cret@db.example:6543/cases"
    "?sslmode=verify-full&target_session_attrs=read-write&application_name=prakerja-api"
)


def test_options_are_kept_beside_the_address() -> None:
    address = DatabaseAddress.from_url(URL)
    assert (address.host, address.port, address.dbname) == ("db.example", 6543, "cases")
    assert (address.user, address.password) == ("staff", "s@cret")
    assert dict(address.options) == {
        "sslmode": "verify-full",
        "target_session_attrs": "read-write",
        "application_name": "prakerja-api",
    }
    conninfo = psycopg.conninfo.conninfo_to_dict(address.conninfo)
    assert conninfo["sslmode"] == "verify-full"
    assert conninfo["target_session_attrs"] == "read-write"
    assert "sslmode=verify-full" in address.sqlalchemy_url
    assert "target_session_attrs=read-write" in address.sqlalchemy_url


def test_the_address_parts_of_the_query_are_not_options() -> None:
    address = DatabaseAddress.from_url(
        "postgresql://u@/db?host=/run/postgresql&port=5433&sslmode=disable"
    )
    assert (address.host, address.port, address.options) == (
        "/run/postgresql",
        5433,
        (("sslmode", "disable"),),
    )


@pytest.mark.postgres
def test_every_connection_of_the_service_carries_the_options(
    database: DatabaseAddress, tmp_path: Path
) -> None:
    name = f"prakerja-options-{uuid.uuid4().hex[:8]}"
    url = (
        f"postgresql://{database.user}:{database.password}@/{database.dbname}"
        f"?host={database.host}&port={database.port}"
        f"&sslmode=disable&target_session_attrs=read-write&application_name={name}"
    )
    settings = Settings(data_dir=tmp_path / "var", password_hashing=FAST_HASHING, database_url=url)
    container = bootstrap(settings)
    try:
        assert container.pool is not None
        with container.pool.connection() as conn:
            assert conn.execute("SHOW application_name").fetchone() == (name,)
        factory = container.applicants.factory
        assert isinstance(factory, PostgresFactory)
        with factory.datastore.get_connection() as conn:
            assert conn.execute("SHOW application_name").fetchone() == {"application_name": name}
        assert container.database is not None
        engine = create_engine(container.database.sqlalchemy_url, poolclass=NullPool)
        with engine.connect() as conn:
            assert conn.execute(text("SHOW application_name")).scalar() == name
    finally:
        container.close()
