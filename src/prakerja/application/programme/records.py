"""What the programme's commands take and answer: plain values, no behaviour."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from prakerja.domain.selection import Candidate, DrawResult

Clock = Callable[[], dt.datetime]


class TrainingEventType(StrEnum):
    PURCHASED = "training.purchased"
    COMPLETED = "training.completed"
    REVIEWED = "training.reviewed"


@dataclass(frozen=True)
class TrainingEvent:
    """A fact a training platform reports about one of its orders (from a signed webhook)."""

    event_id: str
    type: TrainingEventType
    participant_id: UUID
    order_id: str
    occurred_at: dt.datetime
    training_id: str | None = None
    price: int | None = None
    reviewed: bool = False


@dataclass(frozen=True)
class Listing:
    added: int
    already_listed: int


@dataclass(frozen=True)
class Progress:
    """What a batched run over a wave's applicants found, and whether the wave is done."""

    done: bool
    counts: dict[str, int]


@dataclass(frozen=True)
class DrawRecord:
    """Everything needed to re-run a wave's draw, and what was recorded when it ran."""

    wave_number: int
    recorded: dict[str, Any]
    quota: int
    province_quotas: dict[str, int]
    candidates: list[Candidate]
    selected: list[UUID]


@dataclass(frozen=True)
class DrawVerification:
    wave_number: int
    matches: bool
    recorded: dict[str, Any]
    recomputed: DrawResult
