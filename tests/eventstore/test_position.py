"""Positions: ordered as the log is read, written and parsed as the API shows them."""

from __future__ import annotations

import re

import pytest
from eventsourcing.persistence import Notification

from prakerja.eventstore.position import (
    START,
    TOKEN_PATTERN,
    Position,
    RecordedId,
    position_of,
)


def test_positions_order_by_transaction_then_notification_id() -> None:
    assert Position(5, 900) < Position(6, 1) < Position(6, 2)
    assert START < Position(1, 0) < Position(1, 1)
    assert Position(7, 3).before() == Position(7, 2) < Position(7, 3)


def test_a_position_reads_back_what_it_writes() -> None:
    position = Position(48213, 1093771)
    assert str(position) == "48213.1093771"
    assert Position.parse(str(position)) == position
    for bad in ("48213", "1.2.3", "a.b", "-1.2", " 1.2", "1.2 ", ""):
        with pytest.raises(ValueError, match="not a log position"):
            Position.parse(bad)


def test_the_token_pattern_admits_a_pair_or_a_bare_id_only() -> None:
    pattern = re.compile(TOKEN_PATTERN)
    assert pattern.match("48213.1093771") and pattern.match("1093771")
    assert not any(pattern.match(t) for t in ("", "1.", ".1", "1.2.3", "x", "1e5", "-3"))


def test_a_recorded_event_knows_its_position() -> None:
    recorded = RecordedId(1093771, 48213)
    assert recorded == 1093771 and recorded.transaction_id == 48213
    notification = Notification(
        id=recorded, originator_id="a", originator_version=1, topic="t", state=b""
    )
    assert position_of(notification) == Position(48213, 1093771)
    in_memory = Notification(id=7, originator_id="a", originator_version=1, topic="t", state=b"")
    assert position_of(in_memory) == Position(0, 7)
