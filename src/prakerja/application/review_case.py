"""What a reviewer is shown of a case: the personal data it needs, and the review's trail.

Need to know, per kind of case (:data:`NEEDED_FIELDS`): everything else stays masked,
and whatever is shown in clear is written to the access log by the API first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prakerja.domain.applicant import Applicant
from prakerja.domain.review import Review
from prakerja.domain.review_flags import Flag, FlagKind
from prakerja.domain.stages import Stage

NEEDED_FIELDS: dict[tuple[FlagKind, Stage], tuple[str, ...]] = {
    # The selfie shows the applicant holding their ID card: its NIK and name must match.
    (FlagKind.FACE_REVIEW, Stage.FACE): ("nik", "full_name"),
    # A registry dispute is about the entered data itself.
    (FlagKind.DISPUTE, Stage.IDENTITY): (
        "nik",
        "kk_number",
        "full_name",
        "birth_date",
        "mother_maiden_name",
    ),
    (FlagKind.DISPUTE, Stage.EDUCATION): ("nik", "full_name", "birth_date"),
    (FlagKind.DISPUTE, Stage.EXCLUSION): ("nik", "kk_number", "full_name"),
}
"""Personal data a reviewer needs, per kind of case; anything else stays masked.

A repeatedly delayed case needs the NIK alone (to ask the service by another channel).
"""
_DELAY_FIELDS = ("nik",)


@dataclass(frozen=True)
class TrailStep:
    """One step of a review, as auditors and the second reviewer read it."""

    version: int
    at: dt.datetime
    step: str
    by: str
    outcome: str | None = None
    justification: str | None = None
    effect: str | None = None


@dataclass(frozen=True)
class Case:
    """A review with what its reviewer needs: the flag, the decision, the applicant."""

    review: Review
    flag: Flag | None
    applicant: Applicant
    trail: list[TrailStep]

    @property
    def needed_fields(self) -> tuple[str, ...]:
        kind = self.flag.kind if self.flag else FlagKind(self.review.kind)
        return NEEDED_FIELDS.get((kind, self.review.stage), _DELAY_FIELDS)

    def personal_data(self) -> dict[str, str]:
        identity = self.applicant.identity
        if identity is None:
            return {}
        values = {
            "nik": identity.nik,
            "kk_number": identity.kk_number,
            "full_name": identity.full_name,
            "birth_date": identity.birth_date.isoformat(),
            "mother_maiden_name": identity.mother_maiden_name,
        }
        return {name: values[name] for name in self.needed_fields}


def trail_step(recorded: object) -> TrailStep:
    """One review event as a step of the trail: who did what, why, and its effect."""
    fields = vars(recorded)
    name = type(recorded).__name__
    by = next(
        (
            str(fields[k])
            for k in ("reviewer", "proposed_by", "approved_by", "refused_by", "decided_by")
            if fields.get(k)
        ),
        "",
    )
    step = {
        "Taken": "taken",
        "Retaken": "taken",
        "Released": "released",
        "OverrideProposed": "proposed",
        "OverrideApproved": "approved",
        "OverrideRefused": "refused",
        "Decided": "decided",
    }.get(name, name)
    return TrailStep(
        version=int(fields["originator_version"]),
        at=fields.get("at") or fields["timestamp"],
        step=step,
        by=by,
        outcome=fields.get("outcome"),
        justification=fields.get("justification"),
        effect=fields.get("effect"),
    )
