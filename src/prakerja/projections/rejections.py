"""Rejection audit: every rejection, flag and delay, with stage, reason, rule and time.

One row per (event, reason): a face check failed for blur and glasses is two rows of
one event, so "of 32,000 face failures, how many were blur?" is a count of rows. The
counts table adds them up per day, stage, kind, reason and rules, so reports do not
scan the rows; its reason ``*`` counts decisions (events) whatever their reasons.
Rows are only appended: each event is folded exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg

from prakerja.domain.applicant import MANUAL_OVERRIDE, Applicant
from prakerja.domain.decisions import reviewer_decision
from prakerja.projections.base import ReadModel, day_of
from prakerja.projections.decoding import Decoded, decoded
from prakerja.projections.follower import EventFailed, Logged
from prakerja.projections.tables import Row, Table

REJECTED, FLAGGED, DELAYED, REVOKED = "rejected", "flagged", "delayed", "revoked"
ALL_REASONS = "*"
"""The counts row of decisions whatever their reasons (one per event, not per reason)."""

EVENTS = Table(
    "",
    "rejection_events",
    (
        "position",
        "seq",
        "applicant_id",
        "stage",
        "kind",
        "reason",
        "rules",
        "measured",
        "threshold",
        "decided_by",
        "recorded_at",
    ),
    ("position", "seq"),
)
COUNTS = Table(
    "",
    "rejection_counts",
    ("day", "stage", "kind", "reason", "rules", "events"),
    ("day", "stage", "kind", "reason", "rules"),
    summed=True,
)

_DECISION = ("reasons", "rules")
_STAGE_OF: dict[type, tuple[str, str]] = {
    Applicant.EmailBounced: ("email", REJECTED),
    Applicant.NikRejected: ("identity", REJECTED),
    Applicant.EducationChecked: ("education", REJECTED),
    Applicant.ExclusionChecked: ("exclusion", REJECTED),
    Applicant.FaceMatchFailed: ("face", REJECTED),
    Applicant.FaceReviewRequested: ("face", FLAGGED),
}


class Rejections(ReadModel):
    kind = "rejections"
    fields = {
        **{event: _DECISION for event in _STAGE_OF},
        Applicant.EducationChecked: ("passed", *_DECISION),
        Applicant.ExclusionChecked: ("passed", *_DECISION),
        Applicant.VerificationDelayed: ("stage", "fault", "attempts"),
        Applicant.MembershipRevoked: ("reason", "rule"),
        Applicant.IncentivePaymentRejected: ("reason", "kind", "period"),
        Applicant.DecisionOverridden: ("stage", "outcome", "reviewer", "approved_by"),
    }
    tables = (EVENTS, COUNTS)
    views = {"rejection_events": "rejection_events", "rejection_counts": "rejection_counts"}

    def fold(self, schema: str, *, fresh: bool, staged: bool = False) -> RejectionFold:
        events, counts = (self.table(t.name, schema, staged=staged) for t in (EVENTS, COUNTS))
        return RejectionFold(events, counts, fresh=fresh)


class RejectionFold:
    def __init__(self, events: Table, counts: Table, *, fresh: bool) -> None:
        self._events, self._counts = events, counts
        self.fresh = fresh
        self.rows: list[Row] = []
        self.totals: Counter[tuple[dt.date, str, str, str, str]] = Counter()

    @property
    def held(self) -> int:
        return len(self.rows) // 4

    def apply(self, page: Sequence[Logged], conn: psycopg.Connection[Any]) -> None:
        for item in page:
            try:
                self._fold(item.position.notification_id, decoded(item))
            except Exception as error:
                raise EventFailed(item.position, error) from error

    def flush(self, cursor: psycopg.Cursor[Any]) -> None:
        self._events.copy(cursor, self.rows)
        self._counts.add(
            cursor, [(*key, count) for key, count in self.totals.items()], fresh=self.fresh
        )

    def _fold(self, event_id: int, event: Decoded) -> None:
        data, kind = event.data, event.kind
        if kind in _STAGE_OF:
            if getattr(data, "passed", False):
                return
            stage, outcome = _STAGE_OF[kind]
            self._add(event_id, event, stage, outcome, data.reasons, ",".join(data.rules))
        elif kind is Applicant.VerificationDelayed:
            reason = {"code": "technical_delay", "measured": data.fault}
            self._add(event_id, event, data.stage, DELAYED, [reason], "", "automation")
        elif kind is Applicant.MembershipRevoked:
            self._add(event_id, event, "programme", REVOKED, [{"code": data.reason}], data.rule)
        elif kind is Applicant.IncentivePaymentRejected:
            reason = {"code": data.reason, "measured": f"{data.kind}:{data.period}"}
            self._add(event_id, event, "payment", REJECTED, [reason], "", "payment-provider")
        elif kind is Applicant.DecisionOverridden and data.outcome == "failed":
            who = reviewer_decision(data.reviewer, data.approved_by)
            reason = {"code": "manual_override"}
            self._add(event_id, event, data.stage, REJECTED, [reason], MANUAL_OVERRIDE, who)

    def _add(
        self,
        event_id: int,
        event: Decoded,
        stage: str,
        outcome: str,
        reasons: list[dict[str, Any]],
        rules: str,
        decided_by: str = "automation",
    ) -> None:
        day = day_of(event.timestamp)
        applicant = UUID(bytes=event.originator_id)
        for seq, reason in enumerate(reasons or [{"code": "unspecified"}]):
            code = str(reason["code"])
            self.rows.append(
                (
                    event_id,
                    seq,
                    applicant,
                    stage,
                    outcome,
                    code,
                    rules,
                    _text(reason.get("measured")),
                    _text(reason.get("threshold")),
                    decided_by,
                    event.timestamp,
                )
            )
            self.totals[(day, stage, outcome, code, rules)] += 1
        self.totals[(day, stage, outcome, ALL_REASONS, rules)] += 1


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
