"""Waves through the application service, on the in-memory event store."""

from __future__ import annotations

import datetime as dt

import pytest

from prakerja.application.programme import Programme
from prakerja.domain.errors import AlreadyTaken, InvalidInput, TransitionNotAllowed
from prakerja.domain.programme import MembershipStatus
from prakerja.domain.wave import WaveStatus
from prakerja.workers.scheduler import Scheduler
from tests.programme.conftest import (
    START,
    SimulatedClock,
    nik_of,
    save_verified,
    verified_applicant,
    wave_spec,
)

SK_DATE = dt.date(2020, 4, 17)


def open_wave(programme: Programme, number: int = 1, quota: int = 10) -> None:
    programme.schedule_wave(wave_spec(number, quota), by="ops")
    programme.open_wave(number, by="ops")


def test_joining_needs_an_open_wave_and_a_verified_applicant(programme: Programme) -> None:
    [applicant_id] = save_verified(programme.applicants, [1])
    programme.schedule_wave(wave_spec(), by="ops")
    with pytest.raises(TransitionNotAllowed) as closed:
        programme.join_wave(applicant_id, 1, 70)
    assert closed.value.code == "wave_not_open"
    programme.open_wave(1, by="ops")
    unverified = programme.applicants.register("new@example.com", "rahasia-123").applicant_id
    with pytest.raises(TransitionNotAllowed) as not_verified:
        programme.join_wave(unverified, 1, 70)
    assert not_verified.value.code == "not_verified"
    with pytest.raises(InvalidInput):
        programme.join_wave(applicant_id, 1, 101)
    programme.join_wave(applicant_id, 1, 70)
    with pytest.raises(TransitionNotAllowed) as twice:
        programme.join_wave(applicant_id, 1, 70)
    assert twice.value.code == "already_in_wave"


def test_an_applicant_is_in_at_most_one_open_wave(programme: Programme) -> None:
    [applicant_id] = save_verified(programme.applicants, [1])
    open_wave(programme, 1)
    open_wave(programme, 2)
    programme.join_wave(applicant_id, 1, 70)
    with pytest.raises(TransitionNotAllowed) as second:
        programme.join_wave(applicant_id, 2, 70)
    assert second.value.code == "already_in_wave"
    assert programme.joined(programme.wave(2)) == 0


def test_closing_twice_keeps_the_one_draw_and_late_joins_are_refused(
    programme: Programme,
) -> None:
    ids = save_verified(programme.applicants, range(30))
    open_wave(programme, quota=10)
    for applicant_id in ids[:25]:
        programme.join_wave(applicant_id, 1, 70)
    first = programme.close_wave(1, by="ops")
    again = programme.close_wave(1, by="ops", seed="00" * 32)
    assert again.draw == first.draw
    assert first.draw is not None
    assert (first.draw["candidates"], first.draw["selected"]) == (25, 10)
    with pytest.raises(TransitionNotAllowed) as late:
        programme.join_wave(ids[29], 1, 70)
    assert late.value.code == "wave_not_open"
    assert programme.verify_draw(1).matches


def test_the_decree_names_the_selected_and_tells_everyone_once(programme: Programme) -> None:
    ids = save_verified(programme.applicants, range(40))
    open_wave(programme, quota=15)
    for applicant_id in ids:
        programme.join_wave(applicant_id, 1, 70)
    programme.close_wave(1, by="ops")
    with pytest.raises(TransitionNotAllowed):
        programme.deliver_sks(1)
    programme.issue_decree(1, "SK-1/2020", SK_DATE, by="ops")
    programme.issue_decree(1, "SK-1/2020", SK_DATE, by="ops")  # the same decree again: fine
    with pytest.raises(TransitionNotAllowed):
        programme.issue_decree(1, "SK-2/2020", SK_DATE, by="ops")
    assert programme.deliver_sks(1).counts == {"participants": 15, "not_selected": 25}
    assert programme.deliver_sks(1).counts == {"participants": 15, "not_selected": 25}
    named = set(programme.draw_record(1).selected)
    for applicant_id in ids:
        history = [type(e).__name__ for e in programme.applicants.history(applicant_id)]
        expected = "SKIssued" if applicant_id in named else "NotSelected"
        assert history.count(expected) == 1
        assert history.count("SKIssued") + history.count("NotSelected") == 1
    assert programme.wave(1).status is WaveStatus.SK_DELIVERED


def test_priority_lists_are_keyed_hashes_taken_first_and_fixed_once_open(
    programme: Programme,
) -> None:
    ids = save_verified(programme.applicants, range(50))
    programme.schedule_wave(wave_spec(quota=10), by="ops")
    listed = programme.list_priority_members(1, "laid_off", [nik_of(i) for i in range(5)], "ops")
    assert (listed.added, listed.already_listed) == (5, 0)
    again = programme.list_priority_members(1, "laid_off", [nik_of(i) for i in range(6)], "ops")
    assert (again.added, again.already_listed) == (1, 5)
    with pytest.raises(InvalidInput):
        programme.list_priority_members(1, "veterans", [nik_of(9)], "ops")
    programme.open_wave(1, by="ops")
    with pytest.raises(TransitionNotAllowed):
        programme.list_priority_members(1, "laid_off", [nik_of(7)], "ops")
    for applicant_id in ids:
        programme.join_wave(applicant_id, 1, 70)
    programme.close_wave(1, by="ops")
    selected = programme.draw_record(1).selected
    assert set(selected[:6]) == set(ids[:6])
    stored = [str(a) for a in programme.applicants.recorder.select_notifications(1, 10_000)]
    assert not any(nik_of(0) in row for row in stored)


