"""What ops decide for a wave, the stages a wave goes through, and its aggregates' ids.

The ids are derived, not drawn: a wave's from its number, a roster's from its wave and
partition, a priority listing's from a keyed hash of (wave, NIK), so every process finds
the same aggregate without a lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid5

from prakerja.domain.errors import InvalidInput
from prakerja.domain.nik import PROVINCES
from prakerja.domain.programme import keyed_id

_NAMESPACE = UUID("5d0f3e8a-2b7c-4a91-8e6d-3c1b9f0a7d24")
CATALOGUE_ID = uuid5(_NAMESPACE, "wave-catalogue")
MAX_PARTITIONS = 256


class WaveStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSING = "closing"
    """No new joins; the candidates are being frozen and drawn."""
    CLOSED = "closed"
    """Candidates frozen and drawn."""
    DECREED = "decreed"
    """SK number and date recorded; applicants are being told."""
    SK_DELIVERED = "sk_delivered"
    """Every candidate got SKIssued or NotSelected."""
    DEADLINE_ENFORCED = "deadline_enforced"
    """Participants without a training 30 days after the SK are revoked."""


def wave_id(number: int) -> UUID:
    return uuid5(_NAMESPACE, f"wave:{number}")


def roster_id(of_wave: UUID, partition: int) -> UUID:
    return uuid5(of_wave, f"roster:{partition}")


def partition_of(applicant_id: UUID, partitions: int) -> int:
    return int.from_bytes(hashlib.sha256(applicant_id.bytes).digest()[:4], "big") % partitions


def priority_listing_id(secret: bytes, of_wave: UUID, nik: str) -> UUID:
    return keyed_id(secret, f"priority:{of_wave}", nik)


@dataclass(frozen=True)
class WaveSpec:
    """What ops decide when scheduling a wave; checked by :meth:`validate`."""

    number: int
    opens_at: dt.datetime
    closes_at: dt.datetime
    quota: int
    province_quotas: dict[str, int]
    priority_groups: dict[str, int]
    """Group name → rank; rank 1 is taken first."""
    partitions: int = 16
    recovery_of: dict[int, int] | None = None
    """For a recovery wave: source wave number → revoked slots it takes over."""

    def validate(self) -> None:
        if self.number < 1:
            raise InvalidInput("Waves are numbered from 1.", code="invalid_wave_number")
        if self.opens_at.tzinfo is None or self.closes_at.tzinfo is None:
            raise InvalidInput("Wave times need a time zone.", code="naive_datetime")
        if self.closes_at <= self.opens_at:
            raise InvalidInput("A wave closes after it opens.", code="invalid_wave_window")
        if self.quota < 1:
            raise InvalidInput("A wave's quota is at least 1.", code="invalid_quota")
        for province, cap in self.province_quotas.items():
            if province not in PROVINCES:
                raise InvalidInput(f"{province} is not a province code.", code="invalid_province")
            if cap < 0:
                raise InvalidInput("A province quota cannot be negative.", code="invalid_quota")
        if any(rank < 1 for rank in self.priority_groups.values()):
            raise InvalidInput("Priority ranks start at 1.", code="invalid_priority_rank")
        if not 1 <= self.partitions <= MAX_PARTITIONS:
            raise InvalidInput(
                f"A wave has 1 to {MAX_PARTITIONS} roster partitions.", code="invalid_partitions"
            )
