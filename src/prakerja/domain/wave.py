"""Waves (gelombang): a time window and a quota, the list of who joined, and the draw.

A wave's list of applicants is split over a fixed number of :class:`WaveRoster`
partitions, chosen by a hash of the applicant id. Joining saves the applicant together
with one roster; closing saves the wave together with every roster. So a join racing
the close writes the same roster version as the close and one of the two saves fails
whole: no one joins a closed wave, and the candidate list the draw uses is exactly the
rosters' content. Partitions keep concurrent joins from all contending for one aggregate.

The wave records the draw's inputs and result when it closes (one transaction), and each
roster records which of its applicants were selected. Priority lists are held by
:class:`PriorityListing` aggregates whose ids are keyed hashes of (wave, NIK).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from prakerja.domain import wave_events
from prakerja.domain.errors import InvalidInput, TransitionNotAllowed
from prakerja.domain.programme import WIB
from prakerja.domain.selection import Candidate, DrawResult
from prakerja.domain.wave_spec import CATALOGUE_ID as CATALOGUE_ID
from prakerja.domain.wave_spec import WaveSpec as WaveSpec
from prakerja.domain.wave_spec import WaveStatus as WaveStatus
from prakerja.domain.wave_spec import partition_of as partition_of
from prakerja.domain.wave_spec import priority_listing_id as priority_listing_id
from prakerja.domain.wave_spec import roster_id as roster_id
from prakerja.domain.wave_spec import wave_id as wave_id

_ORDER = list(WaveStatus)


class Wave(Aggregate):
    """One wave: window, quota, priority groups, the draw, the decree, and their outcome."""

    class Scheduled(Aggregate.Created):
        number: int
        opens_at: dt.datetime
        closes_at: dt.datetime
        quota: int
        province_quotas: dict[str, int]
        priority_groups: dict[str, int]
        partitions: int
        recovery_of: list[dict[str, int]]
        scheduled_by: str

    @staticmethod
    def create_id(number: int) -> UUID:
        return wave_id(number)

    @classmethod
    def schedule(cls, spec: WaveSpec, by: str) -> Wave:
        spec.validate()
        return cls(
            number=spec.number,
            opens_at=spec.opens_at,
            closes_at=spec.closes_at,
            quota=spec.quota,
            province_quotas=dict(spec.province_quotas),
            priority_groups=dict(spec.priority_groups),
            partitions=spec.partitions,
            recovery_of=[
                {"wave": number, "slots": slots}
                for number, slots in sorted((spec.recovery_of or {}).items())
            ],
            scheduled_by=by,
        )

    @event(Scheduled)
    def __init__(
        self,
        number: int,
        opens_at: dt.datetime,
        closes_at: dt.datetime,
        quota: int,
        province_quotas: dict[str, int],
        priority_groups: dict[str, int],
        partitions: int,
        recovery_of: list[dict[str, int]],
        scheduled_by: str,
    ) -> None:
        self.number = number
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.quota = quota
        self.province_quotas = dict(province_quotas)
        self.priority_groups = dict(priority_groups)
        self.partitions = partitions
        self.recovery_of = {int(r["wave"]): int(r["slots"]) for r in recovery_of}
        self.status = WaveStatus.SCHEDULED
        self.listed: dict[str, int] = dict.fromkeys(priority_groups, 0)
        self.opened_at: dt.datetime | None = None
        self.closed_at: dt.datetime | None = None
        self.draw: dict[str, Any] | None = None
        self.sk_number: str | None = None
        self.sk_date: dt.date | None = None
        self.first_training_deadline: dt.datetime | None = None
        self.participants = 0
        self.not_selected = 0
        self.revoked = 0
        self.balance_returned = 0
        self.slots_offered: dict[int, int] = {}

    # ----------------------------------------------------------------- queries

    def reached(self, status: WaveStatus) -> bool:
        return _ORDER.index(self.status) >= _ORDER.index(status)

    def roster_ids(self) -> list[UUID]:
        return [roster_id(self.id, k) for k in range(self.partitions)]

    def roster_of(self, applicant_id: UUID) -> UUID:
        return roster_id(self.id, partition_of(applicant_id, self.partitions))

    @property
    def revoked_slots_available(self) -> int:
        """Slots of revoked participants not yet offered to a recovery wave."""
        return self.revoked - sum(self.slots_offered.values())

    def require_joinable(self, now: dt.datetime) -> None:
        if self.status is not WaveStatus.OPEN or now >= self.closes_at:
            raise TransitionNotAllowed(
                f"Wave {self.number} is not open for joining.", code="wave_not_open"
            )

    # ---------------------------------------------------------------- commands

    def list_priority_members(self, group: str, added: int, digest: str, by: str) -> None:
        """Record a batch of NIKs put on a priority list (their listings are saved alongside)."""
        if group not in self.priority_groups:
            raise InvalidInput(f"Wave {self.number} has no group {group!r}.", code="unknown_group")
        if self.status is not WaveStatus.SCHEDULED:
            raise TransitionNotAllowed(
                "Priority lists are fixed once the wave opens.", code="wave_already_open"
            )
        self.trigger_event(
            self.PriorityMembersListed, group=group, added=added, digest=digest, listed_by=by
        )

    class PriorityMembersListed(wave_events.PriorityMembersListed):
        pass

    def open(self, now: dt.datetime, by: str) -> None:
        if self.status is not WaveStatus.SCHEDULED:
            raise TransitionNotAllowed(f"Wave {self.number} is {self.status}.", code="wave_state")
        if now >= self.closes_at:
            raise TransitionNotAllowed(
                f"Wave {self.number}'s closing time has passed.", code="wave_window_passed"
            )
        self.trigger_event(self.Opened, opened_at=now, opened_by=by)

    class Opened(wave_events.Opened):
        pass

    def stop_joining(self, now: dt.datetime, by: str) -> None:
        """Refuse new joins from now on, so the close is not raced by an endless stream."""
        if self.status is not WaveStatus.OPEN:
            raise TransitionNotAllowed(f"Wave {self.number} is {self.status}.", code="wave_state")
        self.trigger_event(self.JoiningStopped, stopped_at=now, stopped_by=by)

    class JoiningStopped(wave_events.JoiningStopped):
        pass

    def close(self, now: dt.datetime, by: str, result: DrawResult) -> None:
        """Freeze the candidates and record the draw (saved with every roster)."""
        if self.status is not WaveStatus.CLOSING:
            raise TransitionNotAllowed(f"Wave {self.number} is {self.status}.", code="wave_state")
        if result.quota != self.quota or result.province_quotas != self.province_quotas:
            raise TransitionNotAllowed("The draw used other quotas.", code="draw_mismatch")
        self.trigger_event(
            self.Closed,
            closed_at=now,
            closed_by=by,
            algorithm=result.algorithm,
            seed=result.seed,
            candidates=result.candidates,
            candidates_sha256=result.candidates_sha256,
            selected=len(result.selected),
            selected_sha256=result.selected_sha256,
            priority_selected=result.priority_selected,
        )

    class Closed(wave_events.Closed):
        pass

    def issue_decree(
        self, sk_number: str, sk_date: dt.date, deadline: dt.datetime, by: str, now: dt.datetime
    ) -> None:
        """The SK naming the selected; applicants are told afterwards, in batches."""
        if self.status is not WaveStatus.CLOSED:
            raise TransitionNotAllowed(
                f"Wave {self.number} is {self.status}; a decree follows the draw.",
                code="wave_state",
            )
        if not sk_number.strip():
            raise InvalidInput("A decree has a number.", code="invalid_sk_number")
        assert self.closed_at is not None
        if sk_date < self.closed_at.astimezone(WIB).date():
            raise InvalidInput("A decree cannot predate the draw.", code="invalid_sk_date")
        self.trigger_event(
            self.DecreeIssued,
            sk_number=sk_number.strip(),
            sk_date=sk_date,
            first_training_deadline=deadline,
            issued_by=by,
            issued_at=now,
        )

    class DecreeIssued(wave_events.DecreeIssued):
        pass

    def record_sks_delivered(self, participants: int, not_selected: int, now: dt.datetime) -> None:
        if self.status is not WaveStatus.DECREED:
            raise TransitionNotAllowed(f"Wave {self.number} is {self.status}.", code="wave_state")
        assert self.draw is not None
        if participants != self.draw["selected"]:
            raise TransitionNotAllowed(
                f"{participants} SKs delivered, {self.draw['selected']} named.",
                code="delivery_incomplete",
            )
        self.trigger_event(
            self.SksDelivered,
            participants=participants,
            not_selected=not_selected,
            delivered_at=now,
        )

    class SksDelivered(wave_events.SksDelivered):
        pass

    def record_deadline_enforced(
        self, revoked: int, balance_returned: int, now: dt.datetime
    ) -> None:
        if self.status is not WaveStatus.SK_DELIVERED:
            raise TransitionNotAllowed(f"Wave {self.number} is {self.status}.", code="wave_state")
        assert self.first_training_deadline is not None
        if now < self.first_training_deadline:
            raise TransitionNotAllowed("The 30 days have not passed.", code="deadline_not_passed")
        self.trigger_event(
            self.FirstTrainingDeadlineEnforced,
            revoked=revoked,
            balance_returned=balance_returned,
            enforced_at=now,
        )

    class FirstTrainingDeadlineEnforced(wave_events.FirstTrainingDeadlineEnforced):
        pass

    def offer_slots(self, recovery_wave_id: UUID, recovery_wave_number: int, slots: int) -> None:
        """Hand revoked participants' slots to a recovery wave, each slot once."""
        if slots < 1 or slots > self.revoked_slots_available:
            raise TransitionNotAllowed(
                f"Wave {self.number} has {self.revoked_slots_available} revoked slots to offer.",
                code="no_revoked_slots",
            )
        self.trigger_event(
            self.SlotsOffered,
            recovery_wave_id=recovery_wave_id,
            recovery_wave_number=recovery_wave_number,
            slots=slots,
        )

    class SlotsOffered(wave_events.SlotsOffered):
        pass


