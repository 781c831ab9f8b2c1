"""Where every follower of the log stands: position, lag in events and seconds, last error.

Lag in events counts the events after the position that the follower reads (its
topics); lag in seconds is the age of the oldest of them, read from its encrypted
payload (one event). A follower stopped on a failing event keeps ``last_error`` and
``failed_event`` until it gets past it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.utils import resolve_topic

from prakerja.projections.catalogue import READ_MODELS
from prakerja.projections.decoding import PayloadDecoder

_LAG_CAP = 10_000_000


@dataclass(frozen=True)
class FollowerStatus:
    name: str
    live: bool
    position: int
    head: int
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
    head_row = conn.execute(
        "SELECT coalesce(max(notification_id), 0) FROM prakerja_events"
    ).fetchone()
    head = int(head_row[0]) if head_row else 0
    pointers = conn.execute("SELECT name, version FROM read_models").fetchall()
    live_names = {f"{name}@{version}" for name, version in pointers}
    result = []
    now = dt.datetime.now(dt.UTC)
    rows = conn.execute(
        "SELECT name, position, updated_at, last_error, failed_event FROM log_positions"
        " ORDER BY name"
    ).fetchall()
    for name, position, updated_at, last_error, failed_event in rows:
        topics = _topics_of(name, other_topics or {})
        lag, oldest = _lag(conn, application, position, topics)
        result.append(
            FollowerStatus(
                name=name,
                live=name in live_names or "@" not in name,
                position=position,
                head=head,
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
    position: int,
    topics: Sequence[str] | None,
) -> tuple[int, dt.datetime | None]:
    where = "notification_id > %s" + (" AND topic = ANY(%s)" if topics is not None else "")
    params: tuple[Any, ...] = (position, list(topics)) if topics is not None else (position,)
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM prakerja_events WHERE {where} LIMIT {_LAG_CAP}) x",  # noqa: S608 - fixed text
        params,
    ).fetchone()
    lag = int(row[0]) if row else 0
    if lag == 0:
        return 0, None
    first = conn.execute(
        f"SELECT uuid_send(originator_id), originator_version, topic, state FROM prakerja_events"  # noqa: S608
        f" WHERE {where} ORDER BY notification_id LIMIT 1",
        params,
    ).fetchone()
    if first is None:
        return lag, None
    try:
        decoder = PayloadDecoder(application.mapper, {resolve_topic(first[2]): ()})
        event = decoder.decode(bytes(first[0]), first[1], first[2], bytes(first[3]))
        return lag, event.timestamp
    except Exception:  # noqa: BLE001 - an undecodable event shows as unknown age, not a crash
        return lag, None
