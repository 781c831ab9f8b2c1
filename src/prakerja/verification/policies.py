"""Turning a service's answer into a decision, under named and versioned rules.

Pure functions: the same answer always gives the same decision, and every decision
says which rules it applied and what evidence it used.
"""

from __future__ import annotations

from prakerja.clients.civil_registry import IdentityCheck
from prakerja.clients.education import Enrollment
from prakerja.clients.exclusions import ExclusionCheck
from prakerja.domain.decisions import Decision, Reason
from prakerja.domain.rules import (
    FAMILY_CARD_LIMIT,
    MAX_APPLICANTS_PER_FAMILY_CARD,
    MINIMUM_AGE,
    MINIMUM_AGE_YEARS,
    NOT_EXCLUDED,
    NOT_IN_SCHOOL,
    REGISTRY_MATCH,
)

_FIELD_REASONS = {
    "kk_number": "kk_number_mismatch",
    "full_name": "full_name_mismatch",
    "birth_date": "birth_date_mismatch",
    "mother_maiden_name": "mother_maiden_name_mismatch",
}


def decide_identity(check: IdentityCheck, minimum_age: int = MINIMUM_AGE_YEARS) -> Decision:
    evidence: dict[str, object] = {
        "found": check.found,
        "age_years": check.age_years,
        "minimum_age": minimum_age,
    }
    if not check.found:
        return Decision(False, (REGISTRY_MATCH,), evidence, (Reason("nik_not_found"),))
    reasons = []
    if check.matches is not None:
        matches = vars(check.matches)
        evidence["matches"] = dict(matches)
        reasons = [Reason(_FIELD_REASONS[name]) for name, ok in matches.items() if not ok]
    if check.age_years is not None and check.age_years < minimum_age:
        reasons.append(Reason("under_minimum_age", check.age_years, minimum_age))
    return Decision(not reasons, (REGISTRY_MATCH, MINIMUM_AGE), evidence, tuple(reasons))


def decide_education(enrollment: Enrollment) -> Decision:
    level = enrollment.level.value if enrollment.level else None
    evidence = {"enrolled": enrollment.enrolled, "level": level}
    if enrollment.enrolled:
        return Decision(False, (NOT_IN_SCHOOL,), evidence, (Reason("enrolled_student", level),))
    return Decision(True, (NOT_IN_SCHOOL,), evidence)


def decide_exclusions(check: ExclusionCheck, family_has_room: bool) -> Decision:
    evidence = {
        "lists": list(check.lists),
        "family_card_has_room": family_has_room,
        "max_per_family_card": MAX_APPLICANTS_PER_FAMILY_CARD,
    }
    reasons = [Reason("on_exclusion_list", name) for name in check.lists]
    if not family_has_room:
        reasons.append(Reason("family_card_limit", threshold=MAX_APPLICANTS_PER_FAMILY_CARD))
    return Decision(not reasons, (NOT_EXCLUDED, FAMILY_CARD_LIMIT), evidence, tuple(reasons))
