"""The command line: one-line errors and non-zero exits, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from prakerja.db.migrations import schema_status
from prakerja.db.server import DatabaseAddress
from tests.integration.server import database_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def empty_database(postgres_server: DatabaseAddress) -> Iterator[DatabaseAddress]:
    name = f"prakerja_empty_{uuid.uuid4().hex[:10]}"
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


def prakerja(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prakerja", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_on_an_unmigrated_database_says_what_to_run(
    empty_database: DatabaseAddress, tmp_path: Path
) -> None:
    env = {
        "PRAKERJA_DATABASE_URL": database_url(empty_database),
        "PRAKERJA_DATA_DIR": str(tmp_path),
    }
    result = prakerja("serve", env=env)
    assert result.returncode == 1
    assert "run `prakerja migrate`" in result.stderr
    assert "Traceback" not in result.stderr
    migrated = prakerja("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "schema at" in migrated.stdout
    assert schema_status(empty_database).is_current


def test_production_without_keys_refuses_to_start(tmp_path: Path) -> None:
    result = prakerja(
        "serve", env={"PRAKERJA_MODE": "production", "PRAKERJA_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 1
    assert "PRAKERJA_CIPHER_KEY" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    result = prakerja(
        "migrate", env={"PRAKERJA_HTTP_PORT": "eighty", "PRAKERJA_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 1
    assert "PRAKERJA_HTTP_PORT" in result.stderr and "Traceback" not in result.stderr
    unreachable = prakerja(
        "migrate",
        env={
            "PRAKERJA_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "PRAKERJA_DATA_DIR": str(tmp_path),
        },
    )
    assert unreachable.returncode == 1 and "Traceback" not in unreachable.stderr
