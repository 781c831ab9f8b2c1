"""What a command on an applicant returns: the case written, and where in the log."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from prakerja.eventstore.position import Position


@dataclass(frozen=True)
class Written:
    """What a command changed, and the log position a reader can wait for."""

    applicant_id: UUID
    position: Position | None


@dataclass(frozen=True)
class IdentityAccepted(Written):
    warnings: tuple[str, ...]
