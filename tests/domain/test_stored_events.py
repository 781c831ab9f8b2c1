"""Events stored by the earlier layout of the domain modules load, replay and re-encode.

``stored_events.json`` was written from :mod:`tests.domain.lifecycle` by the code of 6cb654e,
before ``applicant.py`` and ``wave.py`` were split (one record per event: topic and
JSON state, every event class of both modules). Loading them with today's code must
give the same classes under the same topics, the same state when replayed, and the
same JSON when encoded again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import get_topic

from prakerja.application.transcodings import DateAsISO
from tests.domain.lifecycle import all_histories, facts

_FIXTURE = json.loads((Path(__file__).parent / "stored_events.json").read_text())
_STORED: list[dict[str, Any]] = _FIXTURE["events"]
_FACTS: dict[str, str] = _FIXTURE["facts"]
"""Each aggregate's state as the earlier code replayed it, by originator id."""


class _App(Application[UUID]):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def _stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(record["originator_id"]),
        originator_version=record["originator_version"],
        topic=record["topic"],
        state=record["state"].encode(),
    )


def test_stored_events_load_under_their_topics_and_encode_to_the_same_json() -> None:
    mapper = _App().mapper
    for record in _STORED:
        event = mapper.to_domain_event(_stored(record))
        assert get_topic(type(event)) == record["topic"]
        assert mapper.to_stored_event(event).state.decode() == record["state"]


def test_stored_histories_replay_to_the_state_the_earlier_code_reached() -> None:
    mapper = _App().mapper
    histories: dict[str, list[Any]] = defaultdict(list)
    for record in _STORED:
        histories[record["originator_id"]].append(mapper.to_domain_event(_stored(record)))
    assert histories.keys() == _FACTS.keys()
    for originator, events in histories.items():
        aggregate = None
        for event in events:
            aggregate = event.mutate(aggregate)
        assert facts(aggregate) == _FACTS[originator], originator


def test_todays_events_store_the_same_fields_under_the_same_topics() -> None:
    mapper = _App().mapper
    before = {r["topic"]: sorted(json.loads(r["state"])) for r in _STORED}
    now = {}
    for aggregate in all_histories():
        for event in aggregate.collect_events():
            stored = mapper.to_stored_event(event)
            now[stored.topic] = sorted(json.loads(stored.state))
    assert now == before
