"""Rule-change preview: whose outcome would change under a new policy, and how.

Nothing is re-verified and nothing is written. Each applicant's latest automated
decision per stage is re-decided from the evidence it recorded: the face distance
against new thresholds (a threshold not given keeps the one recorded with the
decision), the registry's age against a new minimum age (other registry mismatches
still fail), the exclusion lists the person was found on against a changed set of
excluding lists. Decisions a reviewer overrode, or that a new attempt has replaced
(a corrected identity, a new selfie), are left out: the rule no longer decides them.

The evidence comes from the ``decisions`` read model, or, to check it, straight from
the event log (:func:`evidence_from_log`). Both go through the same fold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from prakerja.domain.errors import InvalidInput
from prakerja.eventstore.position import START
from prakerja.projections.decisions import EVIDENCE, EXCLUSION, FACE, IDENTITY, Decisions
from prakerja.projections.decoding import EventTable

PASSED, FAILED, IN_REVIEW = "passed", "failed", "in_review"
_UNDER_AGE = "under_minimum_age"


class InvalidPolicy(InvalidInput):
    """Raised when a proposed policy cannot be a policy (e.g. accept above review)."""

    code = "invalid_policy"


@dataclass(frozen=True)
class PolicyChange:
    """The proposed rules; None or empty means "as recorded with each decision"."""

    face_accept_max_distance: float | None = None
    face_review_max_distance: float | None = None
    minimum_age: int | None = None
    lists_removed: frozenset[str] = frozenset()
    lists_added: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        accept, review = self.face_accept_max_distance, self.face_review_max_distance
        for value in (accept, review):
            if value is not None and not 0 < value < 2:
                raise InvalidPolicy("face distances lie between 0 and 2")
        if accept is not None and review is not None and accept > review:
            raise InvalidPolicy("the accept distance cannot exceed the review distance")
        if self.minimum_age is not None and not 0 < self.minimum_age < 120:
            raise InvalidPolicy("a minimum age is a number of years")
        if self.lists_removed & self.lists_added:
            raise InvalidPolicy("a list cannot be both added and removed")

    @property
    def stages(self) -> tuple[str, ...]:
        touched = []
        if self.minimum_age is not None:
            touched.append(IDENTITY)
        if self.lists_removed or self.lists_added:
            touched.append(EXCLUSION)
        if self.face_accept_max_distance is not None or self.face_review_max_distance is not None:
            touched.append(FACE)
        return tuple(touched)


@dataclass(frozen=True)
class Evidence:
    """One latest decision and the values a policy compares (a ``decision_evidence`` row)."""

    applicant_id: UUID
    stage: str
    outcome: str
    rules: str
    reasons: list[str]
    distance: float | None
    accept_max: float | None
    review_max: float | None
    age_years: int | None
    minimum_age: int | None
    lists: list[str] | None
    family_room: bool | None


@dataclass(frozen=True)
class Change:
    applicant_id: UUID
    stage: str
    before: str
    after: str
    reason: str
    """The reason that appears (or, for a pass, the one that no longer applies)."""
    measured: Any
    threshold_before: Any
    threshold_after: Any
    rules: str


@dataclass
class Preview:
    policy: PolicyChange
    evaluated: Counter[str] = field(default_factory=Counter)
    changes: list[Change] = field(default_factory=list)
    unevaluated_lists: set[str] = field(default_factory=set)

    def counts(self) -> list[tuple[str, str, str, str, int]]:
        """(stage, before, after, reason, applicants), largest first."""
        totals = Counter((c.stage, c.before, c.after, c.reason) for c in self.changes)
        return [(*key, count) for key, count in totals.most_common()]


def preview(policy: PolicyChange, evidence: Iterable[Evidence]) -> Preview:
    result = Preview(policy)
    seen_lists: set[str] = set()
    for item in evidence:
        if item.stage not in policy.stages:
            continue
        result.evaluated[item.stage] += 1
        seen_lists.update(item.lists or ())
        change = _redecide(policy, item)
        if change is not None:
            result.changes.append(change)
    result.changes.sort(key=lambda c: (c.stage, str(c.applicant_id)))
    result.unevaluated_lists = set(policy.lists_added) - seen_lists
    return result


def _redecide(policy: PolicyChange, item: Evidence) -> Change | None:
    if item.stage == FACE:
        return _face(policy, item)
    if item.stage == IDENTITY:
        return _identity(policy, item)
    return _exclusion(policy, item)


def _face(policy: PolicyChange, item: Evidence) -> Change | None:
    accept = policy.face_accept_max_distance or item.accept_max
    review = policy.face_review_max_distance or item.review_max
    if item.distance is None or accept is None or review is None:
        return None  # failed on photo quality before any matching: thresholds do not apply
    review = max(review, accept)
    if item.distance <= accept:
        after, reason, threshold = PASSED, "", accept
    elif item.distance <= review:
        after, reason, threshold = IN_REVIEW, "review_band", accept
    else:
        after, reason, threshold = FAILED, "mismatch", review
    if after == item.outcome:
        return None
    if after == PASSED:
        reason = item.reasons[0] if item.reasons else "mismatch"
    before_threshold = item.accept_max if item.outcome != FAILED else item.review_max
    return Change(
        item.applicant_id,
        FACE,
        item.outcome,
        after,
        reason,
        item.distance,
        before_threshold,
        threshold,
        item.rules,
    )


def _identity(policy: PolicyChange, item: Evidence) -> Change | None:
    if item.age_years is None or policy.minimum_age is None:
        return None  # the NIK was not found: there is no age to compare
    others = [code for code in item.reasons if code != _UNDER_AGE]
    under = item.age_years < policy.minimum_age
    after = FAILED if others or under else PASSED
    if after == item.outcome:
        return None
    return Change(
        item.applicant_id,
        IDENTITY,
        item.outcome,
        after,
        _UNDER_AGE,
        item.age_years,
        item.minimum_age,
        policy.minimum_age,
        item.rules,
    )


def _exclusion(policy: PolicyChange, item: Evidence) -> Change | None:
    if item.lists is None:
        return None
    excluding = [name for name in item.lists if name not in policy.lists_removed]
    after = FAILED if excluding or item.family_room is False else PASSED
    if after == item.outcome:
        return None
    changed = sorted(set(item.lists) & (policy.lists_removed | policy.lists_added))
    return Change(
        item.applicant_id,
        EXCLUSION,
        item.outcome,
        after,
        "on_exclusion_list",
        ",".join(item.lists),
        None,
        ",".join(changed) or None,
        item.rules,
    )


# ------------------------------------------------------------------- sources

_SELECT = (
    "SELECT applicant_id, stage, outcome, rules, reasons, distance, accept_max, review_max,"
    " age_years, minimum_age, lists, family_room FROM reports.decision_evidence"
    " WHERE stage = ANY(%s) AND NOT overridden AND NOT superseded"
)


def evidence_from_read_model(
    conn: psycopg.Connection[Any], stages: Iterable[str]
) -> Iterator[Evidence]:
    with conn.cursor(row_factory=dict_row, name="preview_evidence") as cursor:
        cursor.itersize = 20_000
        cursor.execute(_SELECT, (list(stages),))
        for row in cursor:
            yield Evidence(**row)


def evidence_from_log(
    source: EventTable, pool: ConnectionPool, page_size: int = 20_000
) -> Iterator[Evidence]:
    """Fold the whole log in memory with the ``decisions`` read model's own fold."""
    fold = Decisions().fold("", fresh=True)
    position = START
    with pool.connection() as conn:
        while True:
            page = source.read(position, page_size, Decisions().topics)
            fold.apply(page.items, conn)
            if page.end == position or len(page.items) < page_size:
                break
            position = page.end
    columns = {name: index for index, name in enumerate(EVIDENCE.columns)}
    wanted = Evidence.__dataclass_fields__
    for entries in fold.states.values():
        for row in entries.values():
            if row[columns["overridden"]] or row[columns["superseded"]]:
                continue
            yield Evidence(**{name: row[columns[name]] for name in wanted})
