"""Uniqueness of NIK, email and phone across applicants, enforced by the event store.

Each value is held by a small aggregate whose id is derived from the value. Two
applicants claiming the same value write the same (id, version) in the same save as
their own events, so the second save fails as a whole. The id is a keyed hash: ids are
stored in clear, and a plain hash of a 16-digit NIK could be reversed by trying them all.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from prakerja.domain.errors import AlreadyTaken

_NAMESPACE = UUID("6f1c4f2e-52a4-4d0e-9c5b-8f7f1d7a2b10")


class KeyKind(StrEnum):
    NIK = "nik"
    EMAIL = "email"
    PHONE = "phone"
    FAMILY_CARD = "kk"


def unique_key_id(secret: bytes, kind: KeyKind, value: str) -> UUID:
    digest = hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return uuid5(_NAMESPACE, digest)


class UniqueKey(Aggregate):
    """One NIK, email or phone, and which applicant holds it (if any)."""

    class Claimed(Aggregate.Created):
        kind: str
        owner: UUID
        key: UUID

    @staticmethod
    def create_id(key: UUID) -> UUID:
        """The id is the keyed hash of the value, computed by whoever claims it."""
        return key

    @event(Claimed)
    def __init__(self, kind: str, owner: UUID, key: UUID) -> None:
        self.kind = kind
        self.owner: UUID | None = owner

    def claim(self, owner: UUID) -> None:
        if self.owner == owner:
            return
        if self.owner is not None:
            raise AlreadyTaken(
                f"This {self.kind} is already registered.", code=f"{self.kind}_taken"
            )
        self._reclaimed(owner=owner)

    class Reclaimed(Aggregate.Event):
        owner: UUID

    @event(Reclaimed)
    def _reclaimed(self, owner: UUID) -> None:
        self.owner = owner

    def release(self, owner: UUID) -> None:
        if self.owner == owner:
            self._released(previous_owner=owner)

    class Released(Aggregate.Event):
        previous_owner: UUID

    @event(Released)
    def _released(self, previous_owner: UUID) -> None:
        self.owner = None
