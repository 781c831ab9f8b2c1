"""Synthetic applicants through the HTTP API, the dispatcher, Dramatiq workers on RabbitMQ
and the simulators, on real PostgreSQL: nothing lost, nothing duplicated, faults survived."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import psycopg
import pytest

from prakerja.db.server import DatabaseAddress
from prakerja.simulation.driver import Driver, Endpoints, Journey
from prakerja.simulation.expectations import expected_stages, family_card_overflow
from prakerja.simulators.admin import SimulatorAdmin
from prakerja.simulators.config import FaultConfig, OutageWindow
from prakerja.simulators.person import Person
from prakerja.simulators.server import RunningSimulators
from tests.e2e.processes import Processes

# Minutes each; twice the suite's default timeout, as they share the machine with others.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.broker,
    pytest.mark.slow,
    pytest.mark.timeout(600),
]

DECISIONS = (
    "NikValidated",
    "NikRejected",
    "EducationChecked",
    "ExclusionChecked",
    "EmailVerificationSent",
    "EmailBounced",
    "OtpSent",
    "PhoneVerified",
)


# The faults and the kill are about work in flight, not about volume: 500 applicants
# make about 4,000 decisions, plenty under way during the outage and at the kill (both
# tests assert it), at half the cost of a thousand.
CROWD_UNDER_FAULTS = 500


def people(simulators: RunningSimulators, count: int) -> list[Person]:
    return [simulators.population.person(i) for i in range(count)]


def drive(
    processes: Processes, simulators: RunningSimulators, crowd: list[Person], wait_s: float = 180.0
) -> list[Journey]:
    endpoints = Endpoints(processes.url, simulators.urls.email, simulators.urls.sms)
    started = time.monotonic()
    journeys = Driver(endpoints, wait_s=wait_s).run(crowd, concurrency=48)
    elapsed = time.monotonic() - started
    print(
        f"\n{len(crowd)} applicants through every layer but the face in {elapsed:.1f} s "
        f"({len(crowd) / elapsed:.1f} applicants/s)"
    )
    return journeys


def assert_final_states(crowd: list[Person], journeys: list[Journey]) -> None:
    errors = [(j.index, j.error) for j in journeys if j.error]
    assert not errors, errors[:5]
    family_rejections = 0
    for person, journey in zip(crowd, journeys, strict=True):
        turned_away = False
        for stage, (status, reason) in expected_stages(person).items():
            got = journey.stage(stage)
            codes = [r["code"] for r in got["reasons"]]
            if stage == "exclusion" and status == "passed" and codes == ["family_card_limit"]:
                family_rejections += 1
                turned_away = True
                continue
            if stage == "phone" and turned_away:
                continue  # refused for good: a code may never have been sent
            assert got["status"] == status, (person.index, stage, got, person)
            if reason is not None:
                assert reason in codes, (person.index, stage, codes)
    assert family_rejections == family_card_overflow(crowd)


def assert_no_duplicate_decisions(database: DatabaseAddress) -> None:
    # A topic is "prakerja.domain.applicant:Applicant.NikValidated": the event's name is
    # what follows the last dot.
    with psycopg.connect(database.conninfo) as conn:
        rows = conn.execute(
            "SELECT originator_id, regexp_replace(topic, '^.*[.]', '') AS name, count(*)"
            " FROM prakerja_events GROUP BY 1, 2"
        ).fetchall()
    counts = {(str(r[0]), r[1]): r[2] for r in rows}
    assert any(name == "NikValidated" for _, name in counts), "no decision was counted"
    for (applicant, name), count in counts.items():
        if name in ("NikValidated", "EducationChecked", "ExclusionChecked", "PhoneVerified"):
            assert count == 1, (applicant, name, count)
        if name == "NikRejected":  # at most one per submission
            assert count <= counts.get((applicant, "IdentitySubmitted"), 0)
        if name in ("EmailVerificationSent", "EmailBounced"):
            assert count == 1, (applicant, name, count)
    # Once the dispatcher has caught up, the ledger is empty: nobody waits on anything
    # but their selfie.
    deadline = time.monotonic() + 30
    while True:
        with psycopg.connect(database.conninfo) as conn:
            left = conn.execute("SELECT step, count(*) FROM work_items GROUP BY 1").fetchall()
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert left == [], left


def funnel(journeys: list[Journey]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for journey in journeys:
        for stage, status in journey.stage_statuses.items():
            counts[f"{stage}:{status}"] += 1
    return counts


def test_a_thousand_applicants_reach_the_states_their_data_warrants(
    processes: Processes, simulators: RunningSimulators, database: DatabaseAddress
) -> None:
    crowd = people(simulators, 1000)
    processes.start_all()
    journeys = drive(processes, simulators, crowd)
    assert_final_states(crowd, journeys)
    assert_no_duplicate_decisions(database)
    counts = funnel(journeys)
    expected_verified = sum(not p.mailbox_unreachable for p in crowd)
    assert counts["email:passed"] == expected_verified
    print(dict(sorted(counts.items())))


def test_transient_faults_and_a_registry_outage_reject_nobody(
    processes: Processes, simulators: RunningSimulators, database: DatabaseAddress
) -> None:
    admin = SimulatorAdmin(simulators.urls)
    flaky = FaultConfig(error_rate=0.2)
    for service in ("education", "exclusions", "sms", "email"):
        admin.set_faults(service, flaky)
    admin.set_faults(
        "dukcapil", FaultConfig(error_rate=0.2, outages=(OutageWindow(start_s=5, duration_s=30),))
    )
    crowd = people(simulators, CROWD_UNDER_FAULTS)
    processes.start_all()
    journeys = drive(processes, simulators, crowd, wait_s=300)
    assert_final_states(crowd, journeys)
    assert_no_duplicate_decisions(database)
    with psycopg.connect(database.conninfo) as conn:
        row = conn.execute(
            "SELECT count(*) FROM prakerja_events WHERE topic LIKE %s", ("%VerificationDelayed",)
        ).fetchone()
    # Retries last a few seconds, the outage thirty: calls made during it run out of
    # retries and must be recorded as delays (and, above, still end as warranted).
    assert row is not None and row[0] > 0, "the outage delayed no verification"


def test_a_worker_killed_midway_loses_nothing_and_duplicates_nothing(
    processes: Processes, simulators: RunningSimulators, database: DatabaseAddress
) -> None:
    crowd = people(simulators, CROWD_UNDER_FAULTS)
    processes.start_all()
    at_kill: dict[str, int] = {}

    def kill_midway_and_restart() -> None:
        """Kill the worker once it has recorded KILL_AFTER decisions, work still queued."""
        deadline = time.monotonic() + 120
        # One session for the watch: a busy server may refuse new ones.
        with psycopg.connect(database.conninfo, autocommit=True) as watch:
            while (decided := decisions_recorded(watch)) < KILL_AFTER:
                if time.monotonic() > deadline:
                    return  # at_kill stays empty: the assertion below says why
                time.sleep(0.1)
            processes.kill("worker")
            at_kill.update(decided=decided, pending=pending_work(watch))
        processes.start("worker", "worker", "--processes", "1")

    chaos = threading.Thread(target=kill_midway_and_restart)
    chaos.start()
    journeys = drive(processes, simulators, crowd, wait_s=300)
    chaos.join()
    assert at_kill, f"the worker never recorded {KILL_AFTER} decisions"
    assert at_kill["pending"] > 0, f"the worker was killed with no work left: {at_kill}"
    assert_final_states(crowd, journeys)
    assert_no_duplicate_decisions(database)


KILL_AFTER = 300  # decisions, out of about 4,000 for the crowd


def decisions_recorded(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM prakerja_events WHERE regexp_replace(topic, '^.*[.]', '') = ANY(%s)",
        (list(DECISIONS),),
    ).fetchone()
    return int(row[0]) if row else 0


def pending_work(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM work_items").fetchone()
    return int(row[0]) if row else 0