class WaveRoster(Aggregate):
    """One partition of a wave's list of applicants who joined, and who of them was selected."""

    class Created(Aggregate.Created):
        wave_id: UUID
        partition: int

    @staticmethod
    def create_id(wave_id: UUID, partition: int) -> UUID:
        return roster_id(wave_id, partition)

    @event(Created)
    def __init__(self, wave_id: UUID, partition: int) -> None:
        self.wave_id = wave_id
        self.partition = partition
        self.entries: dict[UUID, Candidate] = {}
        self.closed = False
        self.selected: set[UUID] = set()

    def candidates(self) -> list[Candidate]:
        return list(self.entries.values())

    def admit(
        self,
        applicant_id: UUID,
        province: str,
        priority_rank: int | None,
        skills_test_score: int,
        joined_at: dt.datetime,
    ) -> None:
        if self.closed:
            raise TransitionNotAllowed("This wave is closed.", code="wave_not_open")
        if applicant_id in self.entries:
            raise TransitionNotAllowed("You are already in this wave.", code="already_in_wave")
        self.trigger_event(
            self.Joined,
            applicant_id=applicant_id,
            province=province,
            priority_rank=priority_rank,
            skills_test_score=skills_test_score,
            joined_at=joined_at,
        )

    class Joined(wave_events.RosterJoined):
        pass

    def close(self, selected: set[UUID]) -> None:
        if self.closed:
            raise TransitionNotAllowed("This roster is already closed.", code="wave_state")
        if not selected <= self.entries.keys():
            raise TransitionNotAllowed("Only candidates can be selected.", code="draw_mismatch")
        self.trigger_event(self.Closed, selected=sorted(selected, key=str))

    class Closed(wave_events.RosterClosed):
        pass