def test_non_buyers_are_revoked_blacklisted_and_their_slots_go_to_a_recovery_wave(
    programme: Programme, clock: SimulatedClock
) -> None:
    ids = save_verified(programme.applicants, range(12))
    open_wave(programme, quota=10)
    for applicant_id in ids:
        programme.join_wave(applicant_id, 1, 70)
    programme.close_wave(1, by="ops")
    programme.issue_decree(1, "SK-1/2020", SK_DATE, by="ops")
    programme.deliver_sks(1)
    named = programme.draw_record(1).selected
    buyer = programme.applicants.get(named[0])
    buyer.purchase_training("p:1", "p", "course", 250_000, clock.now)
    programme.applicants.save(buyer)
    clock.now = dt.datetime(2020, 5, 17, 16, 59, tzinfo=dt.UTC)  # 23:59 WIB on day 30
    assert not programme.enforce_first_training_deadline(1).done
    clock.advance(minutes=1)
    enforced = programme.enforce_first_training_deadline(1)
    assert enforced.counts == {"revoked": 9, "balance_returned": 9_000_000}
    assert programme.enforce_first_training_deadline(1).counts == enforced.counts
    for applicant_id in named[1:]:
        assert programme.applicants.get(applicant_id).membership.status is MembershipStatus.REVOKED
    assert programme.applicants.get(named[0]).membership.status is MembershipStatus.IN_TRAINING

    recovery = wave_spec(2, quota=9, recovery_of={1: 9}, opens_at=clock.now)
    recovery = type(recovery)(**{**vars(recovery), "closes_at": clock.now + dt.timedelta(days=3)})
    programme.schedule_wave(recovery, by="ops")
    assert programme.wave(1).revoked_slots_available == 0
    with pytest.raises(TransitionNotAllowed) as twice:
        programme.schedule_wave(wave_spec(3, quota=1, recovery_of={1: 1}), by="ops")
    assert twice.value.code == "no_revoked_slots"
    programme.open_wave(2, by="ops")
    with pytest.raises(TransitionNotAllowed) as revoked:
        programme.join_wave(named[1], 2, 90)
    assert revoked.value.code == "membership_revoked"
    not_selected = next(i for i in ids if i not in set(named))
    programme.join_wave(not_selected, 2, 90)


def test_a_blacklisted_nik_cannot_join_even_under_a_new_registration(
    programme: Programme, clock: SimulatedClock
) -> None:
    [first] = save_verified(programme.applicants, [3])
    open_wave(programme, quota=1)
    programme.join_wave(first, 1, 70)
    programme.close_wave(1, by="ops")
    programme.issue_decree(1, "SK-1/2020", SK_DATE, by="ops")
    programme.deliver_sks(1)
    clock.now = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
    programme.enforce_first_training_deadline(1)
    # The same person, registered again (say the NIK index was released by an override).
    again = verified_applicant(3)
    programme.applicants.save(again)
    open_spec = wave_spec(
        2, quota=5, opens_at=clock.now, closes_at=clock.now + dt.timedelta(days=1)
    )
    programme.schedule_wave(open_spec, by="ops")
    programme.open_wave(2, by="ops")
    with pytest.raises(TransitionNotAllowed) as blacklisted:
        programme.join_wave(again.id, 2, 70)
    assert blacklisted.value.code == "nik_blacklisted"


def test_wave_numbers_are_unique_and_specs_are_checked(programme: Programme) -> None:
    programme.schedule_wave(wave_spec(1), by="ops")
    with pytest.raises(AlreadyTaken):
        programme.schedule_wave(wave_spec(1), by="ops")
    with pytest.raises(InvalidInput):
        programme.schedule_wave(wave_spec(2, closes_at=START), by="ops")
    with pytest.raises(InvalidInput):
        programme.schedule_wave(wave_spec(2, province_quotas={"99": 1}), by="ops")
    assert [w.number for w in programme.waves()] == [1]


def test_the_scheduler_opens_closes_delivers_and_enforces_on_its_clock(
    programme: Programme, clock: SimulatedClock
) -> None:
    ids = save_verified(programme.applicants, range(8))
    programme.schedule_wave(wave_spec(quota=5, opens_at=START + dt.timedelta(hours=1)), by="ops")
    scheduler = Scheduler(programme)
    assert scheduler.tick() == []
    clock.advance(hours=1)
    assert scheduler.tick() == ["opened 1"]
    for applicant_id in ids:
        programme.join_wave(applicant_id, 1, 60)
    clock.advance(days=4)
    assert scheduler.tick() == ["closed 1"]
    programme.issue_decree(1, "SK-1/2020", SK_DATE, by="ops")
    assert scheduler.tick() == ["sks delivered 1"]
    assert scheduler.tick() == []
    clock.now = dt.datetime(2020, 5, 18, tzinfo=dt.UTC)
    assert scheduler.tick() == ["deadline enforced 1"]
    assert programme.wave(1).revoked == 5
    assert scheduler.tick() == []
