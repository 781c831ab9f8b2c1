"""Joins racing repeated close commands, on PostgreSQL, from several service instances."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from prakerja.application.applicants import ConcurrentUpdate
from prakerja.application.programme import Programme
from prakerja.container import Container
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.programme import MembershipStatus
from prakerja.domain.wave import Wave
from prakerja.workers.scheduler import build_programme
from tests.programme.conftest import SimulatedClock, save_verified, wave_spec

pytestmark = pytest.mark.postgres


def test_joins_racing_repeated_closes_never_exceed_the_quota_nor_lose_a_join(
    pg_container: Container, pg_programme: Programme, clock: SimulatedClock
) -> None:
    ids = save_verified(pg_programme.applicants, range(30_000, 30_200))
    pg_programme.schedule_wave(wave_spec(1, 25, partitions=4), by="ops")
    pg_programme.open_wave(1, by="ops")
    # Three API processes, each with its own cache of the wave and its rosters.
    services = [build_programme(pg_container, clock) for _ in range(3)]

    def join(index: int) -> tuple[UUID, str]:
        applicant_id = ids[index]
        try:
            services[index % 3].join_wave(applicant_id, 1, 70)
        except TransitionNotAllowed as refused:
            return applicant_id, refused.code
        except ConcurrentUpdate:
            return applicant_id, "gave_up"
        return applicant_id, "joined"

    def close(attempt: int) -> Wave:
        return services[attempt % 3].close_wave(1, by=f"ops-{attempt}")

    with ThreadPoolExecutor(12) as pool:
        early = [pool.submit(join, i) for i in range(80)]
        closes = [pool.submit(close, attempt) for attempt in range(4)]
        late = [pool.submit(join, i) for i in range(80, 200)]
        results = dict(f.result() for f in early + late)
        draws = [f.result().draw for f in closes]

    outcome = Counter(results.values())
    assert set(outcome) <= {"joined", "wave_not_open", "gave_up"}
    assert outcome["joined"] >= 25
    assert outcome["wave_not_open"] > 0
    assert all(d == draws[0] for d in draws)  # one draw, whoever closed

    wave = pg_programme.wave(1)
    assert wave.draw is not None
    candidates = {c.applicant_id for r in pg_programme.rosters(wave) for c in r.candidates()}
    joined = {applicant_id for applicant_id, result in results.items() if result == "joined"}
    assert candidates == joined  # no join lost, none slipped in after the close
    assert wave.draw["candidates"] == len(joined)
    assert wave.draw["selected"] == 25
    closes_recorded = [
        e for e in pg_programme.applicants.events.get(wave.id) if type(e).__name__ == "Closed"
    ]
    assert len(closes_recorded) == 1
    for applicant_id, result in results.items():
        status = pg_programme.applicants.get(applicant_id).membership.status
        expected = MembershipStatus.IN_WAVE if result == "joined" else MembershipStatus.NONE
        assert status is expected