class WaveCatalogue(Aggregate):
    """Every wave's number, so the scheduler and the API can list them. One, fixed id."""

    class Started(Aggregate.Created):
        pass

    @staticmethod
    def create_id() -> UUID:
        return CATALOGUE_ID

    @event(Started)
    def __init__(self) -> None:
        self.waves: dict[int, UUID] = {}

    def add(self, number: int, of_wave: UUID) -> None:
        if number in self.waves:
            raise TransitionNotAllowed(f"Wave {number} already exists.", code="wave_exists")
        self._wave_added(number=number, wave_id=of_wave)

    class WaveAdded(Aggregate.Event):
        number: int
        wave_id: UUID

    @event(WaveAdded)
    def _wave_added(self, number: int, wave_id: UUID) -> None:
        self.waves[number] = wave_id


class PriorityListing(Aggregate):
    """A NIK on one or more of a wave's priority groups. The id hides the NIK (keyed hash)."""

    class Listed(Aggregate.Created):
        key: UUID
        wave_id: UUID
        group: str

    @staticmethod
    def create_id(key: UUID) -> UUID:
        return key

    @event(Listed)
    def __init__(self, key: UUID, wave_id: UUID, group: str) -> None:
        self.wave_id = wave_id
        self.groups = [group]

    def add_group(self, group: str) -> bool:
        """False when the NIK was already on this group (a re-sent list changes nothing)."""
        if group in self.groups:
            return False
        self._group_added(group=group)
        return True

    class GroupAdded(Aggregate.Event):
        group: str

    @event(GroupAdded)
    def _group_added(self, group: str) -> None:
        self.groups.append(group)

    def rank(self, priority_groups: dict[str, int]) -> int | None:
        ranks = [priority_groups[g] for g in self.groups if g in priority_groups]
        return min(ranks) if ranks else None
