"""The rule-change preview: whose outcome proposed rules would change, from the recorded
evidence alone (nothing is re-run or written)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from prakerja.api.bounds import FROM_ZERO, Offset
from prakerja.api.positions import After
from prakerja.api.problem_docs import raises
from prakerja.api.refusals import POLICY, READ_MODELS
from prakerja.api.routes.reports.reading import (
    POLICY_READERS,
    REPORT_DEPENDENCIES,
    Limit,
    Out,
    ReadModels,
)
from prakerja.api.text import LINE_PATTERN, lines_documented
from prakerja.projections.preview import PolicyChange, evidence_from_read_model
from prakerja.projections.preview import preview as run_preview

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


class PreviewReports(Controller):
    path = "/v1/reports"
    tags = ["reports"]
    dependencies = REPORT_DEPENDENCIES

    @post(
        "/rule-preview",
        opt=POLICY_READERS | raises(READ_MODELS, POLICY),
        sync_to_thread=True,
        status_code=200,
        summary="Whose outcome a changed rule would change (nothing is re-run or written)",
    )
    def rule_preview(
        self,
        read_models: NamedDependency[ReadModels],
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
        position = read_models.position("decisions", after)
        with read_models.connection() as conn:
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
