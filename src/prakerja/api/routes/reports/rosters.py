"""Waves as the read model counts them, and each wave's roster with the decree (SK)."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from pydantic import BaseModel

from prakerja.api.bounds import Offset, WavePath
from prakerja.api.positions import After
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import PAGED, READ_MODELS
from prakerja.api.routes.reports.reading import (
    REPORT_DEPENDENCIES,
    STAFF,
    Cursor,
    Limit,
    Out,
    ReadModels,
)
from prakerja.projections.queries.rosters import roster, waves


class Wave(BaseModel):
    wave_id: UUID
    wave_number: int
    joined: int
    waiting: int
    selected: int
    not_selected: int


class WavesOut(Out):
    items: list[Wave]


class RosterEntry(BaseModel):
    applicant_id: UUID
    wave_id: UUID
    wave_number: int
    joined_at: dt.datetime
    skills_test_score: int
    outcome: str
    decided_at: dt.datetime | None
    sk_number: str | None
    sk_date: dt.date | None
    nik_masked: str | None
    province: str | None


class RosterOut(Out):
    items: list[RosterEntry]
    next_cursor: str | None


class WaveReports(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = REPORT_DEPENDENCIES

    @get(
        "/waves",
        opt=STAFF | raises(READ_MODELS),
        sync_to_thread=True,
        summary="Waves: joined, selected, not",
    )
    def waves(
        self,
        read_models: NamedDependency[ReadModels],
        limit: Limit = 50,
        offset: Offset = 0,
        after: After = None,
    ) -> WavesOut:
        position = read_models.position("rosters", after)
        with read_models.connection() as conn:
            rows = waves(conn, limit, offset)
        return WavesOut(position=position, items=[Wave(**row) for row in rows])


class RosterReports(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = REPORT_DEPENDENCIES

    @get(
        "/waves/{wave_number:int}/roster",
        opt=STAFF | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Who joined a wave, whether selected, and the decree (SK)",
    )
    def roster(
        self,
        read_models: NamedDependency[ReadModels],
        wave_number: WavePath,
        outcome: FromQuery[Literal["waiting", "selected", "not_selected"] | None] = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        after: After = None,
    ) -> RosterOut:
        position = read_models.position("rosters", after)
        with read_models.connection() as conn:
            page = roster(conn, wave_number, outcome, limit, cursor)
        return RosterOut(
            position=position,
            items=[RosterEntry(**row) for row in page.items],
            next_cursor=page.next_cursor,
        )
