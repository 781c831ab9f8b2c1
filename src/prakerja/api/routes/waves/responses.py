"""What the wave routes answer: a wave, its draw and decree, the draw's record and check."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from pydantic import BaseModel, Field

from prakerja.application.programme import DrawRecord
from prakerja.domain.rules import SELECTION
from prakerja.domain.wave import Wave


class PriorityListingOut(BaseModel):
    added: int
    already_listed: int


class DrawOut(BaseModel):
    algorithm: str
    rule: str
    seed: str
    candidates: int
    candidates_sha256: str
    selected: int
    selected_sha256: str
    priority_selected: int


class DecreeOut(BaseModel):
    sk_number: str
    sk_date: dt.date
    first_training_deadline: dt.datetime


class WaveOut(BaseModel):
    number: int
    wave_id: UUID
    status: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    quota: int
    province_quotas: dict[str, int]
    priority_groups: dict[str, int]
    priority_listed: dict[str, int]
    recovery_of: dict[int, int]
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    joined: int | None = Field(description="only in the single-wave view")
    draw: DrawOut | None
    decree: DecreeOut | None
    participants: int
    not_selected: int
    revoked: int
    balance_returned: int
    revoked_slots_available: int


class CandidateOut(BaseModel):
    applicant_id: UUID
    province: str
    priority_rank: int | None


class DrawRecordOut(BaseModel):
    wave_number: int
    recorded: DrawOut
    quota: int
    province_quotas: dict[str, int]
    candidates: list[CandidateOut] = Field(description="in canonical order (the hashed one)")
    selected: list[UUID] = Field(description="in the order the draw took them")


class RecomputedOut(BaseModel):
    candidates_sha256: str
    selected_sha256: str
    selected: int


class DrawVerificationOut(BaseModel):
    wave_number: int
    matches: bool
    recorded: DrawOut
    recomputed: RecomputedOut


class NamedOut(BaseModel):
    wave_number: int
    decree: DecreeOut
    named: list[UUID]


def wave_out(wave: Wave, joined: int | None = None) -> WaveOut:
    draw = DrawOut(**wave.draw, rule=SELECTION.ref) if wave.draw else None
    decree = None
    if wave.sk_number and wave.sk_date and wave.first_training_deadline:
        decree = DecreeOut(
            sk_number=wave.sk_number,
            sk_date=wave.sk_date,
            first_training_deadline=wave.first_training_deadline,
        )
    return WaveOut(
        number=wave.number,
        wave_id=wave.id,
        status=wave.status.value,
        opens_at=wave.opens_at,
        closes_at=wave.closes_at,
        quota=wave.quota,
        province_quotas=wave.province_quotas,
        priority_groups=wave.priority_groups,
        priority_listed=wave.listed,
        recovery_of=wave.recovery_of,
        opened_at=wave.opened_at,
        closed_at=wave.closed_at,
        joined=joined,
        draw=draw,
        decree=decree,
        participants=wave.participants,
        not_selected=wave.not_selected,
        revoked=wave.revoked,
        balance_returned=wave.balance_returned,
        revoked_slots_available=wave.revoked_slots_available,
    )


def draw_out(record: DrawRecord) -> DrawOut:
    return DrawOut(**record.recorded)
