"""The dispatcher: follows the event log and keeps ``work_items`` equal to what is owed.

For every applicant touched by a page of events it asks the aggregate which steps are
outstanding (:meth:`Applicant.outstanding_work`) and makes the ledger say exactly that:
new steps are added (due now, or when a technical delay ends), finished ones removed.
Work is therefore derived only from what is recorded, never from a request handler, and
a crash anywhere leaves a ledger that the next run completes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic

from prakerja.application.applicants import Applicants
from prakerja.domain.applicant import Applicant
from prakerja.projections.follower import Logged

APPLICANT_TOPICS = tuple(
    get_topic(value)
    for value in vars(Applicant).values()
    if isinstance(value, type) and issubclass(value, Applicant.Event)
)


class Dispatcher:
    name = "dispatcher"
    topics: Sequence[str] = APPLICANT_TOPICS

    def __init__(
        self, applicants: Applicants, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self._applicants = applicants
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def handle(self, page: Sequence[Logged], cursor: psycopg.Cursor[Any]) -> None:
        touched = list(dict.fromkeys(item.event.originator_id for item in page))
        now = self._clock()
        keep: list[tuple[UUID, list[str]]] = []
        upserts: list[tuple[UUID, str, dt.datetime, dt.datetime]] = []
        for applicant_id in touched:
            applicant = self._applicants.get(applicant_id)
            steps = applicant.outstanding_work()
            keep.append((applicant_id, [step.value for step in steps]))
            for step in steps:
                upserts.append((applicant_id, step.value, now, applicant.retry_after(step) or now))
        cursor.executemany(
            "DELETE FROM work_items WHERE applicant_id = %s AND NOT step = ANY(%s)", keep
        )
        cursor.executemany(
            "INSERT INTO work_items (applicant_id, step, created_at, due_at)"
            " VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (applicant_id, step) DO UPDATE SET due_at = EXCLUDED.due_at,"
            " enqueued_at = CASE WHEN work_items.due_at = EXCLUDED.due_at"
            " THEN work_items.enqueued_at END",
            upserts,
        )
