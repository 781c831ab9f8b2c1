"""Schema migrations, applied by Alembic from the project's ``migrations/`` folder."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from prakerja.db.server import DatabaseAddress


class SchemaNotCurrent(RuntimeError):
    """Raised at start-up when the database schema is behind the code."""


@dataclass(frozen=True)
class SchemaStatus:
    current: tuple[str, ...]
    head: tuple[str, ...]

    @property
    def is_current(self) -> bool:
        return set(self.current) == set(self.head)

    def describe(self) -> str:
        """``0008 (head)``, or where the schema is and where the head is."""
        at = ", ".join(self.current) or "no revision"
        return f"{at} (head)" if self.is_current else f"{at} (head: {', '.join(self.head)})"


def migrations_folder() -> Path:
    """``migrations/`` beside ``src/`` in a checkout, or the copy packed into the wheel."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parents[1] / "migrations", package / "_migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("the migrations folder is missing from this installation")


@functools.cache
def code_heads() -> tuple[str, ...]:
    """The revisions this code needs (read once from the migrations folder)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    return tuple(ScriptDirectory.from_config(config).get_heads())


def schema_status_on(conn: psycopg.Connection[Any]) -> SchemaStatus:
    """:func:`schema_status` over a connection the caller already holds (``/ready``)."""
    try:
        with conn.transaction():
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except psycopg.errors.UndefinedTable:
        rows = []
    return SchemaStatus(current=tuple(str(row[0]) for row in rows), head=code_heads())


def _config(address: DatabaseAddress) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    config.set_main_option("sqlalchemy.url", address.sqlalchemy_url.replace("%", "%%"))
    return config


def upgrade(address: DatabaseAddress, revision: str = "heads") -> SchemaStatus:
    """Apply every pending migration, each in its own transaction."""
    command.upgrade(_config(address), revision)
    return schema_status(address)


def schema_status(address: DatabaseAddress) -> SchemaStatus:
    engine = create_engine(address.sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    return SchemaStatus(current=tuple(current), head=code_heads())


def require_current(address: DatabaseAddress) -> None:
    status = schema_status(address)
    if not status.is_current:
        raise SchemaNotCurrent(
            f"the database schema is at {list(status.current) or 'nothing'} but the code "
            f"needs {list(status.head)}: run `prakerja migrate`"
        )
