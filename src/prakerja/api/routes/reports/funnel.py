"""The funnel: applicants per milestone, in total or by day, province or wave."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from pydantic import BaseModel, Field

from prakerja.api.bounds import Days, Offset, WaveQuery
from prakerja.api.positions import After
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import READ_MODELS
from prakerja.api.routes.reports.reading import (
    REPORT_DEPENDENCIES,
    STAFF,
    Limit,
    Out,
    Province,
    ReadModels,
)
from prakerja.projections.queries.funnel import (
    FunnelFilter,
    funnel_breakdown,
    funnel_totals,
    stages,
)


class FunnelStage(BaseModel):
    milestone: str
    applicants: int
    after: str | None = Field(
        description="The milestone every applicant at this one reached first (not always"
        " the row above: the phone can be verified before the identity is checked)"
    )
    drop_off: int | None = Field(
        description="Applicants at `after` who did not reach this milestone; never negative."
        " Exact over the whole programme; counts cut by days or summed over waves are not"
        " one cohort, so there it is floored at 0. Null without `after` counted"
    )
    conversion: float | None = Field(
        description="This milestone's applicants over `after`'s, at most 1; null without it"
    )


class FunnelGroup(BaseModel):
    group: str
    stages: list[FunnelStage]


class FunnelOut(Out):
    stages: list[FunnelStage]
    breakdown: list[FunnelGroup] | None = None


class FunnelReports(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = REPORT_DEPENDENCIES

    @get(
        "/funnel",
        opt=STAFF | raises(READ_MODELS),
        sync_to_thread=True,
        summary="Applicants per milestone",
    )
    def funnel(
        self,
        read_models: NamedDependency[ReadModels],
        days: NamedDependency[Days],
        wave: WaveQuery = None,
        province: Province = None,
        by: FromQuery[Literal["day", "province", "wave"] | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        after: After = None,
    ) -> FunnelOut:
        where = FunnelFilter(wave, province, days.first, days.last)
        position = read_models.position("funnel", after)
        with read_models.connection() as conn:
            totals = _stages(funnel_totals(conn, where))
            groups = funnel_breakdown(conn, where, by, limit, offset) if by else None
        breakdown = (
            [FunnelGroup(group=str(group), stages=_stages(counts)) for group, counts in groups]
            if groups is not None
            else None
        )
        return FunnelOut(position=position, stages=totals, breakdown=breakdown)


def _stages(counts: dict[str, int]) -> list[FunnelStage]:
    return [FunnelStage(**row) for row in stages(counts)]
