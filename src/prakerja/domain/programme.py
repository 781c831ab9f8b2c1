"""An applicant's membership of the programme once verified: wave, SK, training, incentives.

Also the two small index aggregates the programme needs beside the applicant: the NIK
blacklist and the receipts of training-platform events. Both have keyed-hash or derived
ids, so a duplicate is refused by the event store itself when saved with the applicant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from prakerja.domain.errors import TransitionNotAllowed
from prakerja.domain.rules import (
    FIRST_TRAINING_DAYS,
    INCENTIVE_INTERVAL_DAYS,
    INCENTIVE_MONTHS,
    MONTHLY_INCENTIVE_AMOUNT,
    SURVEY_INCENTIVE_AMOUNT,
    SURVEYS,
)

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
"""Western Indonesian Time: the decree's date and its deadline are Jakarta dates."""


def programme_day(moment: dt.datetime) -> dt.date:
    """The Jakarta (WIB) date of a moment, the programme's day (for ages, decrees and
    reports): from 17:00 UTC it is already tomorrow."""
    return moment.astimezone(WIB).date()


_NAMESPACE = UUID("0b8a3c2e-6d1f-4f4e-a0a8-4c3f9d2e7b61")


class MembershipStatus(StrEnum):
    NONE = "none"
    IN_WAVE = "in_wave"
    NOT_SELECTED = "not_selected"
    PARTICIPANT = "participant"
    IN_TRAINING = "in_training"
    TRAINED = "trained"
    REVOKED = "revoked"


class IncentiveKind(StrEnum):
    MONTHLY = "monthly"
    SURVEY = "survey"


@dataclass(frozen=True)
class Entitlement:
    """One incentive the rules grant: what, how much, and from when it is owed."""

    kind: str
    period: int
    amount: int
    due_at: dt.datetime


def first_training_deadline(sk_date: dt.date) -> dt.datetime:
    """The end (Jakarta time) of the 30th day after the decree's date."""
    last_day = sk_date + dt.timedelta(days=FIRST_TRAINING_DAYS)
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0), WIB)


def incentive_key(applicant_id: UUID, kind: str, period: int) -> str:
    """The payment's idempotency key: one per participant, kind and period, forever."""
    return f"prakerja:{applicant_id}:{kind}:{period}"


def keyed_id(secret: bytes, purpose: str, value: str) -> UUID:
    """An aggregate id for a personal value (a NIK): keyed, since ids are stored in clear."""
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
    return uuid5(_NAMESPACE, digest)


