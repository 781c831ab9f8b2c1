"""Case search for staff, and the pending-work board for ops.

``cases`` has one row per applicant: masked NIK, province, overall status (as the
applicant's status page says it), each stage's status, the reason codes of what
failed, and the wave. ``pending_work`` has one row per open stage: which step is owed,
by automation or by the applicant, since when, and any technical delay, so ops see
stuck cases; ``pending_counts`` totals it. Both come from the same per-applicant case
file, so they are one read model and are rebuilt together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg

from prakerja.projections.base import ApplicantFold, ReadModel
from prakerja.projections.casefile import CaseFile, Waiting, decode_case, encode_case
from prakerja.projections.casefile_events import CASE_FIELDS, fold
from prakerja.projections.decoding import Decoded
from prakerja.projections.tables import Row, Table, json_text

STAGES = ("email", "identity", "education", "exclusion", "face", "phone")

CASES = Table(
    "",
    "cases",
    (
        "applicant_id",
        "registered_at",
        "updated_at",
        "version",
        "nik_masked",
        "province",
        "status",
        *STAGES,
        "reasons",
        "membership",
        "wave_number",
        "sk_number",
        "state",
    ),
    ("applicant_id",),
    as_text=("state",),
)
PENDING = Table(
    "",
    "pending_work",
    (
        "applicant_id",
        "stage",
        "step",
        "waiting_on",
        "status",
        "since",
        "attempts",
        "retry_after",
        "fault",
    ),
    ("applicant_id", "stage"),
)
PENDING_COUNTS = Table(
    "",
    "pending_counts",
    ("stage", "waiting_on", "status", "applicants"),
    ("stage", "waiting_on", "status"),
    summed=True,
)


@dataclass
class Tracked:
    """A case file, and its open stages as they were stored before this batch."""

    case: CaseFile = field(default_factory=CaseFile)
    stored: list[Waiting] = field(default_factory=list)
    updated_at: Any = None


class Cases(ReadModel):
    kind = "cases"
    fields = CASE_FIELDS
    tables = (CASES, PENDING, PENDING_COUNTS)
    views = {
        "cases": "cases",
        "pending_work": "pending_work",
        "pending_counts": "pending_counts",
    }

    def fold(self, schema: str, *, fresh: bool, staged: bool = False) -> CaseFold:
        tables = (self.table(t.name, schema, staged=staged) for t in self.tables)
        return CaseFold(*tables, fresh=fresh)


class CaseFold(ApplicantFold[Tracked]):
    def __init__(self, cases: Table, pending: Table, counts: Table, *, fresh: bool) -> None:
        super().__init__(fresh=fresh)
        self._cases, self._pending, self._counts = cases, pending, counts

    def load(self, conn: psycopg.Connection[Any], ids: list[bytes]) -> dict[bytes, Tracked]:
        found = {}
        for row in self._cases.load(conn, ids):
            case = decode_case(row[-1])
            found[row[0].bytes] = Tracked(case, case.waiting(), row[2])
        return found

    def new(self) -> Tracked:
        return Tracked()

    def fold(self, event_id: int, event: Decoded, state: Tracked) -> None:
        fold(state.case, event)
        state.updated_at = event.timestamp

    def flush(self, cursor: psycopg.Cursor[Any]) -> None:
        rows: list[Row] = []
        upserts: list[Row] = []
        deletes: list[Row] = []
        counts: Counter[tuple[str, str, str]] = Counter()
        for key, tracked in self.states.items():
            applicant = UUID(bytes=key)
            case = tracked.case
            statuses = case.statuses()
            rows.append(_case_row(applicant, case, statuses, tracked.updated_at))
            before = {w.stage: w for w in tracked.stored}
            now = {w.stage: w for w in case.waiting(statuses)}
            for stage, waiting in before.items():
                counts[(stage, waiting.waiting_on, waiting.status)] -= 1
                if stage not in now:
                    deletes.append((applicant, stage))
            for stage, waiting in now.items():
                counts[(stage, waiting.waiting_on, waiting.status)] += 1
                if before.get(stage) != waiting:
                    upserts.append(_pending_row(applicant, waiting))
        if self.fresh:
            self._cases.copy(cursor, rows)
            self._pending.copy(cursor, upserts)
        else:
            self._cases.upsert(cursor, rows)
            self._pending.delete(cursor, deletes)
            self._pending.upsert(cursor, upserts)
        self._counts.add(cursor, [(*key, count) for key, count in counts.items()], fresh=self.fresh)


def _case_row(applicant: UUID, case: CaseFile, statuses: list[str], updated_at: Any) -> Row:
    return (
        applicant,
        case.registered_at,
        updated_at,
        case.version,
        case.nik_masked,
        case.province,
        case.overall_status_of(statuses),
        *statuses,
        case.current_reasons(statuses),
        case.membership,
        case.wave_number,
        case.sk_number,
        json_text(encode_case(case)),
    )


def _pending_row(applicant: UUID, waiting: Waiting) -> Row:
    return (
        applicant,
        waiting.stage,
        waiting.step,
        waiting.waiting_on,
        waiting.status,
        waiting.since,
        waiting.attempts,
        waiting.retry_after,
        waiting.fault,
    )
