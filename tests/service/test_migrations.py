"""The migration history: one line of revisions, and `prakerja migrate` naming where it is."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory

from prakerja.db.migrations import migrations_folder, schema_status, upgrade
from prakerja.db.server import DatabaseAddress
from tests.integration.server import database_url
from tests.service.test_cli import prakerja


@pytest.fixture
def empty_database(postgres_server: DatabaseAddress) -> Iterator[DatabaseAddress]:
    name = f"prakerja_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield DatabaseAddress(
        postgres_server.host,
        postgres_server.port,
        name,
        postgres_server.user,
        postgres_server.password,
    )
    with psycopg.connect(postgres_server.conninfo, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_the_history_has_one_head() -> None:
    heads = ScriptDirectory(str(migrations_folder())).get_heads()
    assert len(heads) == 1, heads


@pytest.mark.postgres
def test_a_database_left_on_the_three_branches_moves_to_the_one_head(
    empty_database: DatabaseAddress,
) -> None:
    for revision in ("0005", "0006", "0007"):  # where every database was before the merge
        upgrade(empty_database, revision)
    assert set(schema_status(empty_database).current) == {"0005", "0006", "0007"}
    status = upgrade(empty_database)
    assert len(status.current) == 1 and status.is_current


@pytest.mark.postgres
def test_migrate_names_the_one_revision_and_says_it_is_the_head(
    empty_database: DatabaseAddress, tmp_path: Path
) -> None:
    env = {
        "PRAKERJA_DATABASE_URL": database_url(empty_database),
        "PRAKERJA_DATA_DIR": str(tmp_path),
    }
    result = prakerja("migrate", env=env)
    assert result.returncode == 0, result.stderr
    (head,) = schema_status(empty_database).head
    assert result.stdout.strip() == f"schema at {head} (head) on {empty_database.display}"
