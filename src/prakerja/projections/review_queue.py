"""The review queue: a read model of flagged cases, kept by a follower of the event log.

Why a follower and not a query: finding flagged cases in the event store would mean
reading every applicant's history (millions) on each request. The follower reads the
log a page at a time, and for every applicant the page may flag (one of the three
events that raise a flag, or a review of its case) or who is already in the queue,
recomputes that applicant's rows from the write model, exactly like the
dispatcher keeps ``work_items``: rows are derived only from recorded events, a crash
replays the page, and rebuilding is a replay from position zero. The flags come from
:func:`prakerja.domain.review_flags.review_flags`, the same function the commands use.

Rows hold what the list shows and nothing more: the kind of case, the reasons, the
automated decision (event and version), who holds it, and a masked NIK. Personal data
in clear never reaches the read model (it is not encrypted, unlike the event store).

With the in-memory event store (tests) the same rows are kept in memory and brought up
to date whenever they are read.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import psycopg
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from prakerja.domain.applicant import Applicant
from prakerja.domain.nik import mask_nik
from prakerja.domain.review import Review, ReviewStatus, review_id
from prakerja.domain.review_flags import review_flags
from prakerja.eventstore.position import START, Position, position_of
from prakerja.projections.follower import LogFollower, Logged, stored_position

NAME = "review_queue"


def _event_topics(aggregate: type[Aggregate]) -> tuple[str, ...]:
    return tuple(
        get_topic(value)
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, Aggregate.Event)
    )


TOPICS = _event_topics(Applicant) + _event_topics(Review)

FLAG_RAISING = (
    Applicant.FaceReviewRequested,
    Applicant.DecisionDisputed,
    Applicant.VerificationDelayed,
)
"""The events that can put a stage in the queue (:func:`review_flags`); every other
event of an applicant can only take one out."""


@dataclass(frozen=True)
class QueueEntry:
    applicant_id: UUID
    stage: str
    kind: str
    decision_event: str
    decision_version: int
    automated_status: str
    flagged_at: dt.datetime
    review_id: UUID
    review_status: str
    masked_nik: str | None = None
    holder: str | None = None
    proposed_by: str | None = None
    proposed_outcome: str | None = None
    rules: list[str] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    kind: str | None = None
    stage: str | None = None
    limit: int = 100
    offset: int = 0

    def admits(self, entry: QueueEntry) -> bool:
        return (
            (self.status is None or entry.review_status == self.status)
            and (self.kind is None or entry.kind == self.kind)
            and (self.stage is None or entry.stage == self.stage)
        )


@runtime_checkable
class ReviewQueue(Protocol):
    def entries(self, query: QueueFilter) -> list[QueueEntry]: ...

    def position(self) -> Position:
        """How far into the event log the queue is up to date."""
        ...

    def wait_for(self, position: Position, timeout: float) -> bool: ...


def entries_for(applicants: Applicants, applicant_id: UUID) -> list[QueueEntry]:
    """The queue rows of one applicant, recomputed from the write model."""
    events = applicants.history(applicant_id)
    state: Any = None
    for recorded in events:
        state = recorded.mutate(state)
    nik = state.identity.nik if state is not None and state.identity else None
    rows = []
    for flag in review_flags(events).values():
        rid = review_id(applicant_id, flag.stage, flag.decision_version)
        review = applicants.get_or_none(rid)
        if isinstance(review, Review) and review.status is ReviewStatus.DECIDED:
            continue
        held = review if isinstance(review, Review) else None
        rows.append(
            QueueEntry(
                applicant_id=applicant_id,
                stage=flag.stage.value,
                kind=flag.kind.value,
                decision_event=flag.decision_event,
                decision_version=flag.decision_version,
                automated_status=flag.automated_status.value,
                flagged_at=flag.flagged_at,
                review_id=rid,
                review_status=held.status.value if held else ReviewStatus.OPEN.value,
                masked_nik=mask_nik(nik) if nik else None,
                holder=held.holder if held else None,
                proposed_by=held.proposed_by if held else None,
                proposed_outcome=held.proposed_outcome.value
                if held and held.proposed_outcome
                else None,
                rules=list(flag.rules),
                reasons=[dict(r) for r in flag.reasons],
            )
        )
    return rows


class ReviewQueueProjection:
    """The follower's handler (:class:`prakerja.projections.follower.PageHandler`)."""

    name = NAME
    topics: Sequence[str] = TOPICS

    def __init__(self, applicants: Applicants) -> None:
        self._applicants = applicants

    def touched(self, page: Sequence[Logged]) -> list[UUID]:
        applicants: dict[UUID, None] = {}
        for item in page:
            recorded = item.event
            if isinstance(recorded, Review.Taken):
                applicants[recorded.applicant_id] = None
            elif isinstance(recorded, Review.Event):
                review = self._applicants.get_or_none(recorded.originator_id)
                if isinstance(review, Review):
                    applicants[review.applicant_id] = None
            else:
                applicants[recorded.originator_id] = None
        return list(applicants)

    def _may_raise(self, page: Sequence[Logged]) -> set[UUID]:
        """Applicants for whom this page may raise a flag or change a review."""
        found: set[UUID] = set()
        for item in page:
            recorded = item.event
            if isinstance(recorded, FLAG_RAISING):
                found.add(recorded.originator_id)
            elif isinstance(recorded, Review.Event):
                found.update(self.touched([item]))
        return found

    def rows(self, page: Sequence[Logged]) -> tuple[list[UUID], list[QueueEntry]]:
        touched = self.touched(page)
        return touched, [row for a in touched for row in entries_for(self._applicants, a)]

    def handle(self, page: Sequence[Logged], cursor: psycopg.Cursor[Any]) -> None:
        # Only three events raise a flag; any other event can only clear one. So an
        # applicant is recomputed (a replay of their history) when the page raises a
        # flag for them, touches a review of theirs, or they already have rows.
        candidates = self.touched(page)
        cursor.execute(
            "SELECT DISTINCT applicant_id FROM review_queue WHERE applicant_id = ANY(%s)",
            (candidates,),
        )
        queued = {row[0] for row in cursor.fetchall()}
        raising = self._may_raise(page)
        touched = [a for a in candidates if a in queued or a in raising]
        if not touched:
            return
        rows = [row for a in touched for row in entries_for(self._applicants, a)]
        cursor.execute("DELETE FROM review_queue WHERE applicant_id = ANY(%s)", (touched,))
        cursor.executemany(
            "INSERT INTO review_queue (applicant_id, stage, kind, decision_event,"
            " decision_version, automated_status, flagged_at, review_id, review_status,"
            " masked_nik, holder, proposed_by, proposed_outcome, rules, reasons)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    r.applicant_id,
                    r.stage,
                    r.kind,
                    r.decision_event,
                    r.decision_version,
                    r.automated_status,
                    r.flagged_at,
                    r.review_id,
                    r.review_status,
                    r.masked_nik,
                    r.holder,
                    r.proposed_by,
                    r.proposed_outcome,
                    r.rules,
                    Jsonb(r.reasons),
                )
                for r in rows
            ],
        )


