"""Rejections, flags and delays: counted by stage and reason, and listed one by one."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from pydantic import BaseModel, Field

from prakerja.api.bounds import Days, Offset
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
from prakerja.api.text import QueryText
from prakerja.projections.queries.rejections import (
    RejectionFilter,
    rejection_events,
    rejection_reasons,
    rejection_totals,
)


class Decisions(BaseModel):
    stage: str
    kind: str
    decisions: int


class ReasonCount(BaseModel):
    stage: str
    kind: str
    reason: str
    rules: str
    events: int


class RejectionsOut(Out):
    decisions: list[Decisions] = Field(description="Per stage and kind, whatever the reasons")
    reasons: list[ReasonCount] = Field(description="A decision with two reasons counts twice")


class RejectionEvent(BaseModel):
    position: int
    seq: int
    applicant_id: UUID
    stage: str
    kind: str
    reason: str
    rules: str
    measured: str | None
    threshold: str | None
    decided_by: str
    recorded_at: dt.datetime


class RejectionEventsOut(Out):
    items: list[RejectionEvent]
    next_cursor: str | None


class RejectionReports(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = REPORT_DEPENDENCIES

    @get(
        "/rejections",
        opt=STAFF | raises(READ_MODELS),
        sync_to_thread=True,
        summary="Rejections, flags and delays by stage and reason",
    )
    def rejections(
        self,
        read_models: NamedDependency[ReadModels],
        days: NamedDependency[Days],
        stage: QueryText = None,
        kind: FromQuery[Literal["rejected", "flagged", "delayed", "revoked"] | None] = None,
        reason: QueryText = None,
        rules: QueryText = None,
        limit: Limit = 50,
        offset: Offset = 0,
        after: After = None,
    ) -> RejectionsOut:
        where = RejectionFilter(stage, kind, reason, rules, days.first, days.last)
        position = read_models.position("rejections", after)
        with read_models.connection() as conn:
            decisions = rejection_totals(conn, where)
            reasons = rejection_reasons(conn, where, limit, offset)
        return RejectionsOut(
            position=position,
            decisions=[Decisions(**row) for row in decisions],
            reasons=[ReasonCount(**row) for row in reasons],
        )

    @get(
        "/rejections/events",
        opt=STAFF | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Every rejection, flag and delay, newest first (the audit trail)",
    )
    def rejection_events(
        self,
        read_models: NamedDependency[ReadModels],
        days: NamedDependency[Days],
        stage: QueryText = None,
        kind: FromQuery[Literal["rejected", "flagged", "delayed", "revoked"] | None] = None,
        reason: QueryText = None,
        applicant_id: FromQuery[UUID | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        after: After = None,
    ) -> RejectionEventsOut:
        where = RejectionFilter(stage, kind, reason, None, days.first, days.last)
        position = read_models.position("rejections", after)
        with read_models.connection() as conn:
            page = rejection_events(conn, where, applicant_id, limit, cursor)
        return RejectionEventsOut(
            position=position,
            items=[RejectionEvent(**row) for row in page.items],
            next_cursor=page.next_cursor,
        )
