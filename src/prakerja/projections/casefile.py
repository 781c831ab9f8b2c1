"""One applicant's verification state, folded from events without building the aggregate.

Read models see a page of decoded payload fields, not aggregates, so they keep this
compact copy of the facts :class:`~prakerja.domain.applicant.Applicant` holds: the status
of each stage, the counters that say whether automation or the applicant is awaited,
and the membership. What is derived from them (overall status, next actions, whether
the case is closed) is asked of :mod:`prakerja.domain.status`, as the aggregate and the
API ask it. Events are folded in by :mod:`prakerja.projections.casefile_events`, each
handler mirroring the ``apply`` of its event; ``tests/projections/test_casefile.py``
replays synthetic histories through both and compares, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import msgspec

from prakerja.domain import status as status_rules
from prakerja.domain.stages import VERIFICATION_ORDER, Stage, Step

PASSED, FAILED, PENDING, DELAYED = "passed", "failed", "pending", "delayed"
IN_REVIEW, NOT_STARTED = "in_review", "not_started"
OPEN_STATUSES = frozenset({PENDING, DELAYED})
STAGE_ORDER = tuple(stage.value for stage in VERIFICATION_ORDER)
_AUTOMATED = {
    Stage.IDENTITY.value: Step.VALIDATE_NIK.value,
    Stage.EDUCATION.value: Step.CHECK_EDUCATION.value,
    Stage.EXCLUSION.value: Step.CHECK_EXCLUSIONS.value,
    Stage.FACE.value: Step.CHECK_FACE.value,
}


class Delay(msgspec.Struct, omit_defaults=True):
    fault: str
    attempts: int
    retry_after: dt.datetime


class Waiting(msgspec.Struct, frozen=True):
    """One open stage: which step is owed, by whom, since when."""

    stage: str
    step: str
    waiting_on: str  # "automation" or "applicant"
    status: str
    since: dt.datetime
    attempts: int = 0
    retry_after: dt.datetime | None = None
    fault: str | None = None


class CaseFile(msgspec.Struct, omit_defaults=True):
    """What the read models keep of one applicant (no personal data beyond a masked NIK)."""

    registered_at: dt.datetime | None = None
    version: int = 0
    stages: dict[str, str] = msgspec.field(default_factory=dict)
    reasons: dict[str, list[str]] = msgspec.field(default_factory=dict)
    since: dict[str, dt.datetime] = msgspec.field(default_factory=dict)
    delays: dict[str, Delay] = msgspec.field(default_factory=dict)
    emails_sent: int = 0
    emails_requested: int = 0
    otp_sequence: int = 0
    otp_sent: int = 0
    selfie: bool = False
    nik_masked: str | None = None
    province: str | None = None
    membership: str = "none"
    wave_id: UUID | None = None
    wave_number: int | None = None
    sk_number: str | None = None

    # ----------------------------------------------------------------- queries
    #
    # Each query can be given ``statuses()`` computed once: a flush asks them all for
    # every applicant it writes.

    def status_of(self, stage: str) -> str:
        return self.stages.get(stage, NOT_STARTED)

    def statuses(self) -> list[str]:
        """Each stage's status, in verification order."""
        get = self.stages.get
        return [get(stage, NOT_STARTED) for stage in STAGE_ORDER]

    @property
    def is_verified(self) -> bool:
        return status_rules.is_verified(self.statuses())

    @property
    def overall_status(self) -> str:
        return self.overall_status_of(self.statuses())

    def is_closed(self, statuses: list[str]) -> bool:
        """As :func:`prakerja.domain.status.is_closed` says it (for the aggregate too)."""
        return status_rules.is_closed(statuses, self.membership)

    def overall_status_of(self, statuses: list[str]) -> str:
        """As :func:`prakerja.domain.status.overall_status` says it (for the API too)."""
        return status_rules.overall_status(statuses, self.membership)

    def next_actions(self, statuses: list[str] | None = None) -> list[str]:
        return status_rules.next_actions(statuses or self.statuses(), self.membership)

    def current_reasons(self, statuses: list[str] | None = None) -> list[str]:
        """Reason codes of stages that failed, went to review or are delayed, in order."""
        codes: list[str] = []
        for stage, status in zip(STAGE_ORDER, statuses or self.statuses(), strict=True):
            if status in (FAILED, IN_REVIEW):
                codes.extend(self.reasons.get(stage, ()))
            elif status == DELAYED:
                codes.append("technical_delay")
        return list(dict.fromkeys(codes)) if len(codes) > 1 else codes

    def waiting(self, statuses: list[str] | None = None) -> list[Waiting]:
        """Every open stage, and whether automation or the applicant is owed the next step.

        A closed case waits only on its eligibility checks under way, as the aggregate's
        ``outstanding_work`` says: its other stages may read open, but nobody owes them.
        """
        statuses = statuses or self.statuses()
        closed = self.is_closed(statuses)
        rows = []
        for index, (stage, status) in enumerate(zip(STAGE_ORDER, statuses, strict=True)):
            if status not in OPEN_STATUSES or (
                closed and index not in status_rules.FINAL_POSITIONS
            ):
                continue
            if stage == "email":
                owed = self.emails_sent < self.emails_requested
                step = Step.SEND_EMAIL.value if owed else "verify_email"
            elif stage == "phone":
                owed = self.otp_sent < self.otp_sequence
                step = Step.SEND_OTP.value if owed else "enter_otp"
            else:
                owed, step = True, _AUTOMATED[stage]
            delay = self.delays.get(stage) if status == DELAYED else None
            rows.append(
                Waiting(
                    stage=stage,
                    step=step,
                    waiting_on="automation" if owed else "applicant",
                    status=status,
                    since=self.since[stage],
                    attempts=delay.attempts if delay else 0,
                    retry_after=delay.retry_after if delay else None,
                    fault=delay.fault if delay else None,
                )
            )
        return rows

    def set_stage(
        self, stage: str, status: str, reasons: list[dict[str, Any]] | None = None
    ) -> None:
        """A stage's new status and reasons (an open delay ends with it)."""
        self.stages[stage] = status
        codes = [str(reason["code"]) for reason in reasons or ()]
        if codes:
            self.reasons[stage] = codes
        else:
            self.reasons.pop(stage, None)
        self.delays.pop(stage, None)


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(CaseFile)


def encode_case(case: CaseFile) -> str:
    return _ENCODER.encode(case).decode()


def decode_case(raw: str | bytes) -> CaseFile:
    return _DECODER.decode(raw)
