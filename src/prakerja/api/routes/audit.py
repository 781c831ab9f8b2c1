"""The access log, for auditors: who saw an applicant's personal data, and what a person saw."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from pydantic import BaseModel

from prakerja.api.auth import Role, roles
from prakerja.api.text import PathText
from prakerja.security.access_log import AccessEntry, AccessLog, AccessQuery

ShownField = Literal[
    "nik",
    "kk_number",
    "full_name",
    "birth_date",
    "mother_maiden_name",
    "email",
    "previous",
    "phone",
    "statement",
    "selfie",
    "registry_photo",
]


class AccessOut(BaseModel):
    entries: list[AccessEntry]


def _query(
    field: ShownField | None, since: dt.datetime | None, until: dt.datetime | None, limit: int
) -> AccessQuery:
    def aware(moment: dt.datetime | None) -> dt.datetime | None:
        return moment.replace(tzinfo=dt.UTC) if moment and moment.tzinfo is None else moment

    return AccessQuery(field=field, since=aware(since), until=aware(until), limit=limit)


class AuditRoutes(Controller):
    path = "/v1/audit/access"
    tags = ["audit"]

    @get(
        "/applicants/{applicant_id:uuid}",
        opt=roles(Role.AUDITOR),
        sync_to_thread=True,
        summary="Who saw this applicant's personal data, when, which fields, through what",
    )
    def for_applicant(
        self,
        applicant_id: FromPath[UUID],
        access_log: NamedDependency[AccessLog],
        field: FromQuery[ShownField | None] = None,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> AccessOut:
        query = _query(field, since, until, limit)
        return AccessOut(entries=access_log.for_applicant(applicant_id, query))

    @get(
        "/staff/{username:str}",
        opt=roles(Role.AUDITOR),
        sync_to_thread=True,
        summary="Whose personal data one member of staff saw, and when",
    )
    def by_staff(
        self,
        username: PathText,
        access_log: NamedDependency[AccessLog],
        field: FromQuery[ShownField | None] = None,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> AccessOut:
        return AccessOut(entries=access_log.by_staff(username, _query(field, since, until, limit)))
