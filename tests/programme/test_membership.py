"""A participant's path as the aggregate enforces it: SK, purchase deadline, incentives."""

from __future__ import annotations

import datetime as dt
from uuid import UUID, uuid4

import pytest

from prakerja.domain.applicant import Applicant
from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.programme import WIB, MembershipStatus, first_training_deadline
from prakerja.domain.rules import TRAINING_BALANCE
from tests.programme.conftest import START, verified_applicant

SK_DATE = dt.date(2020, 4, 17)
DEADLINE = first_training_deadline(SK_DATE)


def participant() -> tuple[Applicant, UUID]:
    applicant = verified_applicant(1)
    wave = uuid4()
    applicant.join_wave(wave, 1, 80)
    applicant.issue_sk(wave, "SK-1/2020", SK_DATE, TRAINING_BALANCE)
    return applicant, wave


def trained(at: dt.datetime) -> Applicant:
    applicant, _ = participant()
    applicant.purchase_training("p:1", "p", "course-1", 400_000, START)
    applicant.complete_training("p:1", True, at)
    return applicant


def test_the_deadline_is_the_end_of_the_30th_day_after_the_decree_in_jakarta() -> None:
    assert dt.datetime(2020, 5, 18, 0, 0, tzinfo=WIB) == DEADLINE
    applicant, _ = participant()
    assert applicant.membership.first_training_deadline == DEADLINE


def test_a_first_purchase_after_the_deadline_is_refused_a_later_one_is_not() -> None:
    applicant, _ = participant()
    with pytest.raises(TransitionNotAllowed) as late:
        applicant.purchase_training("p:1", "p", "c", 100_000, DEADLINE)
    assert late.value.code == "first_training_deadline_passed"
    applicant.purchase_training("p:1", "p", "c", 100_000, DEADLINE - dt.timedelta(seconds=1))
    applicant.purchase_training("p:2", "p", "c", 100_000, DEADLINE + dt.timedelta(days=9))
    assert applicant.membership.training_balance == TRAINING_BALANCE - 200_000


def test_purchases_cannot_exceed_the_balance_or_repeat_an_order() -> None:
    applicant, _ = participant()
    with pytest.raises(TransitionNotAllowed) as dear:
        applicant.purchase_training("p:1", "p", "c", TRAINING_BALANCE + 1, START)
    assert dear.value.code == "insufficient_balance"
    applicant.purchase_training("p:1", "p", "c", 10, START)
    with pytest.raises(TransitionNotAllowed) as again:
        applicant.purchase_training("p:1", "p", "c", 10, START)
    assert again.value.code == "duplicate_order"


def test_incentives_follow_the_first_reviewed_completion_monthly_and_per_survey() -> None:
    applicant, _ = participant()
    applicant.purchase_training("p:1", "p", "c", 100_000, START)
    completed = START + dt.timedelta(days=10)
    applicant.complete_training("p:1", False, completed)
    assert applicant.membership.entitlements() == ()
    reviewed = completed + dt.timedelta(days=2)
    applicant.review_training("p:1", reviewed)
    assert applicant.membership.status is MembershipStatus.TRAINED
    due = [(e.kind, e.period, e.amount, e.due_at) for e in applicant.membership.entitlements()]
    assert due == [
        ("monthly", month, 600_000, reviewed + dt.timedelta(days=30 * (month - 1)))
        for month in (1, 2, 3, 4)
    ]
    for number in (1, 2, 3):
        applicant.complete_survey(number, {"employed": False}, reviewed + dt.timedelta(days=number))
    with pytest.raises(TransitionNotAllowed):
        applicant.complete_survey(4, {}, reviewed)
    assert sum(e.amount for e in applicant.membership.entitlements()) == 2_550_000
    owed = applicant.membership.owed(reviewed + dt.timedelta(days=1))
    assert [(e.kind, e.period) for e in owed] == [("monthly", 1), ("survey", 1)]


def test_a_payment_is_recorded_once_under_its_own_key_and_amount() -> None:
    applicant = trained(START)
    with pytest.raises(TransitionNotAllowed) as early:
        applicant.initiate_incentive_payment("monthly", 2, "+62812", START)
    assert early.value.code == "not_due"
    key = applicant.initiate_incentive_payment("monthly", 1, "+62812", START)
    assert applicant.initiate_incentive_payment("monthly", 1, "+62812", START) == key
    with pytest.raises(TransitionNotAllowed) as wrong_amount:
        applicant.record_incentive_paid("monthly", 1, 600_001, key, "pay_1")
    assert wrong_amount.value.code == "amount_mismatch"
    with pytest.raises(TransitionNotAllowed) as wrong_key:
        applicant.record_incentive_paid("monthly", 1, 600_000, "other", "pay_1")
    assert wrong_key.value.code == "idempotency_key_mismatch"
    applicant.record_incentive_paid("monthly", 1, 600_000, key, "pay_1", paid_at=START)
    with pytest.raises(TransitionNotAllowed) as twice:
        applicant.record_incentive_paid("monthly", 1, 600_000, key, "pay_1")
    assert twice.value.code == "already_paid"
    assert applicant.membership.total_paid == 600_000
    with pytest.raises(TransitionNotAllowed):
        applicant.record_incentive_paid("survey", 1, 50_000, key, "pay_2")


def test_revocation_returns_the_balance_and_bars_every_later_wave() -> None:
    applicant, _ = participant()
    applicant.revoke_membership("no_training_within_30_days", "r@1", {}, revoked_at=DEADLINE)
    assert applicant.membership.balance_returned == TRAINING_BALANCE
    assert applicant.membership.training_balance == 0
    with pytest.raises(TransitionNotAllowed) as rejoin:
        applicant.join_wave(uuid4(), 2, 90)
    assert rejoin.value.code == "membership_revoked"
