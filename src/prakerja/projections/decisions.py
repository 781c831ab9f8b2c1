"""The evidence behind each applicant's latest automated decision, per policy-driven stage.

Rule-change previews (:mod:`prakerja.projections.preview`) re-decide from this
evidence: the face distance and the thresholds it was judged against, the age the
registry gave and the minimum age applied, the exclusion lists the person was found on.
A decision stops counting when a person overrode it (``overridden``) or when a new
attempt awaits a fresh check (``superseded``: a corrected identity, a new selfie).
Only values a policy compares are kept; names, NIKs and photos are not.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from prakerja.domain.applicant import Applicant
from prakerja.projections.base import ApplicantFold, ReadModel
from prakerja.projections.decoding import Decoded
from prakerja.projections.shapes import REASON_CODES, PolicyEvidence
from prakerja.projections.tables import Table

IDENTITY, EXCLUSION, FACE = "identity", "exclusion", "face"

EVIDENCE = Table(
    "",
    "decision_evidence",
    (
        "applicant_id",
        "stage",
        "outcome",
        "event",
        "rules",
        "decided_at",
        "position",
        "overridden",
        "superseded",
        "reasons",
        "distance",
        "accept_max",
        "review_max",
        "age_years",
        "minimum_age",
        "lists",
        "family_room",
    ),
    ("applicant_id", "stage"),
)
_COLUMNS = {name: index for index, name in enumerate(EVIDENCE.columns)}

_DECIDED: dict[type, tuple[str, str]] = {
    Applicant.NikValidated: (IDENTITY, "passed"),
    Applicant.NikRejected: (IDENTITY, "failed"),
    Applicant.ExclusionChecked: (EXCLUSION, ""),
    Applicant.FaceMatched: (FACE, "passed"),
    Applicant.FaceMatchFailed: (FACE, "failed"),
    Applicant.FaceReviewRequested: (FACE, "in_review"),
}
_SUPERSEDES: dict[type, str] = {
    Applicant.IdentitySubmitted: IDENTITY,
    Applicant.SelfieUploaded: FACE,
}

_EVIDENCE = ("evidence", PolicyEvidence)
_CODES = ("reasons", REASON_CODES)

Entries = dict[str, list[Any]]
"""An applicant's evidence rows by stage (lists in EVIDENCE's column order)."""


class Decisions(ReadModel):
    kind = "decisions"
    fields = {
        Applicant.NikValidated: ("rules", _EVIDENCE),
        Applicant.NikRejected: (_CODES, "rules", _EVIDENCE),
        Applicant.ExclusionChecked: ("passed", _CODES, "rules", _EVIDENCE),
        Applicant.FaceMatched: ("rules", _EVIDENCE),
        Applicant.FaceMatchFailed: (_CODES, "rules", _EVIDENCE),
        Applicant.FaceReviewRequested: (_CODES, "rules", _EVIDENCE),
        Applicant.IdentitySubmitted: (),
        Applicant.SelfieUploaded: (),
        Applicant.DecisionOverridden: ("stage", "outcome"),
    }
    tables = (EVIDENCE,)
    views = {"decision_evidence": "decision_evidence"}

    def fold(self, schema: str, *, fresh: bool, staged: bool = False) -> DecisionFold:
        return DecisionFold(self.table(EVIDENCE.name, schema, staged=staged), fresh=fresh)


class DecisionFold(ApplicantFold[Entries]):
    def __init__(self, evidence: Table, *, fresh: bool) -> None:
        super().__init__(fresh=fresh)
        self._evidence = evidence

    def load(self, conn: psycopg.Connection[Any], ids: list[bytes]) -> dict[bytes, Entries]:
        found: dict[bytes, Entries] = {}
        for row in self._evidence.load(conn, ids):
            found.setdefault(row[0].bytes, {})[row[1]] = list(row)
        return found

    def new(self) -> Entries:
        return {}

    def fold(self, event_id: int, event: Decoded, state: Entries) -> None:
        data, kind = event.data, event.kind
        if kind in _SUPERSEDES:
            row = state.get(_SUPERSEDES[kind])
            if row is not None:
                row[_COLUMNS["superseded"]] = True
            return
        if kind is Applicant.DecisionOverridden:
            row = state.get(data.stage)
            if row is not None:
                row[_COLUMNS["overridden"]] = True
                row[_COLUMNS["outcome"]] = data.outcome
            return
        stage, outcome = _DECIDED[kind]
        if kind is Applicant.ExclusionChecked:
            outcome = "passed" if data.passed else "failed"
        if kind is Applicant.NikValidated:
            # A validated identity opens a fresh exclusion check.
            earlier = state.get(EXCLUSION)
            if earlier is not None:
                earlier[_COLUMNS["superseded"]] = True
        state[stage] = _row(event, event_id, stage, outcome)

    def flush(self, cursor: psycopg.Cursor[Any]) -> None:
        rows = [tuple(row) for entries in self.states.values() for row in entries.values()]
        if self.fresh:
            self._evidence.copy(cursor, rows)
        else:
            self._evidence.upsert(cursor, rows)


def _row(event: Decoded, event_id: int, stage: str, outcome: str) -> list[Any]:
    data = event.data
    evidence: dict[str, Any] = data.evidence or {}
    reasons = [str(r["code"]) for r in getattr(data, "reasons", None) or ()]
    thresholds: dict[str, Any] = evidence.get("thresholds") or {}
    lists = evidence.get("lists")
    return [
        UUID(bytes=event.originator_id),
        stage,
        outcome,
        event.kind.__name__,
        ",".join(data.rules),
        event.timestamp,
        event_id,
        False,
        False,
        reasons,
        _number(evidence.get("distance")) if stage == FACE else None,
        _number(thresholds.get("accept_max_distance")),
        _number(thresholds.get("review_max_distance")),
        _whole(evidence.get("age_years")) if stage == IDENTITY else None,
        _whole(evidence.get("minimum_age")) if stage == IDENTITY else None,
        [str(name) for name in lists] if stage == EXCLUSION and lists is not None else None,
        evidence.get("family_card_has_room") if stage == EXCLUSION else None,
    ]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _whole(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None
