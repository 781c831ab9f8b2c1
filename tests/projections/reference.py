"""What the read models should say, computed directly from the event store.

Independent of the projections' code: every applicant's history is replayed through the
real aggregate (``event.mutate``), event by event, and the facts are read off it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.stages import VERIFICATION_ORDER, StageStatus

WIB = dt.timezone(dt.timedelta(hours=7))

STAGE_MILESTONE = {
    "email": "email_verified",
    "identity": "nik_valid",
    "education": "education_passed",
    "exclusion": "not_excluded",
    "face": "face_matched",
    "phone": "phone_verified",
}
EVENT_MILESTONE = {
    "Registered": ("registered", False),
    "IdentitySubmitted": ("identity_submitted", False),
    "SelfieUploaded": ("selfie_uploaded", False),
    "JoinedBatch": ("joined_wave", True),
    "SKIssued": ("selected", True),
    "NotSelected": ("not_selected", True),
    "TrainingPurchased": ("training_bought", True),
    "TrainingCompleted": ("training_completed", True),
    "IncentivePaid": ("paid", True),
    "MembershipRevoked": ("revoked", True),
}


def applicant_ids(container: Container) -> list[UUID]:
    assert container.pool is not None
    with container.pool.connection() as conn:
        rows = conn.execute(
            "SELECT originator_id FROM prakerja_events WHERE topic = %s ORDER BY notification_id",
            (get_topic(Applicant.Registered),),
        ).fetchall()
    return [row[0] for row in rows]


def histories(container: Container) -> dict[UUID, list[Any]]:
    return {i: container.applicants.history(i) for i in applicant_ids(container)}


def replay(events: list[Any]) -> Iterator[tuple[Any, Applicant]]:
    """Each event with the aggregate right after it (the same object, mutated: read it
    before asking for the next)."""
    aggregate: Any = None
    for event in events:
        aggregate = event.mutate(aggregate)
        yield event, aggregate


def final(events: list[Any]) -> Applicant:
    aggregate: Any = None
    for event in events:
        aggregate = event.mutate(aggregate)
    assert isinstance(aggregate, Applicant)
    return aggregate


def funnel(container: Container) -> Counter[tuple[str, int, str, dt.date]]:
    """Applicants per (milestone, wave, province of their latest NIK, WIB day first reached)."""
    counts: Counter[tuple[str, int, str, dt.date]] = Counter()
    for events in histories(container).values():
        reached: dict[tuple[str, int], dt.date] = {}
        final: Applicant | None = None
        for event, applicant in replay(events):
            day = event.timestamp.astimezone(WIB).date()
            found = []
            if type(event).__name__ in EVENT_MILESTONE:
                name, per_wave = EVENT_MILESTONE[type(event).__name__]
                found.append((name, (applicant.membership.wave_number or 0) if per_wave else 0))
            for stage in VERIFICATION_ORDER:
                if applicant.stages[stage].status is StageStatus.PASSED:
                    found.append((STAGE_MILESTONE[stage.value], 0))
            if applicant.is_verified:
                found.append(("verified", 0))
            for key in found:
                reached.setdefault(key, day)
            final = applicant
        assert final is not None
        province = final.identity.nik[:2] if final.identity else ""
        for (name, wave), day in reached.items():
            counts[(name, wave, province, day)] += 1
    return counts
