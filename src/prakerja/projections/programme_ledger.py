"""The programme ledger: participants' money, followed from the log into tables.

``programme_members`` holds each participant's balance and what was paid;
``incentive_payments`` holds what the rules grant each participant, with due dates and
whether it was paid. The payment enqueuer hands out work from it and finance reads it
(:mod:`prakerja.projections.queries.finance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.utils import get_topic

from prakerja.application.applicants import Applicants
from prakerja.domain.applicant import Applicant
from prakerja.domain.programme import incentive_key
from prakerja.projections.follower import Logged

LEDGER_EVENTS = (
    Applicant.SKIssued,
    Applicant.TrainingPurchased,
    Applicant.TrainingCompleted,
    Applicant.TrainingReviewed,
    Applicant.SurveyCompleted,
    Applicant.IncentivePaymentInitiated,
    Applicant.IncentivePaid,
    Applicant.IncentivePaymentRejected,
    Applicant.MembershipRevoked,
)


class ProgrammeLedger:
    """Follows participants' money events into ``programme_members`` and ``incentive_payments``.

    For each participant touched by a page it writes the aggregate's current state (upserts),
    so replaying a page after a crash changes nothing.
    """

    name = "programme-ledger"
    topics: Sequence[str] = tuple(get_topic(cls) for cls in LEDGER_EVENTS)

    def __init__(self, applicants: Applicants) -> None:
        self._applicants = applicants

    def handle(self, page: Sequence[Logged], cursor: psycopg.Cursor[Any]) -> None:
        members: list[tuple[Any, ...]] = []
        payments: list[tuple[Any, ...]] = []
        for applicant_id in dict.fromkeys(item.event.originator_id for item in page):
            applicant = self._applicants.get(applicant_id)
            membership = applicant.membership
            if membership.sk_number is None:
                continue
            granted = membership.training_balance + membership.training_spent
            granted += membership.balance_returned
            members.append(
                (
                    applicant_id,
                    membership.wave_id,
                    membership.wave_number,
                    membership.status.value,
                    membership.sk_number,
                    granted,
                    membership.training_spent,
                    membership.balance_returned,
                    membership.total_paid,
                )
            )
            for entitlement in membership.entitlements():
                slot = (entitlement.kind, entitlement.period)
                if slot in membership.paid:
                    status = "paid"
                elif slot in membership.rejected:
                    status = "rejected"
                elif slot in membership.initiated:
                    status = "initiated"
                else:
                    status = "owed"
                payments.append(
                    (
                        applicant_id,
                        entitlement.kind,
                        entitlement.period,
                        membership.wave_id,
                        membership.wave_number,
                        entitlement.amount,
                        entitlement.due_at,
                        incentive_key(applicant_id, entitlement.kind, entitlement.period),
                        status,
                    )
                )
        cursor.executemany(
            "INSERT INTO programme_members (applicant_id, wave_id, wave_number, status,"
            " sk_number, balance_granted, training_spent, balance_returned, incentives_paid)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (applicant_id) DO UPDATE SET wave_id = EXCLUDED.wave_id,"
            " wave_number = EXCLUDED.wave_number, status = EXCLUDED.status,"
            " sk_number = EXCLUDED.sk_number, balance_granted = EXCLUDED.balance_granted,"
            " training_spent = EXCLUDED.training_spent,"
            " balance_returned = EXCLUDED.balance_returned,"
            " incentives_paid = EXCLUDED.incentives_paid, updated_at = now()",
            members,
        )
        cursor.executemany(
            "INSERT INTO incentive_payments (applicant_id, kind, period, wave_id, wave_number,"
            " amount, due_at, idempotency_key, status) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (applicant_id, kind, period) DO UPDATE SET amount = EXCLUDED.amount,"
            " due_at = EXCLUDED.due_at, status = EXCLUDED.status, updated_at = now()",
            payments,
        )
