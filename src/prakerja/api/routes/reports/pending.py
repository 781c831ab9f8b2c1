"""Pending work: applicants waiting on a verification, grouped and listed longest first."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from pydantic import BaseModel, Field

from prakerja.api.bounds import AgeMinutes
from prakerja.api.positions import After
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import PAGED, READ_MODELS
from prakerja.api.routes.reports.reading import (
    OPERATIONS,
    REPORT_DEPENDENCIES,
    Cursor,
    Limit,
    Out,
    ReadModels,
)
from prakerja.api.text import QueryText
from prakerja.projections.queries.pending import PendingFilter, pending_summary, pending_work


class PendingGroup(BaseModel):
    stage: str
    waiting_on: str
    status: str
    applicants: int
    oldest_since: dt.datetime | None


class PendingItem(BaseModel):
    applicant_id: UUID
    stage: str
    step: str
    waiting_on: str
    status: str
    since: dt.datetime
    attempts: int
    retry_after: dt.datetime | None
    fault: str | None
    due_at: dt.datetime | None = Field(description="When the work ledger offers it next")
    enqueued_at: dt.datetime | None = Field(description="When it was last sent to a worker")


class PendingOut(Out):
    summary: list[PendingGroup]
    items: list[PendingItem]
    next_cursor: str | None


class PendingReports(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = REPORT_DEPENDENCIES

    @get(
        "/pending",
        opt=OPERATIONS | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Applicants waiting on a verification, longest first",
    )
    def pending(
        self,
        read_models: NamedDependency[ReadModels],
        stage: QueryText = None,
        waiting_on: FromQuery[Literal["automation", "applicant"] | None] = None,
        status: FromQuery[Literal["pending", "delayed"] | None] = None,
        older_than_minutes: AgeMinutes = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        after: After = None,
    ) -> PendingOut:
        before = (
            None
            if older_than_minutes is None
            else dt.datetime.now(dt.UTC) - dt.timedelta(minutes=older_than_minutes)
        )
        position = read_models.position("cases", after)
        with read_models.connection() as conn:
            summary = pending_summary(conn)
            page = pending_work(
                conn, PendingFilter(stage, waiting_on, status, before), limit, cursor
            )
        return PendingOut(
            position=position,
            summary=[PendingGroup(**row) for row in summary],
            items=[PendingItem(**row) for row in page.items],
            next_cursor=page.next_cursor,
        )
