"""What every report shares: its read-your-writes wait, its paging parameters, its roles.

Read-your-writes: a client that wrote (and got the log ``position`` back) passes
``?after=<position>``; the read waits, up to ``projections.read_wait_s``, until the read
model has processed it, else answers 503 ``read_model_behind`` (with ``Retry-After``). A
position no write returned is a 400 ``position_not_in_log``: no wait would reach it
(:mod:`prakerja.api.positions`). Every answer carries the read model's ``position``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated, Any

import psycopg
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from prakerja.api.auth import Role, roles
from prakerja.api.bounds import report_days
from prakerja.api.positions import wanted
from prakerja.api.problems import ProblemError
from prakerja.api.text import for_parameters, query_text
from prakerja.application.applicants import Applicants
from prakerja.projections.live import wait_for
from prakerja.projections.versions import live
from prakerja.settings import Settings

STAFF = roles(Role.REVIEWER, Role.AUDITOR, Role.OPS, Role.FINANCE)
CASE_WORKERS = roles(Role.REVIEWER, Role.AUDITOR, Role.OPS)
OPERATIONS = roles(Role.OPS, Role.REVIEWER)
POLICY_READERS = roles(Role.OPS, Role.AUDITOR)

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="items per page")]
Cursor = Annotated[str | None, query_text(max_length=400, description="next_cursor")]
Province = Annotated[
    str | None, QueryParameter(pattern=for_parameters(r"^[0-9]{2}$"), max_length=2)
]


class Out(BaseModel):
    position: str = Field(
        description="Log position the read model had processed (`<transaction id>.<id>`)"
    )


class ReadModels:
    """The read models' tables, and how far each has read the log.

    Without PostgreSQL there are none: the first use answers 503, after the request's
    parameters were checked.
    """

    def __init__(
        self, pool: ConnectionPool | None, applicants: Applicants, read_wait_s: float
    ) -> None:
        self._pool = pool
        self._applicants = applicants
        self._read_wait_s = read_wait_s

    def position(self, kind: str, after: str | None) -> str:
        """The read model's position, after waiting for ``after`` if the client asked."""
        pool = self._available()
        if after is not None:
            target = wanted(self._applicants, after)
            reached = wait_for(pool, kind, target, self._read_wait_s)
            if reached is None:
                raise ProblemError(
                    503,
                    "read_model_behind",
                    f"The {kind} read model has not reached position {after} yet.",
                    retry_after=1,
                )
            return str(reached)
        with pool.connection() as conn:
            return str(live(conn, kind).position)

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._available().connection()

    def _available(self) -> ConnectionPool:
        if self._pool is None:
            raise ProblemError(503, "read_models_unavailable", "Read models need PostgreSQL.")
        return self._pool


def provide_read_models(
    pool: NamedDependency[ConnectionPool | None],
    applicants: NamedDependency[Applicants],
    settings: NamedDependency[Settings],
) -> ReadModels:
    return ReadModels(pool, applicants, settings.projections.read_wait_s)


REPORT_DEPENDENCIES = {
    "days": Provide(report_days, sync_to_thread=False),
    "read_models": Provide(provide_read_models, sync_to_thread=False),
}
"""Every report controller's: its days (``day_from``, ``day_to``) and its read models."""
