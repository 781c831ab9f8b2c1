"""Done when: 10,000 verified applicants, quota 2,000, 300 on the priority list → exactly
2,000 SKs including all 300, and the draw re-run from its recorded inputs gives the same list.

The 10,000 run uses the in-memory event store (CPU-bound either way, and this machine is
shared); the same scenario runs on PostgreSQL at 1,200 applicants, with the SK run killed
(SIGKILL) halfway and then resumed. Applicants are made verified through the aggregate
and join in batches with the same commands ``Programme.join_wave`` calls, one save per
500 (one-by-one joining through the service is covered in ``test_waves`` and
``test_concurrency``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from prakerja.application.programme import Programme
from prakerja.db.server import DatabaseAddress
from prakerja.domain.applicant import Applicant
from prakerja.domain.programme import MembershipStatus
from prakerja.domain.selection import draw
from prakerja.domain.wave import WaveStatus
from prakerja.settings import Settings
from tests.programme.conftest import SimulatedClock, nik_of, verified_applicant, wave_spec


def join_in_batches(programme: Programme, number: int, count: int, batch: int = 500) -> list[UUID]:
    """``count`` verified applicants joining wave ``number``, a batch per transaction."""
    wave = programme.wave(number)
    rosters = {roster.id: roster for roster in programme.rosters(wave)}
    joined: list[UUID] = []
    now = programme.clock()
    for start in range(0, count, batch):
        indexes = range(start, min(start + batch, count))
        made = [verified_applicant(i) for i in indexes]
        with ThreadPoolExecutor(4) as pool:  # lookups wait on the database
            ranks = list(pool.map(lambda i: programme.priority_rank(wave, nik_of(i)), indexes))
        for applicant, rank in zip(made, ranks, strict=True):
            assert applicant.identity is not None
            applicant.join_wave(wave.id, number, 70)
            rosters[wave.roster_of(applicant.id)].admit(
                applicant.id, applicant.identity.nik[:2], rank, 70, now
            )
        touched = {wave.roster_of(a.id) for a in made}
        programme.applicants.save(*made, *(rosters[r] for r in touched))
        joined.extend(a.id for a in made)
    return joined


def drawn_wave(programme: Programme, applicants: int, quota: int, priority: range) -> set[UUID]:
    """Schedule, list the priority NIKs, open, join, close; returns the priority ids."""
    programme.schedule_wave(wave_spec(1, quota, partitions=16), by="ops")
    listed = programme.list_priority_members(1, "laid_off", [nik_of(i) for i in priority], "ops")
    assert listed.added == len(priority)
    programme.open_wave(1, by="ops")
    ids = join_in_batches(programme, 1, applicants)
    wave = programme.close_wave(1, by="ops")
    assert wave.draw is not None
    assert (wave.draw["candidates"], wave.draw["selected"]) == (applicants, quota)
    assert wave.draw["priority_selected"] == len(priority)
    assert programme.close_wave(1, by="ops").draw == wave.draw  # a second close: same draw
    return {ids[i] for i in priority}


def outcomes(programme: Programme, database: DatabaseAddress | None = None) -> Counter[str]:
    """SKs and refusals recorded (on PostgreSQL, read from the table: the recorder's
    notification reads hold back rows of transactions still running anywhere)."""
    if database is None:
        topics = [n.topic for n in programme.applicants.recorder.select_notifications(1, 10**7)]
    else:
        with psycopg.connect(database.conninfo) as conn:
            topics = [row[0] for row in conn.execute("SELECT topic FROM prakerja_events")]
    return Counter(
        topic.rsplit(".", 1)[-1]
        for topic in topics
        if topic.endswith((".SKIssued", ".NotSelected"))
    )


def check_the_draw_reruns(programme: Programme, priority_ids: set[UUID], quota: int) -> None:
    record = programme.draw_record(1)
    assert len(set(record.selected)) == quota
    assert priority_ids <= set(record.selected)
    # Anyone with the recorded inputs gets the same list: through the service...
    assert programme.verify_draw(1).matches
    # ...and by hand, from the inputs alone, given in another order.
    again = draw(
        reversed(record.candidates),
        seed=record.recorded["seed"],
        quota=record.quota,
        province_quotas=record.province_quotas,
    )
    assert list(again.selected) == record.selected
    assert again.candidates_sha256 == record.recorded["candidates_sha256"]
    assert again.selected_sha256 == record.recorded["selected_sha256"]


@pytest.mark.slow
def test_ten_thousand_applicants_give_exactly_2000_sks_with_all_300_priority(
    programme: Programme, clock: SimulatedClock
) -> None:
    started = time.perf_counter()
    priority_ids = drawn_wave(programme, 10_000, 2_000, range(0, 9_000, 30))
    drawn = time.perf_counter()
    programme.issue_decree(1, "SK-1/KP/2020", clock.now.date(), by="ops")
    assert programme.deliver_sks(1).counts == {"participants": 2_000, "not_selected": 8_000}
    assert outcomes(programme) == {"SKIssued": 2_000, "NotSelected": 8_000}
    for applicant_id in priority_ids:
        membership = programme.applicants.get(applicant_id).membership
        assert membership.status is MembershipStatus.PARTICIPANT
        assert membership.sk_number == "SK-1/KP/2020"
    check_the_draw_reruns(programme, priority_ids, 2_000)
    print(
        f"\n10,000 applicants: made, joined and drawn in {drawn - started:.1f}s;"
        f" decree and SKs in {time.perf_counter() - drawn:.1f}s"
    )


_DELIVER = """
from prakerja.bootstrap import bootstrap
from prakerja.settings import Settings
from prakerja.workers.scheduler import build_programme

build_programme(bootstrap(Settings())).deliver_sks(1)
"""


@pytest.mark.postgres
def test_sks_killed_halfway_are_completed_by_a_rerun_without_duplicates(
    pg_programme: Programme,
    pg_settings: Settings,
    database: DatabaseAddress,
    clock: SimulatedClock,
) -> None:
    programme = pg_programme
    priority_ids = drawn_wave(programme, 1_200, 240, range(0, 1_080, 30))
    programme.issue_decree(1, "SK-1/KP/2020", clock.now.date(), by="ops")

    env = {
        **os.environ,
        "PRAKERJA_DATABASE_URL": str(pg_settings.database_url),
        "PRAKERJA_DATA_DIR": str(Path(pg_settings.data_dir).resolve()),
        "PRAKERJA_PROGRAMME__BATCH_SIZE": "50",
        "PRAKERJA_LOG_LEVEL": "WARNING",
    }
    child = subprocess.Popen([sys.executable, "-c", _DELIVER], env=env)
    told = 0
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        deadline = time.monotonic() + 60
        while told < 300 and child.poll() is None and time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM prakerja_events"
                " WHERE topic LIKE '%%SKIssued' OR topic LIKE '%%NotSelected'"
            ).fetchone()
            told = int(row[0]) if row else 0
            time.sleep(0.02)
    assert child.poll() is None, "the SK run ended before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    partial = outcomes(programme, database)
    assert 300 <= sum(partial.values()) < 1_200
    assert programme.wave(1).status is WaveStatus.DECREED

    assert programme.deliver_sks(1).counts == {"participants": 240, "not_selected": 960}
    assert outcomes(programme, database) == {"SKIssued": 240, "NotSelected": 960}
    assert programme.wave(1).status is WaveStatus.SK_DELIVERED
    for applicant_id in list(priority_ids)[:20]:
        events = [type(e) for e in programme.applicants.history(applicant_id)]
        assert events.count(Applicant.SKIssued) == 1
    check_the_draw_reruns(programme, priority_ids, 240)