@dataclass(frozen=True)
class Membership:
    """Derived from events only; each transition returns a new value."""

    status: MembershipStatus = MembershipStatus.NONE
    wave_id: UUID | None = None
    wave_number: int | None = None
    waves_joined: int = 0
    sk_number: str | None = None
    sk_date: dt.date | None = None
    first_training_deadline: dt.datetime | None = None
    training_balance: int = 0
    training_spent: int = 0
    balance_returned: int = 0
    orders: tuple[str, ...] = ()
    completed_orders: tuple[str, ...] = ()
    reviewed_orders: tuple[str, ...] = ()
    reviewed: bool = False
    trained_at: dt.datetime | None = None
    surveys: tuple[dt.datetime, ...] = ()
    initiated: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    """(kind, period) of the payments whose intent is recorded (key: :func:`incentive_key`)."""
    paid: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    rejected: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    total_paid: int = 0
    revoked_reason: str | None = None

    # ------------------------------------------------------------ guards

    def require_can_join(self) -> None:
        if self.status is MembershipStatus.REVOKED:
            raise TransitionNotAllowed(
                "A revoked membership can never join a wave again.", code="membership_revoked"
            )
        if self.status is MembershipStatus.IN_WAVE:
            raise TransitionNotAllowed("You are already in an open wave.", code="already_in_wave")
        if self.status not in (MembershipStatus.NONE, MembershipStatus.NOT_SELECTED):
            raise TransitionNotAllowed("You are already a participant.", code="already_participant")

    def require_in_wave(self, wave_id: UUID) -> None:
        if self.status is not MembershipStatus.IN_WAVE or self.wave_id != wave_id:
            raise TransitionNotAllowed(
                "The applicant is not waiting in this wave.", code="not_in_wave"
            )

    def require_status(self, *allowed: MembershipStatus) -> None:
        if self.status not in allowed:
            raise TransitionNotAllowed(
                f"Not allowed while membership is {self.status}.", code="membership_state"
            )

    def require_can_purchase(self, order_id: str, price: int, purchased_at: dt.datetime) -> None:
        """Any remaining balance may buy further trainings, also after the first is done."""
        self.require_status(
            MembershipStatus.PARTICIPANT, MembershipStatus.IN_TRAINING, MembershipStatus.TRAINED
        )
        if order_id in self.orders:
            raise TransitionNotAllowed("This order is already recorded.", code="duplicate_order")
        if price <= 0:
            raise TransitionNotAllowed("A training has a positive price.", code="invalid_price")
        if price > self.training_balance:
            raise TransitionNotAllowed(
                "The training costs more than the remaining balance.", code="insufficient_balance"
            )
        deadline = self.first_training_deadline
        if not self.orders and deadline is not None and purchased_at >= deadline:
            raise TransitionNotAllowed(
                "The first training had to be bought within 30 days of the decree.",
                code="first_training_deadline_passed",
            )

    def require_order(self, order_id: str) -> None:
        if order_id not in self.orders:
            raise TransitionNotAllowed("No such training purchase.", code="unknown_order")
        if order_id in self.completed_orders:
            raise TransitionNotAllowed(
                "This training is already completed.", code="already_completed"
            )

    def require_reviewable(self, order_id: str) -> None:
        if order_id not in self.completed_orders:
            raise TransitionNotAllowed(
                "Only a completed training can be reviewed.", code="training_not_completed"
            )
        if order_id in self.reviewed_orders:
            raise TransitionNotAllowed(
                "This training is already reviewed.", code="already_reviewed"
            )

    def require_next_survey(self, number: int) -> None:
        if self.trained_at is None:
            raise TransitionNotAllowed(
                "Surveys follow a completed, reviewed training.", code="not_trained"
            )
        if number != len(self.surveys) + 1 or number > SURVEYS:
            raise TransitionNotAllowed(
                f"The next survey is number {len(self.surveys) + 1} of {SURVEYS}.",
                code="unexpected_survey",
            )

    def require_payable(self, kind: str, period: int) -> None:
        if self.status is not MembershipStatus.TRAINED:
            raise TransitionNotAllowed(
                "Incentives follow a completed, reviewed training.", code="not_payable"
            )
        if (kind, period) in self.paid:
            raise TransitionNotAllowed("This incentive is already paid.", code="already_paid")
        if self.entitlement(kind, period) is None:
            raise TransitionNotAllowed("The rules grant no such incentive.", code="not_entitled")

    # ----------------------------------------------------------- incentives

    def entitlements(self) -> tuple[Entitlement, ...]:
        """Every incentive the rules grant so far, owed or not yet due."""
        if self.trained_at is None:
            return ()
        interval = dt.timedelta(days=INCENTIVE_INTERVAL_DAYS)
        monthly = tuple(
            Entitlement(
                IncentiveKind.MONTHLY.value,
                month,
                MONTHLY_INCENTIVE_AMOUNT,
                self.trained_at + interval * (month - 1),
            )
            for month in range(1, INCENTIVE_MONTHS + 1)
        )
        surveys = tuple(
            Entitlement(IncentiveKind.SURVEY.value, number, SURVEY_INCENTIVE_AMOUNT, done_at)
            for number, done_at in enumerate(self.surveys, start=1)
        )
        return monthly + surveys

    def entitlement(self, kind: str, period: int) -> Entitlement | None:
        return next((e for e in self.entitlements() if (e.kind, e.period) == (kind, period)), None)

    def owed(self, now: dt.datetime) -> tuple[Entitlement, ...]:
        """Due by ``now`` and neither paid nor refused by the provider."""
        return tuple(
            e
            for e in self.entitlements()
            if e.due_at <= now and (e.kind, e.period) not in self.paid | self.rejected
        )

    # ---------------------------------------------------------- transitions

    def joined(self, wave_id: UUID, wave_number: int) -> Membership:
        return replace(
            self,
            status=MembershipStatus.IN_WAVE,
            wave_id=wave_id,
            wave_number=wave_number,
            waves_joined=self.waves_joined + 1,
        )

    def not_selected(self) -> Membership:
        return replace(self, status=MembershipStatus.NOT_SELECTED)

    def named_in_sk(
        self, sk_number: str, sk_date: dt.date, balance: int, deadline: dt.datetime | None = None
    ) -> Membership:
        return replace(
            self,
            status=MembershipStatus.PARTICIPANT,
            sk_number=sk_number,
            sk_date=sk_date,
            first_training_deadline=deadline or first_training_deadline(sk_date),
            training_balance=balance,
        )

    def purchased(self, order_id: str, price: int) -> Membership:
        return replace(
            self,
            status=(
                MembershipStatus.TRAINED
                if self.status is MembershipStatus.TRAINED
                else MembershipStatus.IN_TRAINING
            ),
            orders=(*self.orders, order_id),
            training_balance=self.training_balance - price,
            training_spent=self.training_spent + price,
        )

    def completed(
        self, order_id: str, review_given: bool, at: dt.datetime | None = None
    ) -> Membership:
        done = replace(self, completed_orders=(*self.completed_orders, order_id))
        return done.reviewed_training(order_id, at) if review_given else done

    def reviewed_training(self, order_id: str, at: dt.datetime | None) -> Membership:
        trained_at = self.trained_at or at  # the first reviewed completion starts incentives
        return replace(
            self,
            status=MembershipStatus.TRAINED,
            reviewed_orders=(*self.reviewed_orders, order_id),
            reviewed=True,
            trained_at=trained_at,
        )

    def survey_completed(self, at: dt.datetime) -> Membership:
        return replace(self, surveys=(*self.surveys, at))

    def payment_initiated(self, kind: str, period: int) -> Membership:
        return replace(self, initiated=self.initiated | {(kind, period)})

    def paid_incentive(self, kind: str, period: int, amount: int) -> Membership:
        return replace(self, paid=self.paid | {(kind, period)}, total_paid=self.total_paid + amount)

    def payment_rejected(self, kind: str, period: int) -> Membership:
        return replace(self, rejected=self.rejected | {(kind, period)})

    def revoked(self, reason: str | None = None) -> Membership:
        return replace(
            self,
            status=MembershipStatus.REVOKED,
            revoked_reason=reason,
            training_balance=0,
            balance_returned=self.balance_returned + self.training_balance,
        )


