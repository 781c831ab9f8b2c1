"""What each synthetic person's case should end as, from the flags the population gave them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from prakerja.simulators.person import IdentityIssue, Person

_IDENTITY_REASONS = {
    IdentityIssue.NOT_IN_REGISTRY: "nik_not_found",
    IdentityIssue.DATA_MISMATCH: "mother_maiden_name_mismatch",
}


def expected_stages(person: Person) -> dict[str, tuple[str, str | None]]:
    """Stage → (status, first reason code) once every layer but the face has run."""
    if person.mailbox_unreachable:
        return {"email": ("failed", "email_bounced")}
    expected: dict[str, tuple[str, str | None]] = {"email": ("passed", None)}
    issue = person.identity_issue
    if issue is IdentityIssue.MINOR:  # refused as they submit: nothing is recorded
        expected["identity"] = ("not_started", None)
        return expected
    if issue in _IDENTITY_REASONS:
        assert issue is not None
        expected["identity"] = ("failed", _IDENTITY_REASONS[issue])
        return expected
    expected["identity"] = ("passed", None)
    expected["education"] = ("failed", "enrolled_student") if person.education else ("passed", None)
    expected["exclusion"] = (
        ("failed", "on_exclusion_list") if person.exclusions else ("passed", None)
    )
    if person.education is None and not person.exclusions:
        expected["phone"] = ("passed", None)  # a case refused for good is sent no code
    return expected


def family_card_overflow(people: Iterable[Person]) -> int:
    """How many clean applicants the two-per-family-card rule must turn away."""
    clean = Counter(
        p.kk_number for p in people if expected_stages(p).get("exclusion") == ("passed", None)
    )
    return sum(max(0, count - 2) for count in clean.values())
