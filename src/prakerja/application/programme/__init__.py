"""The programme after verification: waves, joining, the draw, the decree, training, surveys.

Commands work on the same event store as everything else (the ``prakerja`` application
of :class:`~prakerja.application.applicants.Applicants`): get, call, save, where several
aggregates that must change together go in one save. :class:`Programme` is the one
service; its parts live beside it by what they hold: the values it takes and answers
(:mod:`.records`), reading and saving with retries (:mod:`.store`), queries
(:mod:`.queries`), ops' wave commands (:mod:`.waves`) and participants' (:mod:`.participants`).
"""

from __future__ import annotations

from prakerja.application.programme.participants import ParticipantCommands
from prakerja.application.programme.records import (
    Clock,
    DrawRecord,
    DrawVerification,
    Listing,
    Progress,
    TrainingEvent,
    TrainingEventType,
)
from prakerja.application.programme.waves import (
    MAX_LISTING_BATCH,
    NO_TRAINING_REASON,
    WaveCommands,
)

__all__ = [
    "MAX_LISTING_BATCH",
    "NO_TRAINING_REASON",
    "Clock",
    "DrawRecord",
    "DrawVerification",
    "Listing",
    "Programme",
    "Progress",
    "TrainingEvent",
    "TrainingEventType",
]


class Programme(WaveCommands, ParticipantCommands):
    """Commands and queries of waves and participants, over the one event store."""