class BlacklistedNik(Aggregate):
    """A NIK that may never join a wave again. Its id is a keyed hash of the NIK."""

    class Listed(Aggregate.Created):
        key: UUID
        applicant_id: UUID
        reason: str
        rule: str
        listed_at: dt.datetime

    @staticmethod
    def create_id(key: UUID) -> UUID:
        return key

    @event(Listed)
    def __init__(
        self, key: UUID, applicant_id: UUID, reason: str, rule: str, listed_at: dt.datetime
    ) -> None:
        self.applicant_id = applicant_id
        self.reason = reason
        self.rule = rule
        self.listed_at = listed_at


def blacklist_id(secret: bytes, nik: str) -> UUID:
    return keyed_id(secret, "blacklist", nik)


class TrainingEventReceipt(Aggregate):
    """A training platform's event, recorded once, in the same save as its effect.

    A redelivered event finds its receipt (same id, same digest): nothing happens twice.
    The same event id with different content is refused.
    """

    class Received(Aggregate.Created):
        platform: str
        event_id: str
        digest: str
        applicant_id: UUID
        received_at: dt.datetime

    @staticmethod
    def create_id(platform: str, event_id: str) -> UUID:
        return receipt_id(platform, event_id)

    @event(Received)
    def __init__(
        self,
        platform: str,
        event_id: str,
        digest: str,
        applicant_id: UUID,
        received_at: dt.datetime,
    ) -> None:
        self.platform = platform
        self.event_id = event_id
        self.digest = digest
        self.applicant_id = applicant_id


def receipt_id(platform: str, event_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"training-event:{platform}:{event_id}")


def evidence_of(**items: Any) -> dict[str, Any]:
    """Evidence for an event payload: only plain JSON values (dates as ISO text)."""
    return {
        key: value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
        for key, value in items.items()
    }
