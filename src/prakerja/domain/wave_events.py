"""The facts of a wave after it is scheduled (lists, opening, the draw, the decree) and
of its rosters (who joined, who was selected).

Each class is nested on :class:`~prakerja.domain.wave.Wave` (or
:class:`~prakerja.domain.wave.WaveRoster`, ``Roster…`` here) under its own name there,
and that nested class is the one recorded, as ``prakerja.domain.wave:Wave.<Name>`` or
``prakerja.domain.wave:WaveRoster.<Name>``, the topics these events have always had.
``apply`` only assigns state.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from prakerja.domain.selection import Candidate
from prakerja.domain.wave_spec import WaveStatus

if TYPE_CHECKING:
    from prakerja.domain.wave import Wave, WaveRoster


class PriorityMembersListed(Aggregate.Event):
    group: str
    added: int
    digest: str
    listed_by: str

    def apply(self, wave: Wave) -> None:
        wave.listed[self.group] = wave.listed.get(self.group, 0) + self.added


class Opened(Aggregate.Event):
    opened_at: dt.datetime
    opened_by: str

    def apply(self, wave: Wave) -> None:
        wave.status = WaveStatus.OPEN
        wave.opened_at = self.opened_at


class JoiningStopped(Aggregate.Event):
    stopped_at: dt.datetime
    stopped_by: str

    def apply(self, wave: Wave) -> None:
        wave.status = WaveStatus.CLOSING


class Closed(Aggregate.Event):
    closed_at: dt.datetime
    closed_by: str
    algorithm: str
    seed: str
    candidates: int
    candidates_sha256: str
    selected: int
    selected_sha256: str
    priority_selected: int

    def apply(self, wave: Wave) -> None:
        wave.status = WaveStatus.CLOSED
        wave.closed_at = self.closed_at
        wave.draw = {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "candidates": self.candidates,
            "candidates_sha256": self.candidates_sha256,
            "selected": self.selected,
            "selected_sha256": self.selected_sha256,
            "priority_selected": self.priority_selected,
        }


class DecreeIssued(Aggregate.Event):
    sk_number: str
    sk_date: dt.date
    first_training_deadline: dt.datetime
    issued_by: str
    issued_at: dt.datetime

    def apply(self, wave: Wave) -> None:
        wave.status = WaveStatus.DECREED
        wave.sk_number = self.sk_number
        wave.sk_date = self.sk_date
        wave.first_training_deadline = self.first_training_deadline


class SksDelivered(Aggregate.Event):
    participants: int
    not_selected: int
    delivered_at: dt.datetime

    def apply(self, wave: Wave) -> None:
        wave.status = WaveStatus.SK_DELIVERED
        wave.participants = self.participants
        wave.not_selected = self.not_selected


class FirstTrainingDeadlineEnforced(Aggregate.Event):
    revoked: int
    balance_returned: int
    enforced_at: dt.datetime

    def apply(self, wave: Wave) -> None:
        wave.status = WaveStatus.DEADLINE_ENFORCED
        wave.revoked = self.revoked
        wave.balance_returned = self.balance_returned


class SlotsOffered(Aggregate.Event):
    recovery_wave_id: UUID
    recovery_wave_number: int
    slots: int

    def apply(self, wave: Wave) -> None:
        wave.slots_offered[self.recovery_wave_number] = self.slots


class RosterJoined(Aggregate.Event):
    """Nested as ``WaveRoster.Joined``."""

    applicant_id: UUID
    province: str
    priority_rank: int | None
    skills_test_score: int
    joined_at: dt.datetime

    def apply(self, roster: WaveRoster) -> None:
        roster.entries[self.applicant_id] = Candidate(
            self.applicant_id, self.province, self.priority_rank
        )


class RosterClosed(Aggregate.Event):
    """Nested as ``WaveRoster.Closed``."""

    selected: list[UUID]

    def apply(self, roster: WaveRoster) -> None:
        roster.closed = True
        roster.selected = set(self.selected)
