"""Case search: one row per applicant, by masked NIK, status, wave, province or reason."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from pydantic import BaseModel

from prakerja.api.bounds import WaveQuery
from prakerja.api.positions import After
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import PAGED, READ_MODELS
from prakerja.api.routes.reports.reading import (
    CASE_WORKERS,
    REPORT_DEPENDENCIES,
    Cursor,
    Limit,
    Out,
    Province,
    ReadModels,
)
from prakerja.api.text import QueryText, for_parameters
from prakerja.projections.queries.cases import CaseFilter, search_cases


class Case(BaseModel):
    applicant_id: UUID
    registered_at: dt.datetime
    updated_at: dt.datetime
    nik_masked: str | None
    province: str | None
    status: str
    stages: dict[str, str]
    reasons: list[str]
    membership: str
    wave_number: int | None
    sk_number: str | None


class CasesOut(Out):
    items: list[Case]
    next_cursor: str | None


class CaseReports(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = REPORT_DEPENDENCIES

    @get(
        "/cases",
        opt=CASE_WORKERS | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Search cases",
    )
    def cases(
        self,
        read_models: NamedDependency[ReadModels],
        nik: Annotated[
            str | None,
            QueryParameter(
                max_length=32,
                pattern=for_parameters(r"^[0-9* .\-]+$"),
                description="masked (3201********0001) or whole; masked before searching",
            ),
        ] = None,
        status: QueryText = None,
        wave: WaveQuery = None,
        province: Province = None,
        reason: QueryText = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        after: After = None,
    ) -> CasesOut:
        position = read_models.position("cases", after)
        with read_models.connection() as conn:
            page = search_cases(
                conn, CaseFilter(nik, status, wave, province, reason), limit, cursor
            )
        return CasesOut(
            position=position,
            items=[Case(**row) for row in page.items],
            next_cursor=page.next_cursor,
        )
