"""The funnel: how many applicants reached each milestone, per wave, province and day.

An applicant counts once per milestone, on the (WIB) day they first reached it. A stage
milestone is reached when the stage first passes, by automation or by a reviewer's
override; ``verified`` when all six passed at once. Wave milestones count once per
wave joined, and training and payment ones under the wave of the applicant's decree.

The province is the NIK's first two digits (not personal data). Registration comes
before the NIK is known, so every milestone is counted under the applicant's latest
province: when a NIK is submitted or corrected to another province, the applicant's
earlier milestones move with them, and "registered" per province means "registered
and later gave a NIK of that province". Applicants with no NIK yet are under ``""``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from prakerja.domain.applicant import Applicant
from prakerja.domain.stages import VERIFICATION_ORDER
from prakerja.projections.base import ApplicantFold, ReadModel, day_of
from prakerja.projections.casefile import PASSED, CaseFile
from prakerja.projections.casefile_events import CASE_FIELDS
from prakerja.projections.casefile_events import fold as fold_case
from prakerja.projections.decoding import Decoded
from prakerja.projections.tables import Table, json_text

MILESTONES = (
    "registered",
    "email_verified",
    "identity_submitted",
    "nik_valid",
    "education_passed",
    "not_excluded",
    "selfie_uploaded",
    "face_matched",
    "phone_verified",
    "verified",
    "joined_wave",
    "selected",
    "training_bought",
    "training_completed",
    "paid",
)
"""The main path, in order. It is not a chain: the phone can be verified right after the
email, a selfie uploaded before the NIK is checked, education and exclusions are checked
side by side. Drop-off is measured from each milestone's :data:`PREREQUISITE`."""

PREREQUISITE = {
    "email_verified": "registered",
    "identity_submitted": "email_verified",
    "nik_valid": "identity_submitted",
    "education_passed": "nik_valid",
    "not_excluded": "nik_valid",
    "selfie_uploaded": "identity_submitted",
    "face_matched": "selfie_uploaded",
    "phone_verified": "email_verified",
    "verified": "phone_verified",
    "joined_wave": "verified",
    "selected": "joined_wave",
    "training_bought": "selected",
    "training_completed": "training_bought",
    "paid": "training_completed",
}
"""For each milestone, the nearest earlier one that every applicant reaching it reached
first (the commands refuse it otherwise): the base of its drop-off and conversion."""

SIDE_MILESTONES = ("not_selected", "revoked")

STAGE_MILESTONES = dict(
    zip(
        (stage.value for stage in VERIFICATION_ORDER),
        (
            "email_verified",
            "nik_valid",
            "education_passed",
            "not_excluded",
            "face_matched",
            "phone_verified",
        ),
        strict=True,
    )
)
_EVENT_MILESTONES: dict[type, str] = {
    Applicant.Registered: "registered",
    Applicant.IdentitySubmitted: "identity_submitted",
    Applicant.SelfieUploaded: "selfie_uploaded",
    Applicant.JoinedBatch: "joined_wave",
    Applicant.SKIssued: "selected",
    Applicant.NotSelected: "not_selected",
    Applicant.TrainingPurchased: "training_bought",
    Applicant.TrainingCompleted: "training_completed",
    Applicant.IncentivePaid: "paid",
    Applicant.MembershipRevoked: "revoked",
}
_PER_WAVE = frozenset(
    {"joined_wave", "selected", "not_selected", "training_bought", "training_completed"}
    | {"paid", "revoked"}
)

COUNTS = Table(
    "",
    "funnel_counts",
    ("milestone", "wave", "province", "day", "applicants"),
    ("milestone", "wave", "province", "day"),
    summed=True,
)
TOTALS = Table(
    "",
    "funnel_totals",
    ("milestone", "wave", "province", "applicants"),
    ("milestone", "wave", "province"),
    summed=True,
)
"""The same counts without the day: what the report reads unless it is asked for days
(a few thousand rows however long the programme runs, against one row per day)."""
APPLICANTS = Table(
    "", "funnel_applicants", ("applicant_id", "state"), ("applicant_id",), as_text=("state",)
)


class Progress(msgspec.Struct):
    """An applicant's case file and the day each milestone (``name@wave``) was reached."""

    case: CaseFile = msgspec.field(default_factory=CaseFile)
    reached: dict[str, dt.date] = msgspec.field(default_factory=dict)


_ENCODE = msgspec.json.Encoder().encode
_DECODE = msgspec.json.Decoder(Progress).decode

Key = tuple[str, int, str, dt.date]


class Funnel(ReadModel):
    kind = "funnel"
    fields = {**CASE_FIELDS, Applicant.IncentivePaid: ()}
    tables = (COUNTS, TOTALS, APPLICANTS)
    views = {"funnel_counts": "funnel_counts", "funnel_totals": "funnel_totals"}

    def fold(self, schema: str, *, fresh: bool, staged: bool = False) -> FunnelFold:
        tables = (self.table(t.name, schema, staged=staged) for t in self.tables)
        return FunnelFold(*tables, fresh=fresh)


class FunnelFold(ApplicantFold[Progress]):
    def __init__(self, counts: Table, totals: Table, applicants: Table, *, fresh: bool) -> None:
        super().__init__(fresh=fresh)
        self._counts, self._totals, self._applicants = counts, totals, applicants
        self.deltas: Counter[Key] = Counter()

    def load(self, conn: psycopg.Connection[Any], ids: list[bytes]) -> dict[bytes, Progress]:
        return {row[0].bytes: _DECODE(row[1]) for row in self._applicants.load(conn, ids)}

    def new(self) -> Progress:
        return Progress()

    def fold(self, event_id: int, event: Decoded, state: Progress) -> None:
        case = state.case
        before = case.province or ""
        touched = fold_case(case, event)
        province = case.province or ""
        if province != before:
            for key, reached_on in state.reached.items():
                name, _, number = key.partition("@")
                self.deltas[(name, int(number or 0), before, reached_on)] -= 1
                self.deltas[(name, int(number or 0), province, reached_on)] += 1
        day = day_of(event.timestamp)
        milestone = _EVENT_MILESTONES.get(event.kind)
        if milestone is not None:
            wave = (case.wave_number or 0) if milestone in _PER_WAVE else 0
            self._reach(state, milestone, wave, province, day)
        passed = False
        for stage in touched:  # a stage passes only by an event that touches it
            if case.stages.get(stage) == PASSED:
                self._reach(state, STAGE_MILESTONES[stage], 0, province, day)
                passed = True
        if passed and case.is_verified:
            self._reach(state, "verified", 0, province, day)

    def _reach(self, state: Progress, name: str, wave: int, province: str, day: dt.date) -> None:
        key = f"{name}@{wave}" if wave else name
        if key not in state.reached:
            state.reached[key] = day
            self.deltas[(name, wave, province, day)] += 1

    def flush(self, cursor: psycopg.Cursor[Any]) -> None:
        rows = [
            (UUID(bytes=a), json_text(_ENCODE(state).decode())) for a, state in self.states.items()
        ]
        if self.fresh:
            self._applicants.copy(cursor, rows)
        else:
            self._applicants.upsert(cursor, rows)
        totals: Counter[tuple[str, int, str]] = Counter()
        for (name, wave, province, _), count in self.deltas.items():
            totals[(name, wave, province)] += count
        self._counts.add(
            cursor, [(*key, count) for key, count in self.deltas.items()], fresh=self.fresh
        )
        self._totals.add(cursor, [(*key, count) for key, count in totals.items()], fresh=self.fresh)
