"""The benchmark's synthetic log is what the application would have stored."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from prakerja.container import Container
from prakerja.domain.applicant import Applicant
from prakerja.domain.stages import Stage, StageStatus


def bench() -> Any:
    path = Path(__file__).parents[2] / "bench" / "projections.py"
    spec = importlib.util.spec_from_file_location("bench_projections", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_events_are_encrypted_and_replay_into_valid_applicants(
    container: Container,
) -> None:
    journeys = bench().Journeys(
        container.applicants.mapper, container.keys.derive("unique-keys"), seed=5
    )
    rows = journeys.cohort(0, size=60)
    mapper = container.applicants.mapper
    histories: dict[UUID, list[Any]] = defaultdict(list)
    for originator, version, topic, state in rows:
        assert b"applicant" not in state and b"Nama" not in state  # encrypted at rest
        event = mapper.to_domain_event(StoredEvent(originator, version, topic, state))
        histories[originator].append(event)
    applicants = []
    for events in histories.values():
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        aggregate: Any = None
        for event in events:
            aggregate = event.mutate(aggregate)
        if isinstance(aggregate, Applicant):
            applicants.append(aggregate)
    assert len(applicants) == 60
    statuses = {a.stages[Stage.FACE].status for a in applicants}
    assert StageStatus.PASSED in statuses and any(a.is_verified for a in applicants)
    assert any(a.membership.status.value != "none" for a in applicants)
    # The rows a save would write: the application's mapper, from the same events.
    first = next(iter(histories.values()))[0]
    stored = mapper.to_stored_event(first)
    assert (stored.originator_id, stored.originator_version, stored.topic) == rows[0][:3]
