"""A place in the event log: the pair (transaction id, notification id).

Notification ids are taken when a row is inserted, not when its transaction commits, so
without a table lock a lower id can commit after a higher one and a reader that passed
the higher one would never see it. Every row also records the id of the top-level
transaction that wrote it (``xid8``), and readers order the log by the pair: a
transaction that has not committed yet has an id at or above the oldest one still
running, so it always sorts after what a reader may already have read (see
:mod:`prakerja.eventstore.reading`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import psycopg
from eventsourcing.persistence import Notification, Recording
from psycopg.types.numeric import Int8BinaryLoader, IntLoader

_TOKEN = re.compile(r"([0-9]{1,20})\.([0-9]{1,20})")
TOKEN_PATTERN = r"^[0-9]{1,20}(\.[0-9]{1,20})?$"  # noqa: S105 - a log position, not a secret
"""A position as clients send it back: ``<transaction id>.<notification id>``, or a bare
notification id (the token commands returned before positions were pairs)."""


class Position(NamedTuple):
    """Ordered as the log is read: by transaction id, then notification id."""

    transaction_id: int
    notification_id: int

    def __str__(self) -> str:
        return f"{self.transaction_id}.{self.notification_id}"

    @classmethod
    def parse(cls, token: str) -> Position:
        """The position written as ``<transaction id>.<notification id>``."""
        found = _TOKEN.fullmatch(token)
        if found is None:
            raise ValueError(f"not a log position: {token!r}")
        return cls(int(found[1]), int(found[2]))

    def before(self) -> Position:
        """The last position before this one: reading up to it leaves this event unread."""
        return Position(self.transaction_id, self.notification_id - 1)


START = Position(0, 0)
"""Before every event (a follower that has read nothing)."""


class RecordedId(int):
    """A notification id the recorder returns, carrying the id of its transaction.

    The library copies the ids the recorder returns into each recording's
    ``Notification.id`` untouched, so a command can answer with the pair of its write
    without another round trip (:func:`position_of`)."""

    transaction_id: int

    def __new__(cls, notification_id: int, transaction_id: int) -> RecordedId:
        made = super().__new__(cls, notification_id)
        made.transaction_id = transaction_id
        return made


def position_of(notification: Notification) -> Position:
    """Where a recorded event sits in the log. Events of the in-memory store carry no
    transaction id: it writes one save at a time, so their ids are in commit order."""
    return Position(getattr(notification.id, "transaction_id", 0), int(notification.id))


def written_at(recordings: Sequence[Recording[Any]]) -> Position | None:
    """The position a reader waits for to see a whole save (None: it wrote nothing).

    The last of the save's positions: a page may end inside a transaction's rows, and
    the recorder inserts a save's rows in its own order, not the recordings'."""
    return max((position_of(r.notification) for r in recordings), default=None)


def log_cursor(conn: psycopg.Connection[Any], *, binary: bool = False) -> psycopg.Cursor[Any]:
    """A cursor that reads ``xid8`` columns as ints (psycopg has no loader for the type).

    Parameters still go to the server as ints: queries cast them with
    ``%s::text::xid8`` (there is no cast from ``bigint``)."""
    cursor = conn.cursor(binary=binary)
    cursor.adapters.register_loader("xid8", IntLoader)
    cursor.adapters.register_loader("xid8", Int8BinaryLoader)
    return cursor
