"""The database not answering is a 503 problem to retry, never a 500; service resumes after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.db.server import DatabaseAddress
from prakerja.settings import Settings
from tests.api.test_registration_api import assert_problem

pytestmark = pytest.mark.postgres


@pytest.fixture
def service(pg_settings: Settings) -> Iterator[TestClient[Any]]:
    # A short wait for a pooled connection: the event store retries ten times.
    container = bootstrap(pg_settings.model_copy(update={"db_connect_timeout": 1}))
    with TestClient(app=create_app(container), raise_server_exceptions=False) as client:
        yield client
    container.close()


def _refuse_connections(server: DatabaseAddress, database: DatabaseAddress, refuse: bool) -> None:
    with psycopg.connect(server.conninfo, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database.dbname}" ALLOW_CONNECTIONS {not refuse!s}')
        if refuse:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database.dbname,),
            )


def test_registration_while_the_database_is_down_is_a_503_then_works_again(
    service: TestClient[Any], postgres_server: DatabaseAddress, database: DatabaseAddress
) -> None:
    first = service.post("/v1/applicants", json={"email": "a@example.com", "password": "pw-123456"})
    assert first.status_code == 201, first.text
    _refuse_connections(postgres_server, database, refuse=True)
    try:
        down = service.post(
            "/v1/applicants", json={"email": "b@example.com", "password": "pw-123456"}
        )
        assert_problem(down, 503, "database_unavailable")
        assert int(down.headers["retry-after"]) >= 1
    finally:
        _refuse_connections(postgres_server, database, refuse=False)
    again = service.post("/v1/applicants", json={"email": "b@example.com", "password": "pw-123456"})
    assert again.status_code == 201, again.text
