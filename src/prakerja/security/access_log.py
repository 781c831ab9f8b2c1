"""Who read which applicant's personal data, when, and through which endpoint.

Every time a member of staff is shown an applicant's personal data in clear (a NIK, a
name, a birth date, a photo, a dispute statement), one entry is written *before* the
data leaves: if the entry cannot be written, the request fails and nothing is shown.
Masked values (``3201********0001``) are not personal data and are not logged, which is
why lists only ever show masked values. Applicants reading their own case are not
logged: the law asks who else saw it.

The PostgreSQL table (migration 0006) is append-only: a trigger refuses updates,
deletes and truncation, so an entry cannot be quietly removed through the service's
own database role. Auditors query it per applicant and per staff member.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from psycopg_pool import ConnectionPool

PERSONAL_FIELDS = frozenset(
    {
        "nik",
        "kk_number",
        "full_name",
        "birth_date",
        "mother_maiden_name",
        "email",
        "previous",
        "phone",
        "statement",
    }
)
"""Fields of events and views that are personal data (all the presenters mask, and the
applicant's own words in a dispute)."""


@dataclass(frozen=True)
class AccessEntry:
    at: dt.datetime
    staff: str
    role: str
    applicant_id: UUID
    fields: tuple[str, ...]
    endpoint: str
    request_id: str | None = None


@dataclass(frozen=True)
class AccessQuery:
    """Filters for an auditor's question; ``field`` narrows to reads that showed it."""

    field: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 100


@runtime_checkable
class AccessLog(Protocol):
    def record(self, entry: AccessEntry) -> None: ...

    def for_applicant(self, applicant_id: UUID, query: AccessQuery) -> list[AccessEntry]: ...

    def by_staff(self, staff: str, query: AccessQuery) -> list[AccessEntry]: ...


class InMemoryAccessLog:
    def __init__(self) -> None:
        self._entries: list[AccessEntry] = []
        self._lock = threading.Lock()

    def record(self, entry: AccessEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def for_applicant(self, applicant_id: UUID, query: AccessQuery) -> list[AccessEntry]:
        return self._select(query, lambda e: e.applicant_id == applicant_id)

    def by_staff(self, staff: str, query: AccessQuery) -> list[AccessEntry]:
        return self._select(query, lambda e: e.staff == staff)

    def _select(self, query: AccessQuery, match: Any) -> list[AccessEntry]:
        with self._lock:
            found = [
                e
                for e in self._entries
                if match(e)
                and (query.field is None or query.field in e.fields)
                and (query.since is None or e.at >= query.since)
                and (query.until is None or e.at <= query.until)
            ]
        return sorted(found, key=lambda e: e.at, reverse=True)[: query.limit]


_COLUMNS = "at, staff, role, applicant_id, fields, endpoint, request_id"
_INSERT = (
    f"INSERT INTO personal_data_access ({_COLUMNS})"  # noqa: S608 - constant SQL
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


class PostgresAccessLog:
    """Entries in ``personal_data_access``, newest first."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def record(self, entry: AccessEntry) -> None:
        with self._pool.connection() as conn:
            conn.execute(
                _INSERT,
                (
                    entry.at,
                    entry.staff,
                    entry.role,
                    entry.applicant_id,
                    list(entry.fields),
                    entry.endpoint,
                    entry.request_id,
                ),
            )

    def for_applicant(self, applicant_id: UUID, query: AccessQuery) -> list[AccessEntry]:
        return self._select("applicant_id = %(who)s", applicant_id, query)

    def by_staff(self, staff: str, query: AccessQuery) -> list[AccessEntry]:
        return self._select("staff = %(who)s", staff, query)

    def _select(self, where: str, who: object, query: AccessQuery) -> list[AccessEntry]:
        sql = (
            f"SELECT {_COLUMNS} FROM personal_data_access WHERE {where}"  # noqa: S608 - constant SQL
            " AND (%(field)s::text IS NULL OR %(field)s = ANY(fields))"
            " AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)"
            " AND (%(until)s::timestamptz IS NULL OR at <= %(until)s)"
            " ORDER BY at DESC, id DESC LIMIT %(limit)s"
        )
        params = {
            "who": who,
            "field": query.field,
            "since": query.since,
            "until": query.until,
            "limit": query.limit,
        }
        with self._pool.connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [
            AccessEntry(at, staff, role, applicant_id, tuple(fields), endpoint, request_id)
            for at, staff, role, applicant_id, fields, endpoint, request_id in rows
        ]
