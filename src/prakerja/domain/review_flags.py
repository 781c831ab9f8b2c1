"""Which of an applicant's stages wait for a person, read from the applicant's events.

A stage is flagged for review when its latest event is one of:

* the face check referring it to a person (``FaceReviewRequested``: a distance in the
  review band, or a registry photo that cannot be used);
* the applicant disputing a registry's rejection (``DecisionDisputed``);
* the ``REPEATED_DELAYS``-th technical delay in a row (``VerificationDelayed``).

Any later event on that stage (a new decision, a resubmission, an override) clears the
flag. A case refused for good keeps only the flags of its eligibility checks (the
refusal disputed, a check delayed): its face waits for nobody until a dispute reopens
the case. Every flag names the automated decision a reviewer confirms or replaces: the
event and its version. The commands (is this case still flagged, by which decision?)
and the review queue's follower both use this one function, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate

from prakerja.domain.applicant import Applicant
from prakerja.domain.stages import CORRECTABLE, Stage, StageStatus

REPEATED_DELAYS = 3
"""After this many technical delays in a row, a person looks at the case."""

REVIEWABLE = (Stage.IDENTITY, Stage.EDUCATION, Stage.EXCLUSION, Stage.FACE)

_EVIDENCE_LEFT_OUT = frozenset({"timings_ms", "measures"})


class FlagKind(StrEnum):
    FACE_REVIEW = "face_review"
    DISPUTE = "dispute"
    REPEATED_DELAY = "repeated_delay"


@dataclass(frozen=True)
class Flag:
    """One stage waiting for a reviewer, and the automated decision it is about."""

    stage: Stage
    kind: FlagKind
    decision_version: int
    decision_event: str
    automated_status: StageStatus
    flagged_at: dt.datetime
    rules: tuple[str, ...] = ()
    reasons: tuple[dict[str, Any], ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    statement: str | None = None


_DECISIONS: dict[type[Aggregate.Event], tuple[Stage, ...]] = {
    Applicant.NikValidated: (Stage.IDENTITY,),
    Applicant.NikRejected: (Stage.IDENTITY,),
    Applicant.EducationChecked: (Stage.EDUCATION,),
    Applicant.ExclusionChecked: (Stage.EXCLUSION,),
    Applicant.FaceMatched: (Stage.FACE,),
    Applicant.FaceMatchFailed: (Stage.FACE,),
    Applicant.FaceReviewRequested: (Stage.FACE,),
}

_OTHER_TOUCHES: dict[type[Aggregate.Event], tuple[Stage, ...]] = {
    Applicant.IdentitySubmitted: (Stage.IDENTITY,),
    # A validated identity restarts the later checks (and a waiting face check).
    Applicant.NikValidated: (Stage.IDENTITY, Stage.EDUCATION, Stage.EXCLUSION, Stage.FACE),
    Applicant.SelfieUploaded: (Stage.FACE,),
}


def review_flags(events: Iterable[Aggregate.Event]) -> dict[Stage, Flag]:
    """The stages flagged for review after these events (one applicant's, in order)."""
    flags: dict[Stage, Flag] = {}
    decisions: dict[int, Aggregate.Event] = {}
    applicant: Any = None
    for recorded in events:
        applicant = recorded.mutate(applicant)
        for stage in _touched(recorded):
            flags.pop(stage, None)
        if type(recorded) in _DECISIONS or isinstance(recorded, Applicant.DecisionOverridden):
            decisions[recorded.originator_version] = recorded
        flag = _raised(recorded, flags, decisions)
        if flag is not None:
            flags[flag.stage] = flag
    if isinstance(applicant, Applicant) and applicant.is_closed:
        return {stage: flag for stage, flag in flags.items() if stage not in CORRECTABLE}
    return flags


def last_decision_version(events: Iterable[Aggregate.Event], stage: Stage) -> int | None:
    """The version of the latest decision on ``stage`` (automated or a reviewer's)."""
    version = None
    for recorded in events:
        if stage in _DECISIONS.get(type(recorded), ()) or (
            isinstance(recorded, Applicant.DecisionOverridden) and recorded.stage == stage
        ):
            version = recorded.originator_version
    return version


def _touched(recorded: Aggregate.Event) -> tuple[Stage, ...]:
    stage = getattr(recorded, "stage", None)
    if isinstance(recorded, Applicant.VerificationDelayed):
        return ()  # handled in _raised: a delay keeps an existing delay flag
    if isinstance(stage, str):
        return (Stage(stage),)
    return _DECISIONS.get(type(recorded), ()) + _OTHER_TOUCHES.get(type(recorded), ())


def _raised(
    recorded: Aggregate.Event, flags: dict[Stage, Flag], decisions: dict[int, Aggregate.Event]
) -> Flag | None:
    if isinstance(recorded, Applicant.FaceReviewRequested):
        return Flag(
            stage=Stage.FACE,
            kind=FlagKind.FACE_REVIEW,
            decision_version=recorded.originator_version,
            decision_event=type(recorded).__name__,
            automated_status=StageStatus.IN_REVIEW,
            flagged_at=recorded.timestamp,
            rules=tuple(recorded.rules),
            reasons=tuple(recorded.reasons),
            evidence=_evidence(recorded.evidence),
        )
    if isinstance(recorded, Applicant.DecisionDisputed):
        return _dispute(recorded, decisions.get(recorded.disputed_version))
    if isinstance(recorded, Applicant.VerificationDelayed):
        return _delay(recorded, flags)
    return None


def _dispute(recorded: Applicant.DecisionDisputed, decision: Aggregate.Event | None) -> Flag:
    return Flag(
        stage=Stage(recorded.stage),
        kind=FlagKind.DISPUTE,
        decision_version=recorded.disputed_version,
        decision_event=type(decision).__name__ if decision else "unknown",
        automated_status=StageStatus.FAILED,
        flagged_at=recorded.timestamp,
        rules=tuple(getattr(decision, "rules", ())),
        reasons=tuple(getattr(decision, "reasons", ())),
        evidence=_evidence(getattr(decision, "evidence", {})),
        statement=recorded.statement,
    )


def _delay(recorded: Applicant.VerificationDelayed, flags: dict[Stage, Flag]) -> Flag | None:
    stage = Stage(recorded.stage)
    earlier = flags.pop(stage, None)
    if stage not in REVIEWABLE or recorded.attempts < REPEATED_DELAYS:
        return None
    # Further delays update the evidence but keep the flag (and any review) the same.
    first = earlier if earlier is not None and earlier.kind is FlagKind.REPEATED_DELAY else None
    return Flag(
        stage=stage,
        kind=FlagKind.REPEATED_DELAY,
        decision_version=first.decision_version if first else recorded.originator_version,
        decision_event=type(recorded).__name__,
        automated_status=StageStatus.DELAYED,
        flagged_at=first.flagged_at if first else recorded.timestamp,
        reasons=(
            {"code": "repeated_delay", "measured": recorded.attempts, "threshold": REPEATED_DELAYS},
        ),
        evidence={
            "fault": recorded.fault,
            "attempts": recorded.attempts,
            "retry_after": recorded.retry_after.isoformat(),
        },
    )


def _evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in evidence.items() if k not in _EVIDENCE_LEFT_OUT}
