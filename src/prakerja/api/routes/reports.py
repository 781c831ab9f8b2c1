"""Read models for staff: funnel, rejections, waves and rosters, case search, pending work,
and the rule-change preview. Every list is paginated; nothing here shows personal data
beyond a masked NIK.

Read-your-writes: a client that wrote (and got the log ``position`` back) passes
``?after=<position>``; the read waits, up to ``projections.read_wait_s``, until the read
model has processed it, else answers 503 ``read_model_behind`` (with ``Retry-After``). A
position no write returned is a 400 ``position_not_in_log``: no wait would reach it
(:mod:`prakerja.api.positions`). Every answer carries the read model's ``position``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody, QueryParameter
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from prakerja.api.auth import Role, roles
from prakerja.api.bounds import (
    FROM_ZERO,
    AgeMinutes,
    Days,
    Offset,
    WavePath,
    WaveQuery,
    report_days,
)
from prakerja.api.positions import After, wanted
from prakerja.api.problem_docs import raises
from prakerja.api.problems import ProblemError
from prakerja.api.refusals import PAGED, POLICY, READ_MODELS
from prakerja.api.text import LINE_PATTERN, QueryText, for_parameters, lines_documented, query_text
from prakerja.bootstrap import Container
from prakerja.projections.live import wait_for
from prakerja.projections.preview import PolicyChange, evidence_from_read_model
from prakerja.projections.preview import preview as run_preview
from prakerja.projections.queries.cases import CaseFilter, search_cases
from prakerja.projections.queries.funnel import (
    FunnelFilter,
    funnel_breakdown,
    funnel_totals,
    stages,
)
from prakerja.projections.queries.pending import PendingFilter, pending_summary, pending_work
from prakerja.projections.queries.rejections import (
    RejectionFilter,
    rejection_events,
    rejection_reasons,
    rejection_totals,
)
from prakerja.projections.queries.rosters import roster, waves
from prakerja.projections.versions import live

_STAFF = roles(Role.REVIEWER, Role.AUDITOR, Role.OPS, Role.FINANCE)
_CASE_WORKERS = roles(Role.REVIEWER, Role.AUDITOR, Role.OPS)
_OPERATIONS = roles(Role.OPS, Role.REVIEWER)
_POLICY = roles(Role.OPS, Role.AUDITOR)

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="items per page")]
Cursor = Annotated[str | None, query_text(max_length=400, description="next_cursor")]
Province = Annotated[
    str | None, QueryParameter(pattern=for_parameters(r"^[0-9]{2}$"), max_length=2)
]


class Out(BaseModel):
    position: str = Field(
        description="Log position the read model had processed (`<transaction id>.<id>`)"
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


ListName = Annotated[str, StringConstraints(pattern=LINE_PATTERN, max_length=100)]


class PolicyIn(BaseModel):
    """Proposed rules; what is left out stays as recorded with each decision."""

    model_config = ConfigDict(extra="forbid")

    face_accept_max_distance: float | None = Field(default=None, examples=[0.45])
    face_review_max_distance: float | None = None
    minimum_age: int | None = Field(
        default=None, ge=0, le=150, examples=[21], json_schema_extra=FROM_ZERO
    )
    exclusion_lists_removed: list[ListName] = Field(
        default_factory=list, max_length=50, json_schema_extra=lines_documented(100)
    )
    exclusion_lists_added: list[ListName] = Field(
        default_factory=list, max_length=50, json_schema_extra=lines_documented(100)
    )


class ChangeCount(BaseModel):
    stage: str
    before: str
    after: str
    reason: str
    applicants: int


class ChangeOut(BaseModel):
    applicant_id: UUID
    stage: str
    before: str
    after: str
    reason: str
    measured: Any
    threshold_before: Any
    threshold_after: Any
    rules: str


class PreviewOut(Out):
    evaluated: dict[str, int] = Field(description="Current automated decisions re-decided")
    total_changes: int
    counts: list[ChangeCount]
    changes: list[ChangeOut]
    unevaluated_lists: list[str] = Field(
        description="Added lists no recorded evidence mentions: the registry would be asked"
    )


class ReportRoutes(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = {"days": Provide(report_days, sync_to_thread=False)}

    @get(
        "/funnel",
        opt=_STAFF | raises(READ_MODELS),
        sync_to_thread=True,
        summary="Applicants per milestone",
    )
    def funnel(
        self,
        container: NamedDependency[Container],
        days: NamedDependency[Days],
        wave: WaveQuery = None,
        province: Province = None,
        by: FromQuery[Literal["day", "province", "wave"] | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        after: After = None,
    ) -> FunnelOut:
        where = FunnelFilter(wave, province, days.first, days.last)
        pool = _pool(container)
        position = _position(container, pool, "funnel", after)
        with pool.connection() as conn:
            totals = _stages(funnel_totals(conn, where))
            groups = funnel_breakdown(conn, where, by, limit, offset) if by else None
        breakdown = (
            [FunnelGroup(group=str(group), stages=_stages(counts)) for group, counts in groups]
            if groups is not None
            else None
        )
        return FunnelOut(position=position, stages=totals, breakdown=breakdown)

    @get(
        "/rejections",
        opt=_STAFF | raises(READ_MODELS),
        sync_to_thread=True,
        summary="Rejections, flags and delays by stage and reason",
    )
    def rejections(
        self,
        container: NamedDependency[Container],
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
        pool = _pool(container)
        position = _position(container, pool, "rejections", after)
        with pool.connection() as conn:
            decisions = rejection_totals(conn, where)
            reasons = rejection_reasons(conn, where, limit, offset)
        return RejectionsOut(
            position=position,
            decisions=[Decisions(**row) for row in decisions],
            reasons=[ReasonCount(**row) for row in reasons],
        )

    @get(
        "/rejections/events",
        opt=_STAFF | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Every rejection, flag and delay, newest first (the audit trail)",
    )
    def rejection_events(
        self,
        container: NamedDependency[Container],
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
        pool = _pool(container)
        position = _position(container, pool, "rejections", after)
        with pool.connection() as conn:
            page = rejection_events(conn, where, applicant_id, limit, cursor)
        return RejectionEventsOut(
            position=position,
            items=[RejectionEvent(**row) for row in page.items],
            next_cursor=page.next_cursor,
        )

    @get(
        "/waves",
        opt=_STAFF | raises(READ_MODELS),
        sync_to_thread=True,
        summary="Waves: joined, selected, not",
    )
    def waves(
        self,
        container: NamedDependency[Container],
        limit: Limit = 50,
        offset: Offset = 0,
        after: After = None,
    ) -> WavesOut:
        pool = _pool(container)
        position = _position(container, pool, "rosters", after)
        with pool.connection() as conn:
            rows = waves(conn, limit, offset)
        return WavesOut(position=position, items=[Wave(**row) for row in rows])

    @get(
        "/waves/{wave_number:int}/roster",
        opt=_STAFF | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Who joined a wave, whether selected, and the decree (SK)",
    )
    def roster(
        self,
        container: NamedDependency[Container],
        wave_number: WavePath,
        outcome: FromQuery[Literal["waiting", "selected", "not_selected"] | None] = None,
        limit: Limit = 100,
        cursor: Cursor = None,
        after: After = None,
    ) -> RosterOut:
        pool = _pool(container)
        position = _position(container, pool, "rosters", after)
        with pool.connection() as conn:
            page = roster(conn, wave_number, outcome, limit, cursor)
        return RosterOut(
            position=position,
            items=[RosterEntry(**row) for row in page.items],
            next_cursor=page.next_cursor,
        )

    @get(
        "/cases",
        opt=_CASE_WORKERS | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Search cases",
    )
    def cases(
        self,
        container: NamedDependency[Container],
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
        pool = _pool(container)
        position = _position(container, pool, "cases", after)
        with pool.connection() as conn:
            page = search_cases(
                conn, CaseFilter(nik, status, wave, province, reason), limit, cursor
            )
        return CasesOut(
            position=position,
            items=[Case(**row) for row in page.items],
            next_cursor=page.next_cursor,
        )

    @get(
        "/pending",
        opt=_OPERATIONS | raises(READ_MODELS, PAGED),
        sync_to_thread=True,
        summary="Applicants waiting on a verification, longest first",
    )
    def pending(
        self,
        container: NamedDependency[Container],
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
        pool = _pool(container)
        position = _position(container, pool, "cases", after)
        with pool.connection() as conn:
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

    @post(
        "/rule-preview",
        opt=_POLICY | raises(READ_MODELS, POLICY),
        sync_to_thread=True,
        status_code=200,
        summary="Whose outcome a changed rule would change (nothing is re-run or written)",
    )
    def rule_preview(
        self,
        container: NamedDependency[Container],
        data: JSONBody[PolicyIn],
        limit: Limit = 100,
        offset: Offset = 0,
        after: After = None,
    ) -> PreviewOut:
        policy = PolicyChange(
            data.face_accept_max_distance,
            data.face_review_max_distance,
            data.minimum_age,
            frozenset(data.exclusion_lists_removed),
            frozenset(data.exclusion_lists_added),
        )
        pool = _pool(container)
        position = _position(container, pool, "decisions", after)
        with pool.connection() as conn:
            result = run_preview(policy, evidence_from_read_model(conn, policy.stages))
        return PreviewOut(
            position=position,
            evaluated=dict(result.evaluated),
            total_changes=len(result.changes),
            counts=[
                ChangeCount(stage=s, before=b, after=a, reason=r, applicants=n)
                for s, b, a, r, n in result.counts()
            ],
            changes=[ChangeOut(**vars(c)) for c in result.changes[offset : offset + limit]],
            unevaluated_lists=sorted(result.unevaluated_lists),
        )


def _stages(counts: dict[str, int]) -> list[FunnelStage]:
    return [FunnelStage(**row) for row in stages(counts)]


def _pool(container: Container) -> ConnectionPool:
    if container.pool is None:
        raise ProblemError(503, "read_models_unavailable", "Read models need PostgreSQL.")
    return container.pool


def _position(container: Container, pool: ConnectionPool, kind: str, after: str | None) -> str:
    """The read model's position, after waiting for ``after`` if the client asked."""
    if after is not None:
        target = wanted(container.applicants, after)
        wait = container.settings.projections.read_wait_s
        reached = wait_for(pool, kind, target, wait)
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
