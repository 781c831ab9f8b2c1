"""What every ``prakerja`` command shares: the group, one-line errors, settings, supervision."""

from __future__ import annotations

import signal
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click
import psycopg
import sqlalchemy.exc
from psycopg_pool import PoolTimeout
from pydantic import ValidationError

from prakerja.db.migrations import SchemaNotCurrent
from prakerja.logs import Role
from prakerja.security.keys import MissingSecret
from prakerja.settings import Settings

if TYPE_CHECKING:
    from prakerja.container import Container
    from prakerja.workers.supervisor import Supervisor


F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """A one-line error for the terminal; exit status 1."""


def one_line_errors(command: F) -> F:
    """Known failures become one line on stderr and a non-zero exit, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (SchemaNotCurrent, MissingSecret) as error:
            raise CliError(str(error)) from None
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise CliError(f"invalid setting PRAKERJA_{where.upper()}: {first['msg']}") from None
        except (OSError, psycopg.Error, sqlalchemy.exc.SQLAlchemyError, PoolTimeout) as error:
            first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise CliError(f"{type(error).__name__}: {first_line}") from None

    return wrapper  # type: ignore[return-value]


def settings_for(role: Role = "cli") -> Settings:
    settings = Settings()
    from prakerja.logs import configure_logging

    configure_logging(settings, role)
    return settings


@click.group()
@click.version_option(package_name="prakerja")
def main() -> None:
    """Case management for Kartu Prakerja applicants."""


def serve_metrics(settings: Settings) -> None:
    """A long-running process other than the API serves its metrics on a port, if set."""
    if settings.metrics.port is not None:
        from prakerja.metrics.exposition import serve_on_port

        serve_on_port(settings.metrics.host, settings.metrics.port)


def run_supervised(
    container: Container,
    supervisor: Supervisor,
    *,
    give_up_when: Literal["any", "all"],
    failure: str,
) -> None:
    """Run ``supervisor``'s loops until SIGTERM or Ctrl-C; exit 1 with ``failure`` if
    they ended (any, or all) first. The loops are stopped and the container closed."""
    previous = signal.signal(signal.SIGTERM, lambda *_: supervisor.stop_event.set())
    supervisor.start()
    try:
        told_to_stop = supervisor.wait(give_up_when=give_up_when)
    finally:
        supervisor.stop()
        container.close()
        signal.signal(signal.SIGTERM, previous)
    if not told_to_stop:
        raise CliError(failure)
