"""An applicant's overall status and next actions, derived in one place.

Every reader asks this module: the aggregate (its guards, via :func:`is_closed`), the
API's status page (:mod:`prakerja.api.presenters`) and the read models, which fold
events into a compact case file without building the aggregate
(:mod:`prakerja.projections.casefile`). So the inputs are plain facts: each stage's
status in :data:`~prakerja.domain.stages.VERIFICATION_ORDER`, and the membership's
status, as :class:`StageStatus` / :class:`MembershipStatus` values or their strings
(both are string enums, so either compares equal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from prakerja.domain.programme import MembershipStatus
from prakerja.domain.stages import (
    CORRECTABLE,
    VERIFICATION_ORDER,
    Stage,
    StageRecord,
    StageStatus,
)

IN_PROGRESS: Final = "in_progress"
ACTION_REQUIRED: Final = "action_required"
IN_REVIEW: Final = "in_review"
REJECTED: Final = "rejected"
VERIFIED: Final = "verified"
"""The overall statuses before a wave; from joining one on, the membership's status is it."""

FINAL_POSITIONS: Final = tuple(i for i, s in enumerate(VERIFICATION_ORDER) if s not in CORRECTABLE)
"""Positions of the stages whose failure the applicant cannot fix themselves."""
_EMAIL, _IDENTITY, _FACE, _PHONE = (
    VERIFICATION_ORDER.index(stage)
    for stage in (Stage.EMAIL, Stage.IDENTITY, Stage.FACE, Stage.PHONE)
)
_ACTIONS: Final[tuple[tuple[int, dict[str, str]], ...]] = (
    (_EMAIL, {StageStatus.PENDING: "verify_email", StageStatus.FAILED: "change_email"}),
    (
        _IDENTITY,
        {StageStatus.NOT_STARTED: "submit_identity", StageStatus.FAILED: "correct_identity"},
    ),
    (_FACE, {StageStatus.NOT_STARTED: "upload_selfie", StageStatus.FAILED: "upload_new_selfie"}),
    (_PHONE, {StageStatus.NOT_STARTED: "verify_phone", StageStatus.PENDING: "enter_otp"}),
)
"""What the applicant can do about a stage in a given status, in the order they are shown."""
_CAN_JOIN: Final = (MembershipStatus.NONE, MembershipStatus.NOT_SELECTED)

Statuses = Sequence[str]
"""Each stage's status, in verification order."""


def stage_statuses(stages: Mapping[Stage, StageRecord]) -> list[StageStatus]:
    """The aggregate's stage records as this module's input."""
    return [stages[stage].status for stage in VERIFICATION_ORDER]


def is_verified(statuses: Statuses) -> bool:
    """Every verification layer passed: ready to join a wave."""
    return all(status == StageStatus.PASSED for status in statuses)


def final_rejection(statuses: Statuses) -> Stage | None:
    """The first stage failed in a way the applicant cannot fix themselves."""
    for index in FINAL_POSITIONS:
        if statuses[index] == StageStatus.FAILED:
            return VERIFICATION_ORDER[index]
    return None


def is_closed(statuses: Statuses, membership: str) -> bool:
    """Final: a check the applicant cannot fix failed, or the membership was revoked."""
    return membership == MembershipStatus.REVOKED or any(
        statuses[index] == StageStatus.FAILED for index in FINAL_POSITIONS
    )


def next_actions(statuses: Statuses, membership: str) -> list[str]:
    """What the applicant can do now (nothing, on a closed case)."""
    if is_closed(statuses, membership):
        return []
    actions = []
    for index, by_status in _ACTIONS:
        action = by_status.get(statuses[index])
        if action is not None:
            actions.append(action)
    if is_verified(statuses) and membership in _CAN_JOIN:
        actions.append("join_wave")
    return actions


def overall_status(statuses: Statuses, membership: str) -> str:
    """The one word a case is summed up by, on the status page and in case search."""
    if membership != MembershipStatus.NONE:
        return str(membership)
    if any(statuses[index] == StageStatus.FAILED for index in FINAL_POSITIONS):
        return REJECTED
    if is_verified(statuses):
        return VERIFIED
    if StageStatus.IN_REVIEW in statuses:
        return IN_REVIEW
    if next_actions(statuses, membership):
        return ACTION_REQUIRED
    return IN_PROGRESS
