"""Wave rosters: who joined which wave, whether selected, and the decree (SK) naming them.

Built from the applicant's own events (``JoinedBatch``, ``NotSelected``, ``SKIssued``),
one row per applicant and wave; an applicant not selected may join a later wave and
gets a second row. ``wave_totals`` counts joined, waiting, selected and not selected
per wave, moved by each row's change of outcome.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

import psycopg

from prakerja.domain.applicant import Applicant
from prakerja.projections.base import ApplicantFold, ReadModel
from prakerja.projections.decoding import Decoded
from prakerja.projections.tables import Table

WAITING, SELECTED, NOT_SELECTED = "waiting", "selected", "not_selected"

ROSTER = Table(
    "",
    "wave_roster",
    (
        "applicant_id",
        "wave_id",
        "wave_number",
        "joined_at",
        "skills_test_score",
        "outcome",
        "decided_at",
        "sk_number",
        "sk_date",
    ),
    ("applicant_id", "wave_id"),
)
TOTALS = Table(
    "",
    "wave_totals",
    ("wave_id", "wave_number", "joined", "waiting", "selected", "not_selected"),
    ("wave_id", "wave_number"),
    summed=True,
)
_OUTCOMES = (WAITING, SELECTED, NOT_SELECTED)

Entries = dict[UUID, list[Any]]
"""One applicant's roster rows by wave id (lists in ROSTER's column order)."""


class Rosters(ReadModel):
    kind = "rosters"
    fields = {
        Applicant.JoinedBatch: ("wave_id", "wave_number", "skills_test_score"),
        Applicant.NotSelected: ("wave_id",),
        Applicant.SKIssued: ("wave_id", "sk_number", "sk_date"),
    }
    tables = (ROSTER, TOTALS)
    views = {"wave_roster": "wave_roster", "wave_totals": "wave_totals"}

    def fold(self, schema: str, *, fresh: bool, staged: bool = False) -> RosterFold:
        roster, totals = (self.table(t.name, schema, staged=staged) for t in (ROSTER, TOTALS))
        return RosterFold(roster, totals, fresh)


class RosterFold(ApplicantFold[Entries]):
    def __init__(self, roster: Table, totals: Table, fresh: bool) -> None:
        super().__init__(fresh=fresh)
        self._roster, self._totals = roster, totals
        self.counts: Counter[tuple[UUID, int, str]] = Counter()

    def load(self, conn: psycopg.Connection[Any], ids: list[bytes]) -> dict[bytes, Entries]:
        found: dict[bytes, Entries] = {}
        for row in self._roster.load(conn, ids):
            found.setdefault(row[0].bytes, {})[row[1]] = list(row)
        return found

    def new(self) -> Entries:
        return {}

    def fold(self, event_id: int, event: Decoded, state: Entries) -> None:
        data = event.data
        if event.kind is Applicant.JoinedBatch:
            earlier = state.get(data.wave_id)
            if earlier is not None:
                self._move(earlier, None)
            applicant = UUID(bytes=event.originator_id)
            row = [applicant, data.wave_id, data.wave_number, event.timestamp]
            state[data.wave_id] = [*row, data.skills_test_score, WAITING, None, None, None]
            self.counts[(data.wave_id, data.wave_number, "joined")] += 1
            self.counts[(data.wave_id, data.wave_number, WAITING)] += 1
            return
        entry = state.get(data.wave_id)
        if entry is None:
            raise LookupError(f"{event.kind.__qualname__} for a wave the applicant never joined")
        if event.kind is Applicant.SKIssued:
            self._move(entry, SELECTED)
            entry[6:9] = [event.timestamp, data.sk_number, data.sk_date]
        else:
            self._move(entry, NOT_SELECTED)
            entry[6] = event.timestamp

    def _move(self, row: list[Any], outcome: str | None) -> None:
        wave = (row[1], row[2])
        self.counts[(*wave, row[5])] -= 1
        if outcome is None:
            self.counts[(*wave, "joined")] -= 1
        else:
            self.counts[(*wave, outcome)] += 1
            row[5] = outcome

    def flush(self, cursor: psycopg.Cursor[Any]) -> None:
        rows = [tuple(row) for entries in self.states.values() for row in entries.values()]
        if self.fresh:
            self._roster.copy(cursor, rows)
        else:
            self._roster.upsert(cursor, rows)
        waves: dict[tuple[UUID, int], list[int]] = {}
        for (wave_id, number, column), count in self.counts.items():
            amounts = waves.setdefault((wave_id, number), [0, 0, 0, 0])
            amounts[("joined", *_OUTCOMES).index(column)] += count
        self._totals.add(
            cursor, [(*wave, *amounts) for wave, amounts in waves.items()], fresh=self.fresh
        )
