"""The later rule: at most two applicants per family card (KK)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from prakerja.domain.rules import MAX_APPLICANTS_PER_FAMILY_CARD


class FamilyCard(Aggregate):
    """Which applicants have passed the exclusion layer on one family card.

    Its id is a keyed hash of the KK number (see :mod:`prakerja.domain.uniqueness`), and
    it is saved with the applicant's ExclusionChecked event, so two members of the same
    family passing at the same moment cannot both take the last place.
    """

    class Opened(Aggregate.Created):
        key: UUID

    @staticmethod
    def create_id(key: UUID) -> UUID:
        return key

    @event(Opened)
    def __init__(self, key: UUID) -> None:
        self.members: list[UUID] = []

    def has_room_for(self, applicant_id: UUID) -> bool:
        return applicant_id in self.members or len(self.members) < MAX_APPLICANTS_PER_FAMILY_CARD

    def admit(self, applicant_id: UUID) -> None:
        if applicant_id not in self.members and self.has_room_for(applicant_id):
            self._admitted(applicant_id=applicant_id)

    class Admitted(Aggregate.Event):
        applicant_id: UUID

    @event(Admitted)
    def _admitted(self, applicant_id: UUID) -> None:
        self.members.append(applicant_id)
