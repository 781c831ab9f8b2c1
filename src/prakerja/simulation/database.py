"""A scratch database for one simulation or benchmark run, created, migrated and dropped."""

from __future__ import annotations

import dataclasses
import secrets
from urllib.parse import quote

import psycopg
from psycopg import sql

from prakerja.db.server import DatabaseAddress

PREFIX = "prakerja_bench_"


def url_of(address: DatabaseAddress) -> str:
    """A ``postgresql://`` URL for the address (the form ``PRAKERJA_DATABASE_URL`` takes)."""
    credentials = quote(address.user, safe="")
    if address.password:
        credentials += ":" + quote(address.password, safe="")
    return (
        f"postgresql://{credentials}@/{quote(address.dbname, safe='')}"
        f"?host={quote(address.host, safe='/')}&port={address.port}"
    )


class ScratchDatabase:
    """``prakerja_bench_<label>_<random>`` on the server of ``server_url``."""

    def __init__(self, server_url: str, label: str, *, keep: bool = False) -> None:
        self.server = DatabaseAddress.from_url(server_url)
        name = f"{PREFIX}{label}_{secrets.token_hex(4)}"
        self.address = dataclasses.replace(self.server, dbname=name)
        self.keep = keep
        self._created = False

    @property
    def name(self) -> str:
        return self.address.dbname

    @property
    def url(self) -> str:
        return url_of(self.address)

    def create(self, *, migrate: bool = True) -> None:
        with psycopg.connect(self.server.conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self._created = True
        if migrate:
            from prakerja.db.migrations import upgrade

            upgrade(self.address)

    def drop(self) -> None:
        if not self._created or self.keep:
            return
        with psycopg.connect(self.server.conninfo, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
        self._created = False
