"""The funnel a run should show, person by person, from the flags the population drew.

The calibrated shares are what the rates promise on average; this is what the people
actually drawn for a run must produce if the service decides every case right. The
two differ by sampling (a few tenths of a point at 100,000 applicants) and by the
family-card rule (at most two applicants per KK), which the rates leave out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from prakerja.simulators.person import IdentityIssue, Person


def expected_counts(people: Iterable[Person], *, corrections: bool, quota: int) -> dict[str, float]:
    """Expected applicants at each published stage (a share where the order of events
    decides who is turned away: which two of three on one family card get in)."""
    counts: defaultdict[str, float] = defaultdict(float)
    by_card: defaultdict[str, list[Person]] = defaultdict(list)
    for person in people:
        counts["registered"] += 1
        if person.mailbox_unreachable:
            continue
        counts["email_verified"] += 1
        fixable = corrections and person.identity_issue is IdentityIssue.TYPO
        if person.identity_issue is not None and not fixable:
            continue
        counts["nik_valid"] += 1
        if person.education is None and not person.exclusions:
            by_card[person.kk_number].append(person)
    for members in by_card.values():
        admitted = min(2, len(members)) / len(members)
        stays = sum(
            1 for m in members if not m.abandons and (corrections or m.selfie_issue is None)
        )
        counts["joined"] += admitted * stays
    counts["selected"] = min(float(quota), counts["joined"])
    return {stage: round(value, 1) for stage, value in counts.items()}
