"""Where every follower of the log stands: position, lag in events and seconds, last error.

Lag in events counts the committed events after the position (the pair) that the
follower reads (its topics), whether or not the horizon lets it read them yet; lag in
seconds is the age of the oldest of them, read from its encrypted payload (one event).
What holds the horizon itself is :mod:`prakerja.eventstore.horizon`. A follower stopped
on a failing event keeps ``last_error`` and ``failed_event`` until it gets past it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.utils import resolve_topic

from prakerja.eventstore.position import Position, log_cursor
from prakerja.eventstore.reading import count_after, first_after
from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.decoding import PayloadDecoder

_LAG_CAP = 10_000_000


@dataclass(frozen=True)
class FollowerStatus:
    name: str
    live: bool
    position: Position
    lag_events: int
    lag_seconds: float | None
    updated_at: dt.datetime
    last_error: str | None
    failed_event: int | None

    @property
    def state(self) -> str:
        if self.last_error:
            return "failed"
        return "current" if self.lag_events == 0 else "behind"


@dataclass(frozen=True)
class Failure:
    name: str
    failed_event: int | None
    error: str


def failures(conn: psycopg.Connection[Any]) -> list[Failure]:
    """Followers stopped on an event (cheap: for /ready)."""
    rows = conn.execute(
        "SELECT name, failed_event, last_error FROM log_positions"
        " WHERE last_error IS NOT NULL ORDER BY name"
    ).fetchall()
    return [Failure(name, event, error) for name, event, error in rows]


def statuses(
    conn: psycopg.Connection[Any],
    application: Application[Any],
    other_topics: dict[str, Sequence[str]] | None = None,
) -> list[FollowerStatus]:
    """Every row of ``log_positions``; ``other_topics`` names the topics of followers
    that are not read models (the dispatcher), else all topics count as theirs."""
    pointers = conn.execute("SELECT name, version FROM read_models").fetchall()
    live_names = {f"{name}@{version}" for name, version in pointers}
    result = []
    now = dt.datetime.now(dt.UTC)
    rows = (
        log_cursor(conn)
        .execute(
            "SELECT name, transaction_id, notification_id, updated_at, last_error, failed_event"
            " FROM log_positions ORDER BY name"
        )
        .fetchall()
    )
    for name, transaction_id, notification_id, updated_at, last_error, failed_event in rows:
        position = Position(transaction_id, notification_id)
        topics = _topics_of(name, other_topics or {})
        lag, oldest = _lag(conn, application, position, topics)
        result.append(
            FollowerStatus(
                name=name,
                live=name in live_names or "@" not in name,
                position=position,
                lag_events=lag,
                lag_seconds=None if oldest is None else max(0.0, (now - oldest).total_seconds()),
                updated_at=updated_at,
                last_error=last_error,
                failed_event=failed_event,
            )
        )
    return result


def _topics_of(name: str, others: dict[str, Sequence[str]]) -> Sequence[str] | None:
    kind = name.partition("@")[0]
    if kind in READ_MODELS and "@" in name:
        return READ_MODELS[kind].topics
    return others.get(name)


def _lag(
    conn: psycopg.Connection[Any],
    application: Application[Any],
    position: Position,
    topics: Sequence[str] | None,
) -> tuple[int, dt.datetime | None]:
    lag = count_after(conn, position, topics, _LAG_CAP)
    if lag == 0:
        return 0, None
    first = first_after(conn, position, topics)
    if first is None:
        return lag, None
    _, _, originator_id, version, topic, state = first
    try:
        decoder = PayloadDecoder(application.mapper, {resolve_topic(topic): ()})
        event = decoder.decode(bytes(originator_id), version, topic, bytes(state))
        return lag, event.timestamp
    except Exception:  # noqa: BLE001 - an undecodable event shows as unknown age, not a crash
        return lag, None
