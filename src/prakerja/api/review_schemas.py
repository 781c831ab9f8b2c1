"""Bodies of the review endpoints, and the single-case view with its masking."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from prakerja.api.schemas import POSITION_HELP, token
from prakerja.api.text import Prose
from prakerja.application.review import ReviewWritten
from prakerja.application.review_case import Case, TrailStep
from prakerja.domain.nik import mask_nik
from prakerja.domain.review import MAX_JUSTIFICATION, MIN_JUSTIFICATION, Outcome, ReviewStatus
from prakerja.projections.review_queue import QueueEntry

_MASKS: dict[str, Callable[[str], str]] = {
    "nik": mask_nik,
    "kk_number": mask_nik,
    "full_name": lambda v: v[:1] + "***",
    "mother_maiden_name": lambda v: v[:1] + "***",
    "birth_date": lambda v: "****-**-**",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TakeIn(_Body):
    applicant_id: UUID = Field(examples=["0b7e4f6a-2c1d-4e8f-9a3b-5c6d7e8f9a0b"])
    stage: Literal["identity", "education", "exclusion", "face"]


class Justification(_Body):
    justification: Prose = Field(
        min_length=MIN_JUSTIFICATION,
        max_length=MAX_JUSTIFICATION,
        examples=["The selfie and the registry photo show the same person; the ID card matches."],
    )


class DecisionIn(Justification):
    outcome: Outcome


class DisputeIn(_Body):
    stage: Literal["identity", "education", "exclusion"]
    statement: Prose = Field(
        min_length=10,
        max_length=2000,
        examples=["I left school in 2019; the registry still lists me as a student."],
    )


class ReviewOut(BaseModel):
    review_id: UUID
    status: str
    position: str | None = Field(description=POSITION_HELP, examples=["48213.1093771"])

    @classmethod
    def of(cls, written: ReviewWritten) -> ReviewOut:
        return cls(
            review_id=written.review_id, status=written.status, position=token(written.position)
        )


class QueueOut(BaseModel):
    position: str = Field(description="The queue is up to date with the log up to here")
    entries: list[QueueEntry]


class DecisionOut(BaseModel):
    event: str
    version: int
    automated_status: str
    rules: list[str]
    reasons: list[dict[str, Any]]
    evidence: dict[str, Any]


class CaseOut(BaseModel):
    review_id: UUID
    applicant_id: UUID
    stage: str
    kind: str
    status: str
    holder: str | None
    proposed_by: str | None
    proposed_outcome: str | None
    proposal_justification: str | None
    stale: bool = Field(description="The case changed since it was flagged; nothing can be decided")
    decision: DecisionOut | None
    personal_data_shown: bool
    personal_data: dict[str, str]
    statement: str | None
    trail: list[TrailStep]


def case_out(case: Case, personal: dict[str, str], statement: str | None, clear: bool) -> CaseOut:
    review, flag = case.review, case.flag
    decision = None
    if flag is not None:
        decision = DecisionOut(
            event=flag.decision_event,
            version=flag.decision_version,
            automated_status=flag.automated_status.value,
            rules=list(flag.rules),
            reasons=[dict(r) for r in flag.reasons],
            evidence=dict(flag.evidence),
        )
    return CaseOut(
        review_id=review.id,
        applicant_id=review.applicant_id,
        stage=review.stage.value,
        kind=review.kind,
        status=review.status.value,
        holder=review.holder,
        proposed_by=review.proposed_by,
        proposed_outcome=review.proposed_outcome.value if review.proposed_outcome else None,
        proposal_justification=review.proposal_justification,
        stale=flag is None and review.status is not ReviewStatus.DECIDED,
        decision=decision,
        personal_data_shown=clear,
        personal_data=personal if clear else {k: _MASKS[k](v) for k, v in personal.items()},
        statement=statement if clear else None,
        trail=case.trail,
    )
