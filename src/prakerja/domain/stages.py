"""The verification stages an applicant passes through, and where each one stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    EMAIL = "email"
    IDENTITY = "identity"
    EDUCATION = "education"
    EXCLUSION = "exclusion"
    FACE = "face"
    PHONE = "phone"


VERIFICATION_ORDER = (
    Stage.EMAIL,
    Stage.IDENTITY,
    Stage.EDUCATION,
    Stage.EXCLUSION,
    Stage.FACE,
    Stage.PHONE,
)

CORRECTABLE = frozenset({Stage.IDENTITY, Stage.FACE, Stage.EMAIL, Stage.PHONE})
"""Stages an applicant can fix by themselves (a typo, a new selfie); the others are final."""


class Step(StrEnum):
    """A unit of automated work; each is done by one worker actor."""

    SEND_EMAIL = "send_verification_email"
    VALIDATE_NIK = "validate_nik"
    CHECK_EDUCATION = "check_education"
    CHECK_EXCLUSIONS = "check_exclusions"
    CHECK_FACE = "check_face"
    SEND_OTP = "send_otp"


STEP_STAGE = {
    Step.SEND_EMAIL: Stage.EMAIL,
    Step.VALIDATE_NIK: Stage.IDENTITY,
    Step.CHECK_EDUCATION: Stage.EDUCATION,
    Step.CHECK_EXCLUSIONS: Stage.EXCLUSION,
    Step.CHECK_FACE: Stage.FACE,
    Step.SEND_OTP: Stage.PHONE,
}


class StageStatus(StrEnum):
    NOT_STARTED = "not_started"
    PENDING = "pending"
    DELAYED = "delayed"
    IN_REVIEW = "in_review"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class StageRecord:
    """Where one stage stands, with the reasons of its last decision."""

    status: StageStatus = StageStatus.NOT_STARTED
    reasons: tuple[dict[str, Any], ...] = ()
    rule: str | None = None
    attempt: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Waiting on a verification (first try or retry after a technical delay)."""
        return self.status in (StageStatus.PENDING, StageStatus.DELAYED)