class PostgresReviewQueue:
    """Reads the ``review_queue`` table the follower keeps."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def entries(self, query: QueueFilter) -> list[QueueEntry]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT applicant_id, stage, kind, decision_event, decision_version,"
                " automated_status, flagged_at, review_id, review_status, masked_nik, holder,"
                " proposed_by, proposed_outcome, rules, reasons FROM review_queue"
                " WHERE (%(status)s::text IS NULL OR review_status = %(status)s)"
                " AND (%(kind)s::text IS NULL OR kind = %(kind)s)"
                " AND (%(stage)s::text IS NULL OR stage = %(stage)s)"
                " ORDER BY flagged_at, applicant_id, stage LIMIT %(limit)s OFFSET %(offset)s",
                vars(query),
            ).fetchall()
        return [QueueEntry(*row) for row in rows]

    def position(self) -> Position:
        with self._pool.connection() as conn:
            return stored_position(conn, NAME)

    def wait_for(self, position: Position, timeout: float) -> bool:
        """Read-your-writes: wait until the follower has passed ``position``."""
        deadline = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True


class InMemoryReviewQueue:
    """The same rows over the in-memory event store, caught up on every read."""

    def __init__(self, applicants: Applicants) -> None:
        self._applicants = applicants
        self._projection = ReviewQueueProjection(applicants)
        self._rows: dict[tuple[UUID, str], QueueEntry] = {}
        self._position = START
        self._lock = threading.Lock()

    def catch_up(self) -> None:
        # The in-memory store writes one save at a time: its ids are in commit order.
        with self._lock:
            while notifications := self._applicants.recorder.select_notifications(
                self._position.notification_id, 500, topics=TOPICS, inclusive_of_start=False
            ):
                mapper = self._applicants.mapper
                page = [Logged(position_of(n), mapper.to_domain_event(n)) for n in notifications]
                touched, rows = self._projection.rows(page)
                for key in [k for k in self._rows if k[0] in set(touched)]:
                    del self._rows[key]
                self._rows.update({(r.applicant_id, r.stage): r for r in rows})
                self._position = page[-1].position

    def entries(self, query: QueueFilter) -> list[QueueEntry]:
        self.catch_up()
        found = sorted(
            (r for r in self._rows.values() if query.admits(r)),
            key=lambda r: (r.flagged_at, str(r.applicant_id), r.stage),
        )
        return found[query.offset : query.offset + query.limit]

    def position(self) -> Position:
        self.catch_up()
        return self._position

    def wait_for(self, position: Position, timeout: float) -> bool:
        return self.position() >= position


def review_queue_follower(applicants: Applicants, pool: ConnectionPool) -> LogFollower:
    """The follower keeping ``review_queue``: one per deployment (the embedded pipeline
    runs it inside ``prakerja serve``; with a broker, ``prakerja review-queue`` does)."""
    return LogFollower(applicants, pool, ReviewQueueProjection(applicants))
